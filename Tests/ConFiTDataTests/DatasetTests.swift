import ConFiTTestSupport
import Foundation
import Testing

@testable import ConFiTData

/// Every dataset reader on small trees built in a temporary folder from the fixtures.
struct DatasetTests {
    let jpeg: [UInt8]
    let png: [UInt8]

    init() throws {
        jpeg = try fixtures.bytes("images/rgb.jpg")
        png = try fixtures.bytes("images/gray.png")
    }

    @Test func imageFolderSortsByteOrderAndReportsSkippedFiles() throws {
        let folder = try TemporaryDirectory("confit-data")
        let root = folder.path
        try folder.write(
            [
                "b/1.jpg": jpeg, "b/2.PNG": png, "b/notes.txt": [1], "a/x.jpeg": jpeg, "a/y.jpg": jpeg,
                "a/z.jpg": jpeg, "a/w.jpg": jpeg, "a/v.jpg": jpeg, "B/q.jpg": jpeg, "README": [1],
            ])
        let data = try DatasetKind.folder.load(root: root)
        #expect(data.classNames == ["B", "a", "b"])
        #expect(data.train.count + data.test.count == 8)
        #expect(data.classCounts(.test) == [0, 1, 1])
        #expect(Set(data.skipped.map { ($0.path as NSString).lastPathComponent }) == ["notes.txt", "README"])
        let ids = (data.train + data.test).map(\.id)
        #expect(Set(ids).count == 8)
    }

    @Test func imageFolderUsesTrainAndTestSubfolders() throws {
        let folder = try TemporaryDirectory("confit-data")
        let root = folder.path
        try folder.write(["train/a/1.jpg": jpeg, "train/b/1.jpg": jpeg, "test/a/2.jpg": jpeg, "test/b/2.jpg": jpeg])
        let data = try DatasetKind.folder.load(root: root)
        #expect(data.train.count == 2 && data.test.count == 2)
        #expect(data.test.allSatisfy { if case let .file(p) = $0.source { p.contains("/test/") } else { false } })
    }

