import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An HTTP POST to 127.0.0.1 over a plain socket whose body is sent in two halves: the
/// first at `init`, the rest at `finish()`, which then reads the whole answer. Between the
/// two the server holds a request it has accepted and is still reading — what a test needs
/// to keep a request in flight for as long as it likes, with no timing to guess.
public final class HeldUpload: @unchecked Sendable {
    private let socket: Int32
    private let rest: [UInt8]

    public init(port: Int, path: String, body: [UInt8]) throws {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw Failure("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(socket)
            throw Failure("connect to 127.0.0.1:\(port): errno \(errno)")
        }
        let head =
            "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/octet-stream\r\n"
            + "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        (self.socket, rest) = (socket, Array(body[(body.count / 2)...]))
        try send(Array(head.utf8) + body[..<(body.count / 2)])
    }

    deinit { close(socket) }

    /// Sends the rest of the body and returns the answer's status and body.
    public func finish() throws -> (status: Int, body: String) {
        try send(rest)
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = recv(socket, &chunk, chunk.count, 0)
            guard count > 0 else { break }
            answer += chunk[..<count]
        }
        let text = String(decoding: answer, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let status = parts[0].split(separator: " ").dropFirst().first.flatMap { Int($0) }
        guard let status else { throw Failure("no HTTP answer: \(text)") }
        return (status, parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    /// `finish()` on a thread of its own, so that no thread of Swift's pool (which may be
    /// running the server under test) blocks on the socket.
    public func finished() async throws -> (status: Int, body: String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try self.finish() }) }.start()
        }
    }

    private func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw Failure("send: errno \(errno)") }
            sent += count
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
