import Foundation
import MultipartKit
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

    private static func multipart(_ body: ByteBuffer, boundary: String) throws -> [Part] {
        let parser = MultipartParser(boundary: boundary)
        var parts: [Part] = []
        var current: Part?
        parser.onHeader = { name, value in
            if current == nil { current = Part(name: "image \(parts.count)", bytes: []) }
            guard name.lowercased() == "content-disposition" else { return }
            for parameter in value.split(separator: ";") {
                let pair = parameter.split(separator: "=", maxSplits: 1).map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
                if pair.count == 2,
                    pair[0] == "filename" || (pair[0] == "name" && current?.name.hasPrefix("image ") == true)
                {
                    current?.name = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                }
            }
        }
        parser.onBody = { chunk in
            if current == nil { current = Part(name: "image \(parts.count)", bytes: []) }
            current?.bytes += chunk.readBytes(length: chunk.readableBytes) ?? []
        }
        parser.onPartComplete = {
            if let part = current { parts.append(part) }
            current = nil
        }
        do {
            try parser.execute(body)
        } catch {
            throw ServeError.badRequest("malformed multipart body: \(error)")
        }
        guard current == nil else { throw ServeError.badRequest("malformed multipart body: its last part is cut off") }
        guard !parts.isEmpty else { throw ServeError.badRequest("the multipart body holds no part") }
        if let empty = parts.first(where: { $0.bytes.isEmpty }) {
            throw ServeError.badRequest("part \(empty.name) is empty")
        }
        return parts
    }
}
