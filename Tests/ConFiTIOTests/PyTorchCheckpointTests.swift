import ConFiTTestSupport
import Foundation
import Testing

@testable import ConFiTIO

@Suite struct PyTorchCheckpointTests {
    /// This test's scratch folder, removed with the suite instance after the test.
    let scratch: TemporaryDirectory

    init() throws { scratch = try TemporaryDirectory("confit-io") }

    /// STATE of make_pth_fixtures.py: name, dtype, shape, values.
    static let state: [(name: String, dtype: DType, shape: [Int], values: [Float])] = [
        ("f32", .float32, [2, 3], [1.5, -2, 3.25, 0, 4.5, -6.75]),
        ("f16", .float16, [3], [0.5, -1, 65504]),
        ("bf16", .bfloat16, [3], [1, -2.5, 3]),
        ("f64", .float64, [2], [0.001, -2]),
        ("i64", .int64, [4], [-3, 0, 7, 1_099_511_627_776]),
        ("i32", .int32, [3], [1, -2, 3]),
        ("u8", .uint8, [3], [0, 1, 255]),
        ("bool", .bool, [3], [1, 0, 1]),
        ("scalar", .float32, [], [7.5]),
        ("transposed", .float32, [4, 3], [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]),
        ("column", .float32, [3], [2, 6, 10]),
        ("sliced", .float32, [4], [3, 4, 5, 6]),
        ("strided", .float64, [3], [1, 4, 7]),
        ("expanded", .float32, [3, 2], [1, 2, 1, 2, 1, 2]),
        ("param", .float32, [2], [0.25, 0.75]),
        ("empty", .float32, [0, 3], []),
    ]

    @Test(arguments: [("state_zip.pth", TensorFileFormat.pytorchZip), ("state_legacy.pth", .pytorchLegacy)])
    func readsEveryDTypeAndView(_ name: String, _ format: TensorFileFormat) throws {
        let checkpoint = try PyTorchCheckpoint(contentsOf: try fixtures.url(name))
        #expect(checkpoint.format == format)
        #expect(checkpoint.stateDictPath == [])
        #expect(checkpoint.tensors.map(\.name) == Self.state.map(\.name))
        for expected in Self.state {
            let tensor = try checkpoint.tensor(expected.name)
            #expect(tensor.dtype == expected.dtype, "\(expected.name)")
            #expect(tensor.shape == expected.shape, "\(expected.name)")
            #expect(tensor.floats() == expected.values, "\(expected.name)")
        }
        #expect(try checkpoint.tensor("i64").ints() == [-3, 0, 7, 1 << 40])
        #expect(try checkpoint.tensor("f64").bytes == littleEndian([Double(0.001).bitPattern, Double(-2).bitPattern]))
    }

    @Test func findsANestedStateDictAndStripsModulePrefix() throws {
        let checkpoint = try PyTorchCheckpoint(contentsOf: try fixtures.url("nested_zip.pth"))
        #expect(checkpoint.stateDictPath == ["model"])
        #expect(checkpoint.tensors.map(\.name) == ["fc.weight", "fc.bias"])
        #expect(try checkpoint.tensor("fc.weight").floats() == [0.5, -0.5, 1, 2])
        #expect(try checkpoint.tensor("fc.bias").floats() == [0.125, -0.125])
    }

