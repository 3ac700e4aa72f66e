import Foundation
import HTTPTypes
import Hummingbird

/// An answer other than success, as `{"error": "..."}` with its status.
public struct ServeError: HTTPResponseError, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let message: String
    /// Seconds a client should wait before retrying (503 on a full queue).
    public var retryAfter: Int?

    public init(_ status: HTTPResponse.Status, _ message: String, retryAfter: Int? = nil) {
        (self.status, self.message, self.retryAfter) = (status, message, retryAfter)
    }

    public static func badRequest(_ message: String) -> ServeError { ServeError(.badRequest, message) }

    public var description: String { message }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = "\(retryAfter)" }
        let body = try JSONSerialization.data(withJSONObject: ["error": message], options: [.sortedKeys])
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
