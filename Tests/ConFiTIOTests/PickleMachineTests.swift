import ConFiTTestSupport
import Foundation
import Testing

@testable import ConFiTIO

@Suite struct PickleMachineTests {
    /// plain_pN.pkl: the PLAIN dict of make_pth_fixtures.py pickled with protocol N.
    @Test(arguments: [2, 3, 4, 5])
    func readsPlainValues(protocol version: Int) throws {
        let bytes = try fixtures.bytes("plain_p\(version).pkl")
        let (value, end) = try PickleMachine.load(bytes)
        #expect(end == bytes.count)
        guard case .dict(let dict) = value else {
            Issue.record("not a dict: \(value.kindName)")
            return
        }
        var names = [
            "int", "negative", "int64_min", "big", "float", "text", "none", "yes", "no", "nested",
            "empty_tuple", "shared_a", "shared_b", "long_text",
        ]
        if version >= 3 { names.append("bytes") }
        #expect(dict.entries.compactMap(\.key.text) == names)
        #expect(dict["int"]?.integer == 7)
        #expect(dict["negative"]?.integer == -123456)
        #expect(dict["int64_min"]?.integer == Int(Int64.min))
        guard case .bigInt(let big) = dict["big"] else {
            Issue.record("2**70 is not a big int")
            return
        }
        #expect(big == [0, 0, 0, 0, 0, 0, 0, 0, 0x40])
        guard case .float(let float) = dict["float"], case .null = dict["none"], case .bool(true) = dict["yes"],
            case .bool(false) = dict["no"], case .tuple(let emptyTuple) = dict["empty_tuple"]
        else {
            Issue.record("float, None, bools or tuple wrong")
            return
        }
        #expect(float == 1.25)
        #expect(emptyTuple.isEmpty)
        #expect(dict["text"]?.text == "h\u{e9}llo")
        #expect(dict["long_text"]?.text == String(repeating: "x", count: 300))
        let nested = try #require(dict["nested"]?.elements)
        #expect(nested.count == 3)
        #expect(nested[0].integer == 1)
        #expect(nested[1].elements?.compactMap(\.integer) == [2, 3])
        guard case .tuple(let inner) = nested[2] else {
            Issue.record("(4,) is not a tuple")
            return
        }
        #expect(inner.compactMap(\.integer) == [4])
        guard case .list(let sharedA) = dict["shared_a"], case .list(let sharedB) = dict["shared_b"] else {
            Issue.record("shared lists missing")
            return
        }
        #expect(sharedA === sharedB)
        #expect(sharedA.items.compactMap(\.integer) == [7, 8])
        if version >= 3 {
            guard case .bytes(let bytes) = dict["bytes"] else {
                Issue.record("bytes missing")
                return
            }
            #expect(bytes == [0, 0xFF])
        }
    }

    @Test(arguments: [2, 3, 4, 5])
    func rejectsEveryTruncation(protocol version: Int) throws {
        let bytes = try fixtures.bytes("plain_p\(version).pkl")
        for length in 0..<bytes.count {
            #expect(throws: PickleError.self) { try PickleMachine.load(Array(bytes.prefix(length))) }
        }
    }

    /// A list appended into itself through the memo (PROTO 2, EMPTY_LIST, BINPUT 0,
    /// BINGET 0, APPEND, STOP) and a dict set into itself: refused, since reference-counted
    /// containers holding themselves are never freed. (The fuzzer's input, a cycle through
    /// an OrderedDict that then fails to parse, leaked the same way; it is a seed of
    /// `scripts/fuzz FuzzPickle`, whose LeakSanitizer checks it: Fuzz/regressions/.)
    @Test func refusesCyclicContainers() throws {
        for bytes: [UInt8] in [
            [0x80, 0x02, 0x5D, 0x71, 0x00, 0x68, 0x00, 0x61, 0x2E],
            [0x80, 0x02, 0x7D, 0x71, 0x00, 0x4B, 0x01, 0x68, 0x00, 0x73, 0x2E],
        ] {
            let error = #expect(throws: PickleError.self) { try PickleMachine.load(bytes) }
            #expect(error?.description.contains("cyclic") == true, "\(String(describing: error))")
        }
        // A cycle left in the memo, outside the result (EMPTY_DICT, BINPUT 0, BINGET 0 twice,
        // SETITEM, POP, then the result NONE) still reads; that it is freed is checked under
        // LeakSanitizer by `scripts/fuzz FuzzPickle`, whose seeds include it.
        let (value, _) = try PickleMachine.load([
            0x80, 0x02, 0x7D, 0x71, 0x00, 0x68, 0x00, 0x68, 0x00, 0x73, 0x30, 0x4E, 0x2E,
        ])
        guard case .null = value else {
            Issue.record("not None: \(value.kindName)")
            return
        }
    }