    @Test func checksTheByteOrderEntry() throws {
        let little = try PyTorchCheckpoint(contentsOf: try fixtures.url("byteorder_little.pth"))
        #expect(try little.tensor("fc.bias").floats() == [0.125, -0.125])
        let error = #expect(throws: TensorFileError.self) {
            try PyTorchCheckpoint(contentsOf: try fixtures.url("byteorder_big.pth"))
        }
        #expect(error?.description.contains("byte order 'big'") == true)
    }

    @Test func stripsStackedPrefixesInLegacyFiles() throws {
        let checkpoint = try PyTorchCheckpoint(contentsOf: try fixtures.url("nested_legacy.pth"))
        #expect(checkpoint.format == .pytorchLegacy)
        #expect(checkpoint.stateDictPath == ["state_dict"])
        #expect(checkpoint.tensors.map(\.name) == ["conv.weight", "conv.bias"])
        #expect(try checkpoint.tensor("conv.weight").shape == [1, 1, 2, 2])
        #expect(try checkpoint.tensor("conv.weight").floats() == [1, 2, 3, 4])
        let unstripped = try PyTorchCheckpoint(contentsOf: try fixtures.url("nested_legacy.pth"), strippingPrefixes: [])
        #expect(unstripped.tensors.map(\.name) == ["module.model.conv.weight", "module.model.conv.bias"])
    }

    @Test func stripsOnlyPrefixesThatEveryNameCarries() {
        #expect(
            PyTorchCheckpoint.strippingPrefixes(["module.", "model."], from: ["model.a", "model.b"]) == ["a", "b"])
        #expect(PyTorchCheckpoint.strippingPrefixes(["module."], from: ["module.a", "b"]) == ["module.a", "b"])
        #expect(PyTorchCheckpoint.strippingPrefixes(["", "x"], from: ["xa"]) == ["a"])
    }

    @Test(arguments: ["state_zip.pth", "state_legacy.pth", "nested_zip.pth", "nested_legacy.pth"])
    func rejectsTruncation(_ name: String) throws {
        let bytes = try fixtures.bytes(name)
        let directory = scratch.url
        for length in Array(stride(from: 0, to: bytes.count, by: 29)) + [bytes.count - 1] {
            let url = directory.appendingPathComponent("\(length).pth")
            try Data(bytes.prefix(length)).write(to: url)
            #expect(throws: TensorFileError.self, "\(name) cut at \(length)") { try PyTorchCheckpoint(contentsOf: url) }
        }
    }

    /// Overwrites single bytes throughout the file: each result must read or fail with a
    /// `TensorFileError` that names the file (corrupt data bytes can still make a valid
    /// file), never crash; and the structure bytes must be caught often.
    @Test(arguments: ["state_zip.pth", "state_legacy.pth"])
    func survivesCorruptBytes(_ name: String) throws {
        let bytes = try fixtures.bytes(name)
        let directory = scratch.url
        var (tried, failed) = (0, 0)
        for position in stride(from: 0, to: bytes.count, by: 13) {
            var corrupt = bytes
            corrupt[position] ^= 0x5A
            let url = directory.appendingPathComponent("\(position).pth")
            try Data(corrupt).write(to: url)
            tried += 1
            do { _ = try PyTorchCheckpoint(contentsOf: url) } catch {
                failed += 1
                #expect(error.description.contains(url.path), "byte \(position): \(error)")
            }
        }
        #expect(failed > tried / 10, "\(failed) of \(tried) corruptions detected")
    }

    /// The fuzzer's find: a ZIP64 end record whose central directory starts at 2⁶⁴ − 1,
    /// which ZIPFoundation would convert to `off_t` and trap on. Refused before it reads.
    @Test func refusesDirectoryOffsetsBeyondTheFile() throws {
        let bytes = try fixtures.bytes("zip64_offset_beyond_int64.pth")
        let url = try scratch.write(bytes)
        let error = #expect(throws: TensorFileError.self) { try PyTorchCheckpoint(contentsOf: url) }
        #expect(error?.description.contains("central directory") == true, "\(String(describing: error))")
        #expect(error?.description.contains(url.path) == true)
    }

    @Test func rejectsAWrongMagicNumberAndStorageSize() throws {
        var bytes = try fixtures.bytes("state_legacy.pth")
        bytes[5] ^= 0xFF  // inside the 10-byte magic LONG1 at byte 4
        let error = #expect(throws: TensorFileError.self) {
            try PyTorchCheckpoint(contentsOf: try scratch.write(bytes))
        }
        #expect(error?.description.contains("magic number") == true)

        var sizes = try fixtures.bytes("nested_legacy.pth")
        let storages = sizes.count - (4 * 4 + 8) - (1 * 4 + 8)  // conv.weight: 4 floats, conv.bias: 1, in saving order
        sizes[storages] = 9
        #expect(throws: TensorFileError.self) { try PyTorchCheckpoint(contentsOf: try scratch.write(sizes)) }
    }

    @Test func reportsAPickleErrorWithItsOffset() throws {
        var bytes = try fixtures.bytes("state_legacy.pth")
        bytes[1] = 9  // PROTO 9
        let url = try scratch.write(bytes)
        #expect(
            throws: TensorFileError.pickle(
                path: url.path,
                error: PickleError(.invalid("pickle protocol 9 is newer than 5"), opcode: "PROTO", offset: 0))
        ) {
            try PyTorchCheckpoint(contentsOf: url)
        }
    }

    /// Pickles that call os.system inside torch.save's layouts: refused at the GLOBAL.
    @Test(arguments: [("malicious_zip.pth", 2), ("malicious_legacy.pth", 139)])
    func refusesToRunGlobals(_ name: String, _ offset: Int) throws {
        let error = #expect(throws: TensorFileError.self) { try PyTorchCheckpoint(contentsOf: try fixtures.url(name)) }
        guard case .pickle(_, let pickleError) = error else {
            Issue.record("not a pickle error: \(String(describing: error))")
            return
        }
        #expect(
            pickleError
                == PickleError(.disallowedGlobal(module: "posix", name: "system"), opcode: "GLOBAL", offset: offset))
    }

    @Test func sniffsEachFormat() throws {
        #expect(try TensorFileFormat.sniff(try fixtures.url("state_zip.pth")) == .pytorchZip)
        #expect(try TensorFileFormat.sniff(try fixtures.url("state_legacy.pth")) == .pytorchLegacy)
        // A safetensors header length of 0x0280 starts with the bytes of PROTO 2.
        let entry = #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#
        let header = entry + String(repeating: " ", count: 640 - entry.utf8.count)
        let safetensors = littleEndian([UInt64(640)]) + Array(header.utf8) + [42]
        let url = try scratch.write(safetensors)
        #expect(try TensorFileFormat.sniff(url) == .safetensors)
        let file = try TensorFile(contentsOf: url)
        #expect(file.format == .safetensors)
        #expect(try file.tensor("a").ints() == [42])
        let nested = try TensorFile(contentsOf: try fixtures.url("nested_zip.pth"))
        #expect(nested.format == .pytorchZip)
        #expect(nested.metadata == ["state_dict_path": "model"])
        #expect(try nested.tensor("fc.bias").floats() == [0.125, -0.125])
        #expect(throws: TensorFileError.self) { try TensorFile(contentsOf: URL(fileURLWithPath: "/nonexistent/x.pth")) }
    }

    @Test func rebuildsV3TensorsFromUntypedStorage() throws {
        // _rebuild_tensor_v3(UntypedStorage '0' of 8 bytes, offset 1, (2,), (1,), False, OrderedDict(), torch.float16)
        func text(_ string: String) -> [UInt8] { [0x8C, UInt8(string.utf8.count)] + Array(string.utf8) }
        let pickle: [UInt8] =
            [0x80, 0x02] + Array("ctorch._utils\n_rebuild_tensor_v3\n(".utf8)
            + [0x28] + text("storage") + Array("ctorch\nUntypedStorage\n".utf8) + text("0") + text("cpu") + [
                0x4B, 8, 0x74, 0x51,
            ]
            + [0x4B, 1, 0x4B, 2, 0x85, 0x4B, 1, 0x85, 0x89] + Array("ccollections\nOrderedDict\n)R".utf8)
            + Array("ctorch\nfloat16\n".utf8) + [0x74, 0x52, 0x2E]
        let value = try PickleMachine.load(pickle, resolver: TorchPickleResolver()).value
        guard case .object(let object) = value, let reference = object as? TorchTensorReference else {
            Issue.record("not a tensor: \(value.kindName)")
            return
        }
        let storage = littleEndian([UInt16(0x3C00), 0x4000, 0xC200, 0x0000])  // 1, 2, -3, 0 as float16
        let tensor = try reference.hostTensor(from: storage[...])
        #expect(tensor.dtype == .float16)
        #expect(tensor.floats() == [2, -3])
        #expect(throws: PickleError.Reason.self) { try reference.hostTensor(from: storage.prefix(5)) }
    }
}