    @Test func emptyClassAndMissingRootAreErrors() throws {
        let folder = try TemporaryDirectory("confit-data")
        let root = folder.path
        try folder.write(["a/1.jpg": jpeg, "b/readme.txt": [1]])
        #expect { try DatasetKind.folder.load(root: root) } throws: { error in
            guard case let DataError.emptyClass(folder) = error else { return false }
            return folder.hasSuffix("/b")
        }
        #expect { try DatasetKind.caltech101.load(root: root + "/nope") } throws: { error in
            "\(error)".contains(root + "/nope")
        }
    }

    /// BACKGROUND_Google excluded, a split file selects test images, the parent folder works as root.
    @Test func caltech101WithSplitFile() throws {
        let folder = try TemporaryDirectory("confit-data")
        let root = folder.path
        let base = "101_ObjectCategories"
        try folder.write(
            [
                "\(base)/BACKGROUND_Google/1.jpg": jpeg, "\(base)/BACKGROUND_Google/tmp": [1],
                "\(base)/Faces_easy/image_0001.jpg": jpeg, "\(base)/Faces_easy/image_0002.jpg": jpeg,
                "\(base)/ant/image_0001.jpg": jpeg, "\(base)/ant/image_0002.jpg": jpeg,
                "split.json": Array(#"{"classes": ["Faces_easy", "ant"], "test": ["ant/image_0002.jpg"]}"#.utf8),
                "bad_split.json": Array(#"{"test": ["ant/image_0009.jpg"]}"#.utf8),
            ])
        let data = try DatasetKind.caltech101.load(
            root: root, options: DatasetOptions(split: .file(root + "/split.json")))
        #expect(data.classNames == ["Faces_easy", "ant"])
        #expect(data.train.count == 3 && data.test.count == 1)
        #expect(data.test[0].label == 1)
        #expect(data.skipped.map { ($0.path as NSString).lastPathComponent } == ["BACKGROUND_Google"])
        #expect {
            try DatasetKind.caltech101.load(root: root, options: DatasetOptions(split: .file(root + "/bad_split.json")))
        } throws: { "\($0)".contains("image_0009.jpg") }
        #expect(throws: DataError.self) { try DatasetKind.caltech101.load(root: root) }
    }

    @Test func stratifiedSplitIsSeededAndPerClass() throws {
        let labels = Array(repeating: 0, count: 10) + Array(repeating: 1, count: 5) + [2]
        let a = try SplitAssignment.stratified(labels: labels, classes: 3, testFraction: 0.2, seed: 7)
        let b = try SplitAssignment.stratified(labels: labels, classes: 3, testFraction: 0.2, seed: 7)
        let c = try SplitAssignment.stratified(labels: labels, classes: 3, testFraction: 0.2, seed: 8)
        #expect(a == b && a != c)
        #expect(a[0..<10].filter { $0 }.count == 2)
        #expect(a[10..<15].filter { $0 }.count == 1)
        #expect(a[15] == false)
    }

    @Test func flowers102OfficialAndStratifiedSplits() throws {
        let folder = try TemporaryDirectory("confit-data")
        let root = folder.path
        var files: [String: [UInt8]] = [
            "flowers-102/imagelabels.mat": try fixtures.bytes("mat/imagelabels.mat"),
            "flowers-102/setid.mat": try fixtures.bytes("mat/setid.mat"),
            "flowers-102/jpg/extra.txt": [1],
        ]
        for i in 1...12 { files[String(format: "flowers-102/jpg/image_%05d.jpg", i)] = jpeg }
        try folder.write(files)
        let official = try DatasetKind.flowers102.load(root: root, options: DatasetOptions(split: .official))
        #expect(official.classNames == ["1", "2", "3"])
        #expect(official.train.count == 6 && official.test.count == 6)
        #expect(official.train[0].label == 0 && official.train[1].label == 1 && official.train[2].label == 2)
        #expect(official.skipped.map { ($0.path as NSString).lastPathComponent } == ["extra.txt"])
        let stratified = try DatasetKind.flowers102.load(
            root: root, options: DatasetOptions(split: .stratified(testFraction: 0.2, seed: 0)))
        #expect(stratified.train.count + stratified.test.count == 12)
        #expect { try DatasetKind.flowers102.load(root: root) } throws: {
            "\($0)".contains("flowers102_split.json (embedded)")
        }
    }

    /// The standard Flowers-102 split is the official ConFiT code's test list, exactly: the
    /// embedded file against the copy of `protocols/flowers102_split.json` in this target,
    /// over a dataset with Flowers-102's 8,189 images and 102 classes.
    @Test func flowers102StandardSplitIsTheOfficialConFiTList() throws {
        struct SplitFile: Decodable { var classes: [String], test: [String] }
        let expected = try JSONDecoder().decode(SplitFile.self, from: Data(fixtures.bytes("flowers102_split.json")))
        #expect(expected.test.count == 1638 && expected.classes == (1...102).map(String.init))
        let folder = try TemporaryDirectory("confit-data")
        try folder.write([
            "flowers-102/imagelabels.mat": try fixtures.bytes("mat/imagelabels_8189.mat"), "flowers-102/jpg/.keep": [],
        ])
        let data = try DatasetKind.flowers102.load(root: folder.path)
        let relative = { (sample: Sample) -> String in
            guard case let .file(path) = sample.source else { return "" }
            return path.components(separatedBy: "/").suffix(2).joined(separator: "/")
        }
        #expect(data.test.map(relative).sorted() == expected.test.sorted())
        #expect(data.train.count == 8189 - 1638)
        #expect(Set(data.train.map(relative)).isDisjoint(with: expected.test))
        #expect(data.test.map(\.label).prefix(3) == [2, 3, 8], "image k has label (k - 1) % 102 in this fixture")
    }

    @Test func cub200ReadsItsTables() throws {
        let folder = try TemporaryDirectory("confit-data")
        let root = folder.path
        let base = "CUB_200_2011"
        try folder.write(
            [
                "\(base)/images.txt": Array("1 001.Albatross/a.jpg\n2 002.Auklet/b.jpg\n3 002.Auklet/c.jpg\n".utf8),
                "\(base)/image_class_labels.txt": Array("1 1\n2 2\n3 2\n".utf8),
                "\(base)/train_test_split.txt": Array("1 1\n2 0\n3 1\n".utf8),
                "\(base)/classes.txt": Array("1 001.Albatross\n2 002.Auklet\n".utf8),
            ])
        let data = try DatasetKind.cub200.load(root: root)
        #expect(data.classNames == ["001.Albatross", "002.Auklet"])
        #expect(data.train.map(\.label) == [0, 1] && data.test.map(\.label) == [1])
        guard case let .file(path) = data.test[0].source else {
            Issue.record("expected a file")
            return
        }
        #expect(path.hasSuffix("CUB_200_2011/images/002.Auklet/b.jpg"))
        try folder.write(["\(base)/image_class_labels.txt": Array("1 1\n2 7\n3 2\n".utf8)])
        #expect { try DatasetKind.cub200.load(root: root) } throws: { error in
            guard case let DataError.labelOutOfRange(p, label, classes) = error else { return false }
            return p.hasSuffix("image_class_labels.txt") && label == 6 && classes == 2
        }
    }

    /// Records are label + R, G, B planes; the store holds HWC.
    @Test func cifar10BinaryRecords() throws {
        let folder = try TemporaryDirectory("confit-data")
        let root = folder.path
        func record(_ label: UInt8, _ r: UInt8, _ g: UInt8, _ b: UInt8) -> [UInt8] {
            [label] + Array(repeating: r, count: 1024) + Array(repeating: g, count: 1024)
                + Array(repeating: b, count: 1024)
        }
        var files: [String: [UInt8]] = ["cifar-10-batches-bin/test_batch.bin": record(9, 1, 2, 3)]
        for i in 1...5 {
            files["cifar-10-batches-bin/data_batch_\(i).bin"] = record(UInt8(i), 10, 20, 30) + record(0, 0, 0, 0)
        }
        try folder.write(files)
        let data = try DatasetKind.cifar10.load(root: root)
        #expect(data.train.count == 10 && data.test.count == 1)
        #expect(data.classNames[9] == "truck")
        #expect(data.test[0].label == 9)
        guard case let .memory(store, index) = data.test[0].source else {
            Issue.record("expected memory")
            return
        }
        #expect(store.image(at: index).pixels.prefix(6) == [1, 2, 3, 1, 2, 3])
        try folder.write(["cifar-10-batches-bin/test_batch.bin": record(10, 0, 0, 0)])
        #expect { try DatasetKind.cifar10.load(root: root) } throws: { "\($0)".contains("test_batch.bin") }
    }

    /// The python version: pickled dicts with numpy arrays (fixtures from make_fixtures.py).
    @Test func cifarPythonPickles() throws {
        let ten = try DatasetKind.cifar10.load(root: fixtures.root.path)
        #expect(ten.root.hasSuffix("cifar-10-batches-py"))
        #expect(ten.train.map(\.label) == [1, 2, 3, 4, 5] && ten.test.map(\.label) == [9])
        #expect(ten.classNames.first == "airplane")
        guard case let .memory(store, index) = ten.train[2].source else {
            Issue.record("expected memory")
            return
        }
        #expect(store.image(at: index).pixels.prefix(6) == [30, 103, 200, 30, 103, 200])
        let hundred = try DatasetKind.cifar100.load(root: fixtures.root.path)
        #expect(hundred.classNames.count == 100 && hundred.classNames[42] == "class42")
        #expect(hundred.train.map(\.label) == [99, 0, 42] && hundred.test.map(\.label) == [7])
        guard case let .memory(store100, index100) = hundred.train[1].source else {
            Issue.record("expected memory")
            return
        }
        #expect(store100.image(at: index100).pixels.prefix(3) == [11, 101, 200])
    }

    @Test func cifarPickleWithForeignGlobalIsRefused() throws {
        let folder = try TemporaryDirectory("confit-data")
        let root = folder.path
        var files: [String: [UInt8]] = [:]
        for name in ["train", "test", "meta"] {
            files["cifar-100-python/\(name)"] = try fixtures.bytes("cifar-100-python/\(name)")
        }
        files["cifar-100-python/meta"] = [0x80, 0x02] + Array("cos\nsystem\n)R.".utf8)
        try folder.write(files)
        #expect { try DatasetKind.cifar100.load(root: root) } throws: { error in
            "\(error)".contains("os.system") && "\(error)".contains("meta")
        }
    }

    @Test func mnistFromGzippedIDX() throws {
        let folder = try TemporaryDirectory("confit-data")
        let root = folder.path
        var files: [String: [UInt8]] = [:]
        for name in [
            "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
        ] {
            files["MNIST/raw/\(name).gz"] = try fixtures.bytes("idx/\(name).gz")
        }
        try folder.write(files)
        let data = try DatasetKind.mnist.load(root: root)
        #expect(data.train.map(\.label) == [3, 1, 4, 1] && data.test.map(\.label) == [5, 9])
        guard case let .memory(store, _) = data.train[0].source else {
            Issue.record("expected memory")
            return
        }
        #expect(store.width == 28 && store.channels == 1)
        let image = try BatchLoader(samples: data.test, options: .evaluation(batchSize: 2)).prepared(
            data.test[0], decoder: ImageDecoder())
        #expect(image.channels == 3 && image.width == 224)
    }

    /// Truncated gzip, a lying header and absurd dimensions are errors naming the file.
    @Test func malformedIDXFilesAreErrors() throws {
        let folder = try TemporaryDirectory("confit-data")
        let root = folder.path
        let gz = try fixtures.bytes("idx/train-images-idx3-ubyte.gz")
        try folder.write(
            [
                "cut.gz": Array(gz.prefix(gz.count / 2)),
                "short": [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3],
                "huge": [0, 0, 8, 3] + Array(repeating: 0xFF, count: 12),
            ])
        for name in ["cut.gz", "short", "huge"] {
            #expect { try IDXFile(path: root + "/" + name) } throws: { "\($0)".contains(name) }
        }
    }

    @Test func unknownDatasetNameListsKnownOnes() {
        #expect { try DatasetKind(name: "imagenet") } throws: { "\($0)".contains("caltech101") }
    }
}
