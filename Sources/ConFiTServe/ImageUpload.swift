import Foundation
import NIOCore

/// The images of a prediction request's body: each part of a `multipart/form-data` body,
/// else the body itself, whatever its declared type (`image/jpeg`, `image/png`, or what
/// `curl --data-binary` sends): images are decoded by their signature. Malformed bodies
/// are refused with 400, naming what is wrong.
public enum ImageUpload {
    public struct Part: Sendable {
        /// The part's file name or form name (or "image" for a single body), for answers.
        public var name: String
        public var bytes: [UInt8]
    }

    /// `parts(of:contentType:)` for a body's bytes (the fuzz target's entry).
    public static func parts(of body: [UInt8], contentType: String?) throws -> [Part] {
        try parts(of: ByteBuffer(bytes: body), contentType: contentType)
    }

    public static func parts(of body: ByteBuffer, contentType: String?) throws -> [Part] {
        let type = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard type == "multipart/form-data" else {
            guard body.readableBytes > 0 else { throw ServeError.badRequest("the body is empty: send one image") }
            return [Part(name: "image", bytes: Array(buffer: body))]
        }
        return try multipart(body, boundary: try boundary(of: contentType ?? ""))
    }

    /// The `boundary` parameter of a multipart content type.
    static func boundary(of contentType: String) throws -> String {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard pair.count == 2, pair[0].lowercased() == "boundary" else { continue }
            let value = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            guard (1...70).contains(value.count) else {
                throw ServeError.badRequest("the multipart boundary must be 1 to 70 characters")
            }
            return value
        }
        throw ServeError.badRequest("multipart/form-data without a boundary")
    }

    /// The parts of a multipart body (RFC 2046): after an optional preamble, each part
    /// opens with `--boundary` and a line end, has header lines up to an empty line, and
    /// runs to the next `\r\n--boundary`; `--boundary--` closes the body. Written here
    /// because multipart-kit 4.7.1 crashes on a header byte above 127 (found by
    /// `FuzzServeRequest`).
    private static func multipart(_ body: ByteBuffer, boundary: String) throws -> [Part] {
        let bytes = Array(buffer: body)
        let delimiter = Array("--\(boundary)".utf8)
        guard var start = find(delimiter, in: bytes, from: 0) else {
            throw ServeError.badRequest("malformed multipart body: no boundary \(boundary)")
        }
        var parts: [Part] = []
        while true {
            var cursor = start + delimiter.count
            if bytes[cursor...].starts(with: Array("--".utf8)) { break }
            guard bytes[cursor...].starts(with: crlf) else {
                throw ServeError.badRequest("malformed multipart body: no line end after the boundary")
            }
            cursor += 2
            guard let headersEnd = find(crlf + crlf, in: bytes, from: cursor - 2) else {
                throw ServeError.badRequest("malformed multipart body: part \(parts.count)'s headers are cut off")
            }
            let headers = String(decoding: bytes[cursor..<max(cursor, headersEnd)], as: UTF8.self)
            let content = headersEnd + 4
            guard let next = find(crlf + delimiter, in: bytes, from: content) else {
                throw ServeError.badRequest("malformed multipart body: its last part is cut off")
            }
            parts.append(Part(name: partName(headers) ?? "image \(parts.count)", bytes: Array(bytes[content..<next])))
            start = next + 2
        }
        guard !parts.isEmpty else { throw ServeError.badRequest("the multipart body holds no part") }
        if let empty = parts.first(where: { $0.bytes.isEmpty }) {
            throw ServeError.badRequest("part \(empty.name) is empty")
        }
        return parts
    }

    private static let crlf: [UInt8] = [0x0D, 0x0A]

    /// The first index of `needle` in `haystack` at or after `from`.
    private static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
        var i = max(0, from)
        while i <= haystack.count - needle.count {
            if haystack[i] == needle[0], haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    /// The `filename` (else `name`) of a part's Content-Disposition header.
    private static func partName(_ headers: String) -> String? {
        let disposition = headers.split(separator: "\r\n").first {
            $0.lowercased().hasPrefix("content-disposition:")
        }
        var found: [String: String] = [:]
        for parameter in disposition?.split(separator: ";").dropFirst() ?? [] {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2 {
                found[pair[0].lowercased()] = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return found["filename"] ?? found["name"]
    }
}
