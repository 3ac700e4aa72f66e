import ConFiT
import ConFiTServe
import ConFiTTestSupport
import Foundation
import Testing

/// `confit serve` over real HTTP on loopback: the tasks it holds, predictions equal to
/// `confit predict`'s, mixed-task batches, bad input answered with the right status,
/// tasks added and removed at run time, metrics.
@Suite(.serialized) struct PredictionServerTests {
    /// Each probability of a prediction answer, by class index of the task.
    private func probabilities(_ answer: [String: Any], classes: [String]) throws -> [Float] {
        let top = try #require(answer["top"] as? [[String: Any]])
        var row = [Float](repeating: 0, count: classes.count)
        for entry in top {
            let name = try #require(entry["class"] as? String)
            let index = try #require(classes.firstIndex(of: name))
            row[index] = Float(try #require(entry["probability"] as? Double))
        }
        return row
    }

    private func expectClose(_ a: [Float], _ b: [Float], _ what: String) {
        let gap = zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
        #expect(a.count == b.count && gap <= 1e-5, "\(what): \(a) vs \(b)")
    }

    /// Every task with its classes, method and bytes; predictions of one image, of several
    /// (multipart), and of many concurrent requests for both tasks, each equal to
    /// `confit predict`'s; the batches they ran in, from `/metrics`.
    @Test func predictionsMatchPredictAndShareBatches() async throws {
        let run = try ServedRun.confit.get()
        let expected = try (0..<run.tasks).map { try run.predicted(task: $0) }
        let server = try await TestServer(try SharedBackbone(run: run.folder)) { $0.maxWaitMilliseconds = 5000 }
        defer { Task { await server.stop() } }

        let listed = try #require(try await server.request("GET", "/v1/tasks").json["tasks"] as? [[String: Any]])
        #expect(listed.map { $0["name"] as? String } == ["0", "1", "2"])
        #expect(listed.map { $0["method"] as? String } == ["confit", "confit", "confit"])
        // ResNet-18's 20 BNs hold 4,800 channels: scale and shift, 8 bytes each; and 2
        // classifier rows of 512 weights and a bias, 4 bytes each.
        #expect(listed.map { $0["bytes"] as? Int } == Array(repeating: 4800 * 8 + 1026 * 4, count: 3))
        let classes = try listed.map { try #require($0["classes"] as? [String]) }

        // Alone (the server warm), a request does not wait the 5 s a batch may wait to fill:
        // nothing else is coming.
        let clock = ContinuousClock.now
        let one = try await server.request(
            "POST", "/v1/tasks/1/predict?top=2", body: Data(try ServedRun.fixtures.bytes("rgb.jpg")),
            contentType: "image/jpeg")
        #expect(one.status == 200, "\(one.text)")
        #expect(ContinuousClock.now - clock < .milliseconds(2500), "a lone request waited for a batch to fill")
        let answered = try #require(one.json["predictions"] as? [[String: Any]])
        expectClose(try probabilities(answered[0], classes: classes[1]), expected[1][0], "rgb.jpg as task 1")

        let form = TestServer.multipart(try ServedRun.images.map { ($0, try ServedRun.fixtures.bytes($0)) })
        let both = try await server.request(
            "POST", "/v1/tasks/0/predict", body: form.body, contentType: form.contentType)
        let rows = try #require(both.json["predictions"] as? [[String: Any]])
        #expect(rows.map { $0["image"] as? String } == ServedRun.images)
        for (image, row) in rows.enumerated() {
            expectClose(try probabilities(row, classes: classes[0]), expected[0][image], "image \(image) as task 0")
        }

        // Eight requests at once, over the three tasks and both images, while a ninth is still
        // uploading: the batcher waits for the image on its way, so all nine share one forward.
        let held = try HeldUpload(
            port: server.port, path: "/v1/tasks/2/predict", body: try ServedRun.fixtures.bytes("gray.png"))
        let answers = try await withThrowingTaskGroup(of: (Int, TestServer.Answer).self) { group in
            for k in 0..<8 {
                let name = ServedRun.images[k % 2]
                let bytes = Data(try ServedRun.fixtures.bytes(name))
                group.addTask {
                    (k, try await server.request("POST", "/v1/tasks/\(k % 3)/predict", body: bytes))
                }
            }
            try await Task.sleep(for: .seconds(2))
            let last = try await held.finished()
            #expect(last.status == 200 && last.body.contains("predictions"), "\(last)")
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        for (k, answer) in answers {
            let row = try #require((answer.json["predictions"] as? [[String: Any]])?.first)
            let task = k % 3
            expectClose(try probabilities(row, classes: classes[task]), expected[task][k % 2], "request \(k)")
        }
        let metrics = try await server.request("GET", "/metrics").text
        let batches = Self.value(metrics, "confit_batch_size_count"),
            images = Self.value(metrics, "confit_batch_size_sum")
        #expect(images == 12, "1 + 2 + 9 images classified:\n\(metrics)")
        #expect(batches == 3, "the nine concurrent requests shared one forward:\n\(metrics)")
        #expect(
            metrics.contains(#"confit_requests_total{route="/v1/tasks/{task}/predict",task="1",status="200"}"#),
            "\(metrics)")
        #expect(Self.value(metrics, "confit_tasks") == 3)
    }

    /// Bad requests get their status and a JSON error naming the fault; the server goes on.
    @Test func badInputIsAnsweredNotFatal() async throws {
        let run = try ServedRun.confit.get()
        let server = try await TestServer(try SharedBackbone(run: run.folder)) {
            ($0.maxBodyBytes, $0.maxPixels, $0.token) = (20_000, 1_000_000, "secret")
        }
        defer { Task { await server.stop() } }
        let jpeg = Data(try ServedRun.fixtures.bytes("rgb.jpg"))
        let predict = "/v1/tasks/0/predict"
        let cases: [(String, String, Data?, String?, String?, Int, String)] = [
            ("POST", predict, jpeg, "image/jpeg", nil, 401, "bearer token"),
            ("POST", predict, jpeg, "image/jpeg", "wrong", 401, "bearer token"),
            ("POST", "/v1/tasks/7/predict", jpeg, "image/jpeg", "secret", 404, "no task named 7"),
            ("POST", predict, Data("not an image".utf8), "image/jpeg", "secret", 400, "neither a JPEG nor a PNG"),
            ("POST", predict, Data(try ServedRun.fixtures.bytes("corrupt.jpg")), "image/jpeg", "secret", 400, "image"),
            ("POST", predict, Data(), "image/png", "secret", 400, "empty"),
            ("POST", predict + "?top=0", jpeg, "image/jpeg", "secret", 400, "top must be"),
            ("POST", predict, jpeg, "multipart/form-data", "secret", 400, "without a boundary"),
            (
                "POST", predict, Data("--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nabc".utf8),
                "multipart/form-data; boundary=b", "secret", 400, "cut off"
            ),
            ("POST", predict, Data(count: 30_000), "image/jpeg", "secret", 413, "above the limit of 20000"),
            ("PUT", "/v1/tasks/x", jpeg, nil, "secret", 403, "--admin-token-file"),
            ("DELETE", "/v1/tasks/0", nil, nil, "secret", 403, "--admin-token-file"),
        ]
        for (method, path, body, type, token, status, message) in cases {
            let answer = try await server.request(method, path, body: body, contentType: type, token: token)
            #expect(answer.status == status, "\(method) \(path) \(type ?? ""): \(answer.text)")
            #expect(answer.error.contains(message), "\(method) \(path) \(type ?? ""): \(answer.text)")
        }
        // A 1,600 × 1,200 PNG header promises more pixels than allowed: refused unread.
        var png = try ServedRun.fixtures.bytes("gray.png")
        png.replaceSubrange(16..<24, with: [0, 0, 0x06, 0x40, 0, 0, 0x04, 0xB0])
        let crc = Self.crc32(png[12..<29])
        png.replaceSubrange(29..<33, with: (0..<4).map { UInt8(truncatingIfNeeded: crc >> (24 - 8 * $0)) })
        let bomb = try await server.request("POST", predict, body: Data(png), contentType: "image/png", token: "secret")
        #expect(bomb.status == 413 && bomb.error.contains("1600 × 1200"), "\(bomb.text)")
        let health = try await server.request("GET", "/healthz")
        #expect(health.status == 200 && health.json["tasks"] as? Int == 3)
    }

    /// More images than the queue holds: 503 with Retry-After, nothing queued.
    @Test func aFullQueueAsksToRetry() async throws {
        let server = try await TestServer(try SharedBackbone(run: try ServedRun.confit.get().folder)) {
            $0.maxQueue = 1
        }
        defer { Task { await server.stop() } }
        let form = TestServer.multipart(try ServedRun.images.map { ($0, try ServedRun.fixtures.bytes($0)) })
        let answer = try await server.request(
            "POST", "/v1/tasks/0/predict", body: form.body, contentType: form.contentType)
        #expect(answer.status == 503, "\(answer.text)")
        #expect(answer.headers["Retry-After"] == "1")
    }

    /// With the admin token a task file is added (and predicts as the run does), a damaged or
    /// misfitting one is refused with nothing changed, and a task is removed.
    @Test func tasksAreAddedAndRemovedWithTheAdminToken() async throws {
        let run = try ServedRun.simplecil.get()
        let backbone = try SharedBackbone(
            weights: run.folder.appendingPathComponent(TrainingCheckpoint.fileName), model: .resnet18)
        try backbone.add("first", TaskFile(exporting: 0, fromRunIn: run.folder))
        let server = try await TestServer(backbone) { $0.adminToken = "admin" }
        defer { Task { await server.stop() } }
        let folder = try TemporaryDirectory("confit-serve-put")
        let url = folder.appending("task.safetensors")
        try TaskFile(exporting: 1, fromRunIn: run.folder).file.write(to: url)
        let file = try Data(contentsOf: url)

        #expect(try await server.request("PUT", "/v1/tasks/second", body: file).status == 401)
        let damaged = try await server.request(
            "PUT", "/v1/tasks/second", body: file.prefix(file.count / 2), token: "admin")
        #expect(damaged.status == 400, "\(damaged.text)")
        let packnet = try TaskFile(exporting: 0, fromRunIn: try ServedRun.packnet.get().folder)
        try packnet.file.write(to: url)
        let misfit = try await server.request(
            "PUT", "/v1/tasks/second", body: try Data(contentsOf: url), token: "admin")
        #expect(misfit.status == 422 && misfit.error.contains("cannot be served beside"), "\(misfit.text)")
        #expect((try await server.request("GET", "/v1/tasks").json["tasks"] as? [[String: Any]])?.count == 1)

        // Requests for the first task run while the second is added and, below, removed.
        let image = Data(try ServedRun.fixtures.bytes("rgb.jpg"))
        let traffic = Task {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<6 {
                    group.addTask { try await server.request("POST", "/v1/tasks/first/predict", body: image).status }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
        }
        let added = try await server.request("PUT", "/v1/tasks/second", body: file, token: "admin")
        #expect(added.status == 201, "\(added.text)")
        let classes = try #require(added.json["classes"] as? [String])
        let answer = try await server.request(
            "POST", "/v1/tasks/second/predict", body: Data(try ServedRun.fixtures.bytes("gray.png")))
        let row = try #require((answer.json["predictions"] as? [[String: Any]])?.first)
        expectClose(try probabilities(row, classes: classes), try run.predicted(task: 1)[1], "gray.png as task 1")

        #expect(try await server.request("DELETE", "/v1/tasks/second", token: "admin").status == 204)
        #expect(try await traffic.value == Array(repeating: 200, count: 6))
        #expect(try await server.request("DELETE", "/v1/tasks/second", token: "admin").status == 404)
        #expect(try await server.request("POST", "/v1/tasks/second/predict", body: file).status == 404)
    }

    /// The page at `/` is one self-contained document: no external script, style or font.
    @Test func thePageIsSelfContained() async throws {
        let server = try await TestServer(try SharedBackbone(run: try ServedRun.confit.get().folder))
        defer { Task { await server.stop() } }
        let page = try await server.request("GET", "/")
        #expect(page.status == 200)
        #expect(page.text.contains("/v1/tasks"))
        #expect(
            !page.text.contains("src=\"http") && !page.text.contains("href=\"http") && !page.text.contains("@import"))
    }

    /// PNG's chunk checksum (CRC-32, polynomial 0xEDB88320), bit by bit.
    static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    /// The value of an unlabelled metric line `name value`.
    static func value(_ metrics: String, _ name: String) -> Double {
        metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap {
            Double($0.split(separator: " ")[1])
        }
            ?? .nan
    }
}
