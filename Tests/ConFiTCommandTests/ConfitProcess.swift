import Foundation
import Testing

/// The `confit` executable (or another of the package's programs), built next to this
/// test bundle, running as a child process.
///
/// Standard output and error go to files, not pipes: a test polls them while the child
/// runs (to time a signal), and a pipe nobody drains would stall a chatty child.
final class ConfitProcess {
    /// Why a wait gave up.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let arguments: [String]
    let program: String
    private let process = Process()
    private let outputURL: URL, errorURL: URL

    /// Starts `program arguments...`, logging into `logs` (which must exist). With
    /// `fileSizeLimit` (KiB, `ulimit -f`) writing a larger file fails with EFBIG, as on a
    /// full disk, rather than killing the child with SIGXFSZ. `environment` adds to (or
    /// replaces) this process's variables.
    init(
        _ arguments: [String], logs: URL, program: String = "confit", fileSizeLimit: Int? = nil,
        environment extra: [String: String] = [:]
    ) throws {
        (self.arguments, self.program) = (arguments, program)
        let name = UUID().uuidString
        (outputURL, errorURL) = (
            logs.appendingPathComponent("\(name).stdout"), logs.appendingPathComponent("\(name).stderr")
        )
        for url in [outputURL, errorURL] { _ = FileManager.default.createFile(atPath: url.path, contents: nil) }
        let executable = try Self.executable(program)
        if let fileSizeLimit {
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments =
                ["-c", "trap '' XFSZ; ulimit -f \(fileSizeLimit); exec \"$0\" \"$@\"", executable.path] + arguments
        } else {
            (process.executableURL, process.arguments) = (executable, arguments)
        }
        var environment = ProcessInfo.processInfo.environment
        // OpenMP threads that spin at barriers starve each other on a busy 2-core machine
        // (4× slower training); sleeping instead changes timing, never results.
        environment["OMP_WAIT_POLICY"] = environment["OMP_WAIT_POLICY"] ?? "passive"
        process.environment = environment.merging(extra) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorURL)
        // The child inherits this thread's signal mask, and Swift Testing runs tests on
        // Dispatch's worker threads, which block SIGINT, SIGUSR1 and more: unblocked while
        // it starts, the child (`mpirun`, which must pass SIGUSR1 on) gets signals as from a shell.
        var none = sigset_t(), blocked = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, &blocked)
        defer { pthread_sigmask(SIG_SETMASK, &blocked, nil) }
        try process.run()
    }

    /// Runs `program arguments...` to the end.
    static func run(
        _ arguments: [String], logs: URL, program: String = "confit", timeout: TimeInterval = 120,
        environment: [String: String] = [:]
    ) throws -> ConfitProcess {
        let child = try ConfitProcess(arguments, logs: logs, program: program, environment: environment)
        try child.waitForExit(timeout: timeout)
        return child
    }

    /// The binary SwiftPM put beside the test bundle: on Linux the xctest runner's own
    /// folder (`Bundle.main`), on macOS the folder holding the `.xctest` bundle. An
    /// absolute path is taken as it is.
    static func executable(_ program: String) throws -> URL {
        if program.hasPrefix("/") { return URL(fileURLWithPath: program) }
        let folders = [
            Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent(),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
        ]
        let candidates = folders.map { $0.appendingPathComponent(program) }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw Failure(
                description: "no \(program) executable at \(candidates.map(\.path).joined(separator: " or ")); "
                    + "build it with `swift build --build-tests`")
        }
        return found
    }

    /// `name` on the `PATH`, for system programs such as `mpirun`.
    static func onPath(_ name: String) throws -> String {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        guard
            let found = folders.map({ "\($0)/\(name)" }).first(where: {
                FileManager.default.isExecutableFile(atPath: $0)
            })
        else {
            throw Failure(description: "no \(name) on the PATH; scripts/install-dependencies installs it")
        }
        return found
    }

    var standardOutput: String { (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "" }
    var standardError: String { (try? String(contentsOf: errorURL, encoding: .utf8)) ?? "" }

    /// The JSON objects among the standard output's lines (`--log-format json`).
    var events: [[String: Any]] {
        standardOutput.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    var terminationReason: Process.TerminationReason { process.terminationReason }
    var terminationStatus: Int32 { process.terminationStatus }
    var processIdentifier: Int32 { process.processIdentifier }

    /// The child's own children (`mpirun`'s ranks), by their process ids.
    var children: [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == process.processIdentifier
        }.sorted()
    }

    /// What the child printed, for failure messages.
    var transcript: String {
        "\(program) \(arguments.joined(separator: " "))\n--- stdout\n\(standardOutput)--- stderr\n\(standardError)"
    }

    /// Polls until `condition` holds; throws if the child exits first or time runs out, so
    /// a signal is never sent to a run that already finished.
    func wait(timeout: TimeInterval = 120, until what: String, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            guard process.isRunning else {
                throw Failure(description: "\(program) exited before \(what)\n\(transcript)")
            }
            guard Date() < deadline else { throw Failure(description: "no \(what) within \(timeout) s\n\(transcript)") }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }

    /// Polls until the child emits an event (`--log-format json`) that `matches` accepts.
    func waitForEvent(timeout: TimeInterval = 120, _ what: String, _ matches: @escaping ([String: Any]) -> Bool) throws
    {
        try wait(timeout: timeout, until: what) { events.contains(where: matches) }
    }

    /// Waits for the child to exit; after `timeout` kills it and throws.
    func waitForExit(timeout: TimeInterval = 120) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            guard Date() < deadline else {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                throw Failure(description: "\(program) still running after \(timeout) s\n\(transcript)")
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
        process.waitUntilExit()
    }

    /// Sends `signal` and waits for the child to exit.
    func interrupt(with signal: Int32, timeout: TimeInterval = 120) throws {
        #expect(kill(process.processIdentifier, signal) == 0, "kill(\(process.processIdentifier), \(signal))")
        try waitForExit(timeout: timeout)
    }

    /// Asserts the child exited by itself with `status` (not by a signal).
    func assertExited(with status: Int32, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(
            terminationReason == .exit, "killed by signal \(terminationStatus)\n\(transcript)",
            sourceLocation: sourceLocation)
        #expect(terminationStatus == status, "\(transcript)", sourceLocation: sourceLocation)
    }
}
