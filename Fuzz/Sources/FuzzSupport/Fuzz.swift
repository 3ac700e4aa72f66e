import CFuzzer
import Foundation

/// The body under test; libFuzzer's callback is a C function, which cannot capture it.
nonisolated(unsafe) private var body: ([UInt8]) -> Void = { _ in }

/// Runs libFuzzer with the process's arguments on `test`, which must return normally for
/// every input (a thrown error is a normal return; a trap, an address-sanitizer report, a
/// hang or an unbounded allocation is a finding). SwiftPM links an executable's top-level
/// code as its `main`, so the targets call this rather than relying on libFuzzer's own
/// `main`.
public func fuzz(_ test: @escaping ([UInt8]) -> Void) -> Never {
    body = test
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        body(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }
    exit(status)
}

/// `bytes` written to a per-process temporary file, for readers that take a path.
public func temporaryFile(_ bytes: [UInt8], suffix: String) -> URL? {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("confit-fuzz-\(getpid())\(suffix)")
    return (try? Data(bytes).write(to: url)) == nil ? nil : url
}