    /// 30,000 nested lists (`]` × n, APPEND × n − 1: 2 bytes a level) are refused at once,
    /// in linear time, and released without recursing through them; 500 levels still read.
    @Test func refusesDeepNestingQuickly() throws {
        func nested(_ n: Int) -> [UInt8] {
            [0x80, 0x02] + Array(repeating: 0x5D, count: n) + Array(repeating: 0x61, count: n - 1) + [0x2E]
        }
        let start = Date()
        let error = #expect(throws: PickleError.self) { try PickleMachine.load(nested(30_000)) }
        #expect(error?.description.contains("nested deeper than 1000 levels") == true, "\(String(describing: error))")
        #expect(Date().timeIntervalSince(start) < 5)
        #expect(try PickleMachine.load(nested(500)).end == 1_002)
    }

    @Test func refusesGlobalsOffTheWhitelist() {
        // pickle.dumps of a call to os.system("ls"), protocol 2: GLOBAL at byte 2.
        let global: [UInt8] =
            [0x80, 0x02] + Array("cos\nsystem\nX".utf8) + [2, 0, 0, 0] + Array("ls".utf8) + [0x85, 0x52, 0x2E]
        #expect(throws: PickleError(.disallowedGlobal(module: "os", name: "system"), opcode: "GLOBAL", offset: 2)) {
            try PickleMachine.load(global)
        }
        // The same with protocol 4's STACK_GLOBAL at byte 17.
        let stackGlobal: [UInt8] =
            [0x80, 0x04, 0x8C, 5] + Array("posix".utf8) + [0x8C, 6] + Array("system".utf8) + [0x93, 0x2E]
        let error = #expect(throws: PickleError.self) { try PickleMachine.load(stackGlobal) }
        #expect(error?.description == "pickle opcode STACK_GLOBAL at byte 17: global posix.system is not allowed")
        #expect(throws: PickleError(.disallowedGlobal(module: "torch", name: "load"), opcode: "GLOBAL", offset: 2)) {
            try PickleMachine.load(
                [0x80, 0x02] + Array("ctorch\nload\n".utf8) + [0x2E], resolver: TorchPickleResolver())
        }
    }

    @Test func namesUnsupportedAndUnknownOpcodes() {
        // Protocol 0's INT opcode, after a MARK.
        #expect(throws: PickleError(.unsupportedOpcode, opcode: "INT", offset: 3)) {
            try PickleMachine.load([0x80, 0x02, 0x28] + Array("I1\n.".utf8))
        }
        #expect(throws: PickleError(.unknownOpcode(0xFF), opcode: "0xff", offset: 2)) {
            try PickleMachine.load([0x80, 0x02, 0xFF])
        }
        #expect(throws: PickleError(.invalid("pickle protocol 6 is newer than 5"), opcode: "PROTO", offset: 0)) {
            try PickleMachine.load([0x80, 0x06, 0x4E, 0x2E])
        }
    }

    @Test func rejectsInconsistentStreams() {
        let cases: [[UInt8]] = [
            [0x2E],  // STOP on an empty stack
            [0x28, 0x2E],  // STOP right after MARK: nothing above the mark
            [0x74, 0x2E],  // TUPLE with no MARK
            [0x4E, 0x68, 0x05, 0x2E],  // BINGET of a memo entry never put
            [0x4E, 0x4E, 0x61, 0x2E],  // APPEND to None
            [0x7D, 0x28, 0x4E, 0x75, 0x2E],  // SETITEMS with an odd item count
            [0x8B, 0xFF, 0xFF, 0xFF, 0xFF],  // LONG4 with a negative length
            [0x58, 0xFF, 0xFF, 0xFF, 0xFF],  // BINUNICODE longer than the stream
            [0x8D] + [UInt8](repeating: 0xFF, count: 8),  // BINUNICODE8 with a huge length
            [0x58, 2, 0, 0, 0, 0xC3, 0x28, 0x2E],  // invalid UTF-8
            [0x4E, 0x29, 0x52, 0x2E],  // REDUCE on None
            [0x63] + Array("collections\nOrderedDict".utf8),  // GLOBAL without its final newline
        ]
        for bytes in cases {
            #expect(throws: PickleError.self, "\(bytes)") { try PickleMachine.load(bytes) }
        }
    }

    @Test func loadsConsecutivePicklesAndSmallLongs() throws {
        // LONG1 of -1 (one byte 0xff), then LONG1 of 255 (ff 00), then an empty LONG1.
        let bytes: [UInt8] = [0x8A, 1, 0xFF, 0x2E, 0x8A, 2, 0xFF, 0x00, 0x2E, 0x8A, 0, 0x2E]
        let first = try PickleMachine.load(bytes)
        let second = try PickleMachine.load(bytes, at: first.end)
        let third = try PickleMachine.load(bytes, at: second.end)
        #expect(first.value.integer == -1)
        #expect(second.value.integer == 255)
        #expect(third.value.integer == 0)
        #expect(third.end == bytes.count)
    }
}
