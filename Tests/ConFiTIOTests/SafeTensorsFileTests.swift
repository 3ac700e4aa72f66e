import ConFiTTestSupport
import Foundation
import Testing

@testable import ConFiTIO

@Suite struct SafeTensorsFileTests {
    /// This test's scratch folder, removed with the suite instance after the test.
    let scratch: TemporaryDirectory

    init() throws { scratch = try TemporaryDirectory("confit-io") }

    /// One tensor of every dtype, its bytes written out by hand (IEEE bit patterns).
    static let everyDType: [(name: String, tensor: HostTensor)] = [
        (
            "f32",
            HostTensor(
                shape: [2, 2], dtype: .float32,
                bytes: littleEndian([Float(1.5).bitPattern, Float(-2).bitPattern, 0, Float(0.25).bitPattern]))
        ),
        ("f16", HostTensor(shape: [3], dtype: .float16, bytes: littleEndian([UInt16(0x3800), 0xBC00, 0x7BFF]))),
        ("bf16", HostTensor(shape: [3], dtype: .bfloat16, bytes: littleEndian([UInt16(0x3F80), 0xC020, 0x4040]))),
        (
            "f64",
            HostTensor(
                shape: [2], dtype: .float64, bytes: littleEndian([Double(0.001).bitPattern, Double(-2).bitPattern]))
        ),
        ("i64", HostTensor(shape: [2], dtype: .int64, bytes: littleEndian([Int64(-3), 1 << 40]))),
        ("i32", HostTensor(shape: [1, 3], dtype: .int32, bytes: littleEndian([Int32(1), -2, 3]))),
        ("u8", HostTensor(shape: [3], dtype: .uint8, bytes: [0, 1, 255])),
        ("bool", HostTensor(shape: [2], dtype: .bool, bytes: [1, 0])),
        ("scalar", HostTensor(shape: [], floats: [7.5])),
        ("empty", HostTensor(shape: [0, 4], dtype: .float32, bytes: [])),
    ]

