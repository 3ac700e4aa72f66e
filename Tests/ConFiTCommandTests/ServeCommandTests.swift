import ConFiTTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `confit serve` as a process: it says where it listens, answers, and on SIGTERM answers
/// the requests it has already accepted, then exits 0.
@Suite struct ServeCommandTests {
    @Test func sigtermAnswersTheAcceptedRequestsThenExitsZero() async throws {
        let reference = try ReferenceRun.shared.get()
        let run = reference.workspace.appendingPathComponent("uninterrupted")
        // A batch waits up to 3 s for images on their way: while the third request's body is
        // held back, the first two wait in the queue, and all three are in flight at SIGTERM.
        let server = try ConfitProcess(
            ["serve", "--run", run.path, "--port", "0", "--threads", "2", "--max-wait-ms", "3000"],
            logs: reference.logs)
        try server.wait(timeout: 120, until: "the server listens") { server.standardOutput.contains("serving 2 tasks") }
        let line = try #require(server.standardOutput.split(separator: "\n").first { $0.hasPrefix("serving") })
        let port = try #require(line.split(separator: ":").last.flatMap { Int($0) })
        let image = try FixtureFiles(Bundle.module).bytes("rgb.jpg")
        let held = try HeldUpload(port: port, path: "/v1/tasks/0/predict", body: image)
        let answers = try (0..<2).map { k in
            let url = try #require(URL(string: "http://127.0.0.1:\(port)/v1/tasks/\(k % 2)/predict"))
            var request = URLRequest(url: url)
            (request.httpMethod, request.httpBody) = ("POST", Data(image))
            return Task { try await URLSession.shared.data(for: request) }
        }
        try await Task.sleep(for: .milliseconds(1000))
        kill(server.processIdentifier, SIGTERM)
        try await Task.sleep(for: .milliseconds(500))
        let last = try await held.finished()
        #expect(last.status == 200 && last.body.contains("predictions"), "\(last)")
        for answer in answers {
            let (body, response) = try await answer.value
            #expect((response as? HTTPURLResponse)?.statusCode == 200, "\(String(decoding: body, as: UTF8.self))")
            let json = try JSONSerialization.jsonObject(with: body) as? [String: Any]
            #expect((json?["predictions"] as? [Any])?.count == 1)
        }
        try server.waitForExit(timeout: 60)
        #expect(server.terminationReason == .exit && server.terminationStatus == 0, "\(server.transcript)")
        #expect(server.standardOutput.contains("stopped"), "\(server.transcript)")
    }
}
