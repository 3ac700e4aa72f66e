import ConFiT

/// How `confit serve` listens, batches and guards itself.
public struct ServeOptions: Sendable {
    public var host = "127.0.0.1"
    /// 0: any free port (tests), reported once the server is running.
    public var port = 8080
    /// The most images one forward takes.
    public var maxBatch = 32
    /// How long the first image of a batch waits for more, in milliseconds.
    public var maxWaitMilliseconds = 5
    /// Images waiting at most; more are refused with 503 and `Retry-After`.
    public var maxQueue = 256
    /// Largest image accepted, in pixels, read from its header before decoding
    /// (decompression bombs).
    public var maxPixels = 40_000_000
    /// Largest request body, in bytes; larger ones are refused without being read.
    public var maxBodyBytes = 16 << 20
    /// Bearer token that prediction needs; nil: none.
    public var token: String?
    /// Bearer token that adding and removing tasks needs; nil: both are off.
    public var adminToken: String?
    /// oneDNN threads of the forwards.
    public var threads: Int?

    public init() {}

    /// Checks every limit, naming the option at fault.
    public func validate() throws {
        for (value, name) in [
            (maxBatch, "max-batch"), (maxQueue, "max-queue"), (maxPixels, "max-pixels"),
            (maxBodyBytes, "max-body-bytes"),
        ] where value < 1 {
            throw ConFiTError.invalidConfiguration("\(name) must be positive, got \(value)")
        }
        guard maxWaitMilliseconds >= 0 else {
            throw ConFiTError.invalidConfiguration("max-wait-ms must not be negative, got \(maxWaitMilliseconds)")
        }
        guard (0...65535).contains(port) else {
            throw ConFiTError.invalidConfiguration("port must be 0...65535, got \(port)")
        }
    }
}