    @Test func roundTripsEveryDType() throws {
        let url = scratch.url.appendingPathComponent("all.safetensors")
        try SafeTensorsFile(tensors: Self.everyDType, metadata: ["format": "pt", "note": "a \"quoted\" value"]).write(
            to: url)
        let file = try SafeTensorsFile(contentsOf: url)
        #expect(file.tensors.map(\.name) == Self.everyDType.map(\.name))
        for (expected, found) in zip(Self.everyDType, file.tensors) { #expect(expected.tensor == found.tensor) }
        #expect(file.metadata == ["format": "pt", "note": "a \"quoted\" value"])
        #expect(try file.tensor("f16").floats() == [0.5, -1, 65504])
        #expect(try file.tensor("bf16").floats() == [1, -2.5, 3])
        #expect(try file.tensor("f64").floats() == [0.001, -2])
        #expect(try file.tensor("i64").ints() == [-3, 1 << 40])
        #expect(try file.tensor("i32").ints() == [1, -2, 3])
        #expect(try file.tensor("bool").ints() == [1, 0])
        #expect(try file.tensor("scalar").shape == [])
        #expect(throws: TensorFileError.missingKey(path: url.path, key: "nope")) { try file.tensor("nope") }
    }

    @Test func writesTheDocumentedLayout() throws {
        let file = SafeTensorsFile(tensors: [("a", HostTensor(shape: [2], floats: [1, 2]))])
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#  // 54 bytes, padded to 56
        let expected =
            [56, 0, 0, 0, 0, 0, 0, 0] + Array(header.utf8) + Array("  ".utf8)
            + [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40]
        #expect(try file.serialized() == expected)
    }

    @Test func writeReplacesAtomicallyAndLeavesNoTemporaryFile() throws {
        let directory = scratch.url
        let url = directory.appendingPathComponent("w.safetensors")
        try SafeTensorsFile(tensors: [("a", HostTensor(shape: [1], floats: [1]))]).write(to: url)
        try SafeTensorsFile(tensors: [("b", HostTensor(shape: [1], floats: [2]))]).write(to: url)
        #expect(try SafeTensorsFile(contentsOf: url).tensors.map(\.name) == ["b"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["w.safetensors"])
    }

    @Test func refusesToWriteInconsistentTensors() {
        let bad = HostTensor(shape: [3], dtype: .float32, bytes: [0, 0, 0, 0])
        #expect(throws: TensorFileError.self) { try SafeTensorsFile(tensors: [("x", bad)]).serialized() }
        let good = HostTensor(shape: [1], floats: [1])
        #expect(throws: TensorFileError.self) { try SafeTensorsFile(tensors: [("x", good), ("x", good)]).serialized() }
        #expect(throws: TensorFileError.self) { try SafeTensorsFile(tensors: [("__metadata__", good)]).serialized() }
    }

    @Test(arguments: [0, 3, 7, 8, 20, 55, 63, 64, 100])
    func rejectsTruncation(at length: Int) throws {
        let bytes = try SafeTensorsFile(tensors: Self.everyDType).serialized()
        let url = try scratch.write(Array(bytes.prefix(length)))
        #expect(throws: TensorFileError.self) { try SafeTensorsFile(contentsOf: url) }
    }

    @Test func rejectsTruncationAnywhereInTheData() throws {
        let bytes = try SafeTensorsFile(tensors: Self.everyDType).serialized()
        for length in stride(from: 0, to: bytes.count, by: 5) {
            #expect(throws: TensorFileError.self) { try SafeTensorsFile(bytes: Array(bytes.prefix(length)), path: "t") }
        }
    }

    /// A file with the given header text (padded) and `dataLength` zero bytes of data.
    static func file(header: String, dataLength: Int) -> [UInt8] {
        let text = Array(header.utf8)
        return littleEndian([UInt64(text.count)]) + text + Array(repeating: 0, count: dataLength)
    }

    @Test(arguments: [
        ("not json", #"{"a": "#),
        ("not an object", "[1, 2]"),
        ("no dtype", #"{"a":{"shape":[1],"data_offsets":[0,4]}}"#),
        ("unknown dtype", #"{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}"#),
        ("negative dimension", #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#),
        ("fractional offset", #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4.5]}}"#),
        ("offsets reversed", #"{"a":{"dtype":"U8","shape":[0],"data_offsets":[8,0]}}"#),
        ("past the end", #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[4,20]}}"#),
        ("size mismatch", #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}"#),
        ("overflowing shape", #"{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,16]}}"#),
        (
            "overlap",
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        ),
        ("metadata not strings", #"{"__metadata__":{"n":1},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#),
    ])
    func rejectsCorruptHeaders(_ label: String, _ header: String) {
        let error = #expect(throws: TensorFileError.self) {
            try SafeTensorsFile(bytes: Self.file(header: header, dataLength: 16), path: "bad.safetensors")
        }
        #expect(error?.description.contains("bad.safetensors") == true, "\(label)")
    }

    @Test func rejectsAHeaderLengthLargerThanTheFile() {
        let bytes = littleEndian([UInt64.max]) + Array("{}".utf8)
        #expect(throws: TensorFileError.self) { try SafeTensorsFile(bytes: bytes, path: "t") }
    }

    @Test func acceptsAdjacentAndEmptyRanges() throws {
        let header =
            #"{"b":{"dtype":"U8","shape":[2],"data_offsets":[2,4]},"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}"#
        var bytes = Self.file(header: header, dataLength: 0)
        bytes += [1, 2, 3, 4]
        let file = try SafeTensorsFile(bytes: bytes, path: "t")
        #expect(file.tensors.map(\.name) == ["a", "b", "e"])
        #expect(try file.tensor("b").ints() == [3, 4])
    }
}
