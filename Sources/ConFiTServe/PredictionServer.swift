import ConFiT
import ConFiTData
import ConFiTNN
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// `confit serve`: every task of a `SharedBackbone` over HTTP, JSON in and out, on
/// Hummingbird; requests for any task share one `InferenceBatcher` (mixed-task batches),
/// metrics in Prometheus' format, and a graceful stop on SIGTERM or SIGINT: no new
/// connection is accepted, every request already accepted is answered, then `run` returns.
/// Routes and answers: docs/serving.md.
public final class PredictionServer: Sendable {
    let options: ServeOptions
    let batcher: InferenceBatcher
    let metrics: ServerMetrics
    private let inputNormalization: Normalization

    public init(backbone: SharedBackbone, options: ServeOptions) throws {
        try options.validate()
        self.options = options
        metrics = ServerMetrics(maxBatch: options.maxBatch)
        inputNormalization = backbone.inputNormalization
        batcher = InferenceBatcher(backbone: backbone, options: options, metrics: metrics)
    }

    /// Serves until SIGTERM or SIGINT, or until the calling task is cancelled; `onRunning`
    /// gets the port listened on (the chosen one when `options.port` is 0).
    public func run(
        logger: Logger = Logger(label: "confit.serve"), onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    )
        async throws
    {
        let application = Application(
            router: router(),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "confit"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [BatcherService(batcher: batcher), application],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.middlewares.add(RequestMiddleware(metrics: metrics))
        router.get("/") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: StatusPage.html)))
        }
        router.get("/healthz") { [batcher] _, _ in
            // 503 until the warm-up forwards are done: ready means answering at full speed.
            let warm = batcher.isWarm()
            var response = try Self.json(
                ["status": warm ? "ok" : "warming up", "tasks": batcher.currentSnapshot().tasks.count],
                status: warm ? .ok : .serviceUnavailable)
            if !warm { response.headers[.retryAfter] = "1" }
            return response
        }
        router.get("/metrics") { [metrics] _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.text)))
        }
        router.get("/v1/tasks") { [batcher] _, _ in
            try Self.json(["tasks": try Self.plain(batcher.currentSnapshot().tasks)])
        }
        router.post("/v1/tasks/{task}/predict") { [self] request, context in
            try await predict(request, task: try context.parameters.require("task"))
        }
        router.put("/v1/tasks/{task}") { [self] request, context in
            try await add(request, task: try context.parameters.require("task"))
        }
        router.delete("/v1/tasks/{task}") { [self] request, context in
            try authorize(request, token: try adminToken())
            let name = try context.parameters.require("task")
            guard try await batcher.change({ $0.remove(name) }) else {
                throw ServeError(.notFound, "no task named \(name)")
            }
            return Response(status: .noContent)
        }
        return router
    }

    /// `POST /v1/tasks/{task}/predict?top=K`.
    private func predict(_ request: Request, task: String) async throws -> Response {
        if let token = options.token { try authorize(request, token: token) }
        let top =
            try request.uri.queryParameters.get("top").map { value in
                guard let k = Int(value), k > 0 else { throw ServeError.badRequest("top must be a positive integer") }
                return k
            } ?? 5
        let snapshot = batcher.currentSnapshot()
        guard let served = snapshot.tasks.first(where: { $0.name == task }) else {
            throw ServeError(.notFound, "no task named \(task); GET /v1/tasks lists them")
        }
        var parts: [ImageUpload.Part] = []
        let predictions = try await batcher.predict(task: task, top: top) {
            parts = try ImageUpload.parts(of: try await body(of: request), contentType: request.headers[.contentType])
            return try parts.map { try preprocess($0, transform: snapshot.transform) }
        }
        return try Self.json([
            "task": task,
            "predictions": zip(parts, predictions).map { part, ranked in
                [
                    "image": part.name,
                    "top": ranked.map {
                        ["class": served.classes[$0.classIndex], "probability": Double($0.probability)]
                    },
                ] as [String: Any]
            },
        ])
    }

    /// `PUT /v1/tasks/{task}` with a file from `confit export`.
    private func add(_ request: Request, task: String) async throws -> Response {
        try authorize(request, token: try adminToken())
        let bytes = Array(buffer: try await body(of: request))
        let file: TaskFile
        do {
            file = try TaskFile(bytes: bytes, path: "the uploaded task \(task)")
        } catch {
            throw ServeError.badRequest("\(error)")
        }
        let info = try await batcher.change { backbone in
            do {
                try backbone.add(task, file)
            } catch {
                throw ServeError(.unprocessableContent, "task \(task) was not added: \(error)")
            }
            return backbone.task(named: task).map(InferenceBatcher.TaskInfo.init)
        }
        guard let info else { throw ServeError(.internalServerError, "task \(task) vanished after it was added") }
        return try Self.json(try Self.plain(info), status: .created)
    }

    private func adminToken() throws -> String {
        guard let token = options.adminToken else {
            throw ServeError(.forbidden, "adding and removing tasks is off: start the server with --admin-token-file")
        }
        return token
    }

    /// Refuses a request without `Authorization: Bearer <token>` (compared in constant time).
    private func authorize(_ request: Request, token: String) throws {
        let given = request.headers[.authorization].flatMap { value -> String? in
            value.hasPrefix("Bearer ") ? String(value.dropFirst(7)) : nil
        }
        guard let given, Self.constantTimeEqual(Array(given.utf8), Array(token.utf8)) else {
            throw ServeError(.unauthorized, "missing or wrong bearer token")
        }
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The body, refused with 413 when its declared length is above the limit (before any
    /// of it is read) or when more arrives than the limit.
    private func body(of request: Request) async throws -> ByteBuffer {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > options.maxBodyBytes {
            throw ServeError(
                .contentTooLarge, "the body is \(length) bytes, above the limit of \(options.maxBodyBytes)")
        }
        do {
            return try await request.body.collect(upTo: options.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw ServeError(.contentTooLarge, "the body is above the limit of \(options.maxBodyBytes) bytes")
        }
    }

    /// Decoded (at most `maxPixels`), resized and cropped as in evaluation, normalised.
    private func preprocess(_ part: ImageUpload.Part, transform: EvalTransform) throws -> [Float] {
        do {
            return try SharedBackbone.pixels(
                of: part.bytes, name: part.name, transform: transform, normalization: inputNormalization,
                maxPixels: options.maxPixels)
        } catch let error as DataError {
            if case .imageTooLarge = error { throw ServeError(.contentTooLarge, "\(error)") }
            throw ServeError.badRequest("\(error)")
        }
    }

    static func json(_ object: Any, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A task, or a list of them, as JSONSerialization's objects.
    static func plain(_ tasks: some Encodable) throws -> Any {
        try JSONSerialization.jsonObject(with: JSONEncoder().encode(tasks))
    }
}

/// The batcher's thread as a service of the group: started with the server, drained after
/// the HTTP server has answered its last request (services stop in reverse order).
struct BatcherService: Service {
    let batcher: InferenceBatcher

    func run() async throws {
        batcher.start()
        try? await gracefulShutdown()
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread { [batcher] in
                batcher.drain()
                done.resume()
            }.start()
        }
    }
}

/// Every answer's metrics, and every error as `{"error": "..."}` with its status.
struct RequestMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        let task = context.parameters.get("task")
        do {
            let response = try await next(request, context)
            metrics.request(
                route: context.endpointPath ?? request.uri.path, task: task, status: response.status.code,
                duration: .now - start)
            return response
        } catch {
            let answer = Self.serveError(error)
            metrics.request(
                route: context.endpointPath ?? request.uri.path, task: task, status: answer.status.code,
                duration: .now - start)
            throw answer
        }
    }

    static func serveError(_ error: any Error) -> ServeError {
        switch error {
        case let error as ServeError: error
        case let error as HTTPError: ServeError(error.status, error.body ?? "\(error.status)")
        case let error as any HTTPResponseError: ServeError(error.status, "\(error)")
        default: ServeError(.internalServerError, "\(error)")
        }
    }
}
