import ConFiT
import ConFiTServe
import Foundation
import Logging
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A `PredictionServer` on 127.0.0.1 at a free port, for one test: started by `init`, which
/// returns once `/healthz` says it is warm, and stopped (gracefully) by `stop()`.
final class TestServer: Sendable {
    let port: Int
    private let task: Task<Void, any Error>

    init(_ backbone: SharedBackbone, _ configure: (inout ServeOptions) -> Void = { _ in }) async throws {
        var options = ServeOptions()
        (options.port, options.threads) = (0, 2)
        configure(&options)
        let server = try PredictionServer(backbone: backbone, options: options)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "confit.serve.tests")
        logger.logLevel = .critical
        task = Task { try await server.run(logger: logger) { continuation.yield($0) } }
        var iterator = ports.makeAsyncIterator()
        port = try #require(await iterator.next())
        let start = ContinuousClock.now
        while try await request("GET", "/healthz").status != 200 {
            try #require(ContinuousClock.now - start < .seconds(120), "the server did not warm up in 2 minutes")
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Up to 16 requests at once to the server (URLSession's default is 6 per host).
    private static let session = {
        let configuration = URLSessionConfiguration.default
        configuration.httpMaximumConnectionsPerHost = 16
        return URLSession(configuration: configuration)
    }()

    func stop() async {
        task.cancel()
        _ = await task.result
    }

    struct Answer: Sendable {
        let status: Int
        let body: Data
        let headers: [String: String]

        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var error: String { json["error"] as? String ?? "" }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    func request(
        _ method: String, _ path: String, body: Data? = nil, contentType: String? = nil, token: String? = nil
    ) async throws -> Answer {
        var request = URLRequest(url: try #require(URL(string: "http://127.0.0.1:\(port)\(path)")))
        (request.httpMethod, request.httpBody, request.timeoutInterval) = (method, body, 60)
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await Self.session.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        let headers = Dictionary(
            http.allHeaderFields.compactMap { key, value in (key as? String).map { ($0, "\(value)") } },
            uniquingKeysWith: { a, _ in a })
        return Answer(status: http.statusCode, body: data, headers: headers)
    }

    /// `files` as one multipart/form-data body.
    static func multipart(
        _ files: [(name: String, bytes: [UInt8])], boundary: String = "confit-test-boundary"
    )
        -> (body: Data, contentType: String)
    {
        var body = Data()
        for file in files {
            body.append(
                Data(
                    ("--\(boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"\(file.name)\"\r\n"
                        + "Content-Type: application/octet-stream\r\n\r\n").utf8))
            body.append(contentsOf: file.bytes)
            body.append(Data("\r\n".utf8))
        }
        body.append(Data("--\(boundary)--\r\n".utf8))
        return (body, "multipart/form-data; boundary=\(boundary)")
    }
}
