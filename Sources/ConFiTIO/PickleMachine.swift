/// A pickle virtual machine for the subset of protocols 2–5 that checkpoints use: Python's
/// plain values and containers, memo, marks and frames, with every global, call, BUILD
/// and persistent id handed to a `PickleResolver`. It never runs code: a global is only a
/// name until the resolver gives it a meaning, and the resolver's whitelist is the whole
/// of what a file can do. Every read is bounds-checked; every failure is a `PickleError`
/// naming the opcode and byte offset.
public struct PickleMachine {
    private var reader: ByteReader
    private let resolver: any PickleResolver
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]

    /// Runs the pickle that starts at `offset` in `bytes` up to its STOP and returns the
    /// unpickled value with the offset just past the STOP (where a following pickle starts).
    public static func load(
        _ bytes: [UInt8], at offset: Int = 0, resolver: any PickleResolver = PlainPickleResolver()
    ) throws(PickleError) -> (value: PickleValue, end: Int) {
        var machine = PickleMachine(reader: ByteReader(bytes, at: offset), resolver: resolver)
        do {
            let value = try machine.run()
            machine.dismantle(keeping: try machine.checkShape(value))
            return (value, machine.reader.position)
        } catch {
            machine.dismantle()
            throw error
        }
    }

    private init(reader: ByteReader, resolver: any PickleResolver) {
        self.reader = reader
        self.resolver = resolver
    }

    private mutating func run() throws(PickleError) -> PickleValue {
        while true {
            let start = reader.position
            guard start < reader.bytes.count else {
                throw PickleError(.truncated(needed: 1, available: 0), opcode: "STOP", offset: start)
            }
            let code = reader.bytes[start]
            reader.position += 1
            do {
                if let result = try step(code) { return result }
            } catch let error as ByteReader.OutOfBounds {
                throw PickleError(
                    .truncated(needed: error.needed, available: error.available), opcode: Self.name(of: code),
                    offset: start)
            } catch let reason as PickleError.Reason {
                throw PickleError(reason, opcode: Self.name(of: code), offset: start)
            } catch {
                throw PickleError(.invalid("\(error)"), opcode: Self.name(of: code), offset: start)
            }
        }
    }

    /// Executes one opcode; returns the result at STOP.
    private mutating func step(_ code: UInt8) throws -> PickleValue? {
        switch code {
        case 0x80:  // PROTO
            let version = try reader.byte()
            guard version <= 5 else { throw PickleError.Reason.invalid("pickle protocol \(version) is newer than 5") }
        case 0x95:  // FRAME: a length prefix for buffering, nothing to do
            _ = try reader.unsigned(width: 8)
        case ascii("."):
            return try pop()
        case ascii("("):
            marks.append(stack.count)
        case ascii("0"):
            if stack.count > (marks.last ?? 0) { stack.removeLast() } else { _ = try popMark() }
        case ascii("1"):
            _ = try popMark()
        case ascii("2"):
            stack.append(try top())
        case ascii("N"):
            stack.append(.null)
        case 0x88, 0x89:
            stack.append(.bool(code == 0x88))
        case ascii("J"):
            stack.append(.int(Int(Int32(truncatingIfNeeded: try reader.unsigned(width: 4)))))
        case ascii("K"):
            stack.append(.int(Int(try reader.byte())))
        case ascii("M"):
            stack.append(.int(Int(try reader.unsigned(width: 2))))
        case 0x8A:  // LONG1
            let count = Int(try reader.byte())
            stack.append(Self.long(reader.bytes[try reader.take(count)]))
        case 0x8B:  // LONG4
            let count = Int32(truncatingIfNeeded: try reader.unsigned(width: 4))
            guard count >= 0 else { throw PickleError.Reason.invalid("negative LONG4 length \(count)") }
            stack.append(Self.long(reader.bytes[try reader.take(Int(count))]))
        case ascii("G"):  // BINFLOAT, big-endian
            let range = try reader.take(8)
            stack.append(.float(Double(bitPattern: reader.bytes[range].reduce(UInt64(0)) { $0 << 8 | UInt64($1) })))
        case ascii("X"), 0x8C, 0x8D:  // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
            let width = code == 0x8C ? 1 : code == 0x8D ? 8 : 4
            let range = try reader.take(length: try reader.unsigned(width: width))
            guard let text = String(validating: reader.bytes[range], as: UTF8.self) else {
                throw PickleError.Reason.invalid("string is not valid UTF-8")
            }
            stack.append(.string(text))
        case ascii("B"), ascii("C"), 0x8E, ascii("U"):  // BINBYTES, SHORT_BINBYTES, BINBYTES8, SHORT_BINSTRING
            let width = code == ascii("C") || code == ascii("U") ? 1 : code == 0x8E ? 8 : 4
            stack.append(.bytes(Array(reader.bytes[try reader.take(length: try reader.unsigned(width: width))])))
        case ascii("T"):  // BINSTRING, signed length
            let count = Int32(truncatingIfNeeded: try reader.unsigned(width: 4))
            guard count >= 0 else { throw PickleError.Reason.invalid("negative BINSTRING length \(count)") }
            stack.append(.bytes(Array(reader.bytes[try reader.take(Int(count))])))
        case ascii(")"):
            stack.append(.tuple([]))
        case ascii("t"):
            stack.append(.tuple(try popMark()))
        case 0x85, 0x86, 0x87:  // TUPLE1, TUPLE2, TUPLE3
            stack.append(.tuple(try pop(Int(code - 0x84))))
        case ascii("]"):
            stack.append(.list(track(PickleList())))
        case ascii("l"):
            stack.append(.list(track(PickleList(try popMark()))))
        case ascii("a"):
            let item = try pop()
            try topList().items.append(item)
        case ascii("e"):
            let items = try popMark()
            try topList().items.append(contentsOf: items)
        case ascii("}"):
            stack.append(.dict(track(PickleDict())))
        case ascii("d"):
            let dict = track(PickleDict())
            try Self.setPairs(try popMark(), in: dict)
            stack.append(.dict(dict))
        case ascii("s"):
            let value = try pop()
            let key = try pop()
            try topDict().set(key, value)
        case ascii("u"):
            let items = try popMark()
            try Self.setPairs(items, in: try topDict())
        case ascii("q"):
            memo[Int(try reader.byte())] = try top()
        case ascii("r"):
            memo[Int(try reader.unsigned(width: 4))] = try top()
        case 0x94:  // MEMOIZE
            memo[memo.count] = try top()
        case ascii("h"), ascii("j"):  // BINGET, LONG_BINGET
            let index = Int(code == ascii("h") ? UInt64(try reader.byte()) : try reader.unsigned(width: 4))
            guard let value = memo[index] else { throw PickleError.Reason.invalid("memo has no entry \(index)") }
            stack.append(value)
        case ascii("c"):  // GLOBAL
            let module = try line()
            let name = try line()
            stack.append(try global(module: module, name: name))
        case 0x93:  // STACK_GLOBAL
            let name = try pop()
            let module = try pop()
            guard let moduleText = module.text, let nameText = name.text else {
                throw PickleError.Reason.invalid(
                    "STACK_GLOBAL needs two strings, found \(module.kindName) and \(name.kindName)")
            }
            stack.append(try global(module: moduleText, name: nameText))
        case ascii("R"):
            let arguments = try pop()
            let callable = try pop()
            guard case .tuple(let items) = arguments else {
                throw PickleError.Reason.invalid("REDUCE arguments are a \(arguments.kindName), not a tuple")
            }
            stack.append(try reduce(callable, arguments: items))
        case ascii("b"):
            let state = try pop()
            let object = try pop()
            if case .dict = object {
                stack.append(object)  // attributes of a dict subclass (torch's `_metadata`): not data
            } else {
                stack.append(try resolver.build(object, state: state))
            }
        case ascii("Q"):
            stack.append(try resolver.persistentLoad(try pop()))
        default:
            throw Self.names[code] == nil ? PickleError.Reason.unknownOpcode(code) : .unsupportedOpcode
        }
        return nil
    }

    private func global(module: String, name: String) throws -> PickleValue {
        if module == "collections" && name == "OrderedDict" { return .global(module: module, name: name) }
        return try resolver.resolveGlobal(module: module, name: name)
    }

    private mutating func reduce(_ callable: PickleValue, arguments: [PickleValue]) throws -> PickleValue {
        guard case .global("collections", "OrderedDict") = callable else {
            return try resolver.reduce(callable, arguments: arguments)
        }
        let dict = track(PickleDict())
        if let pairs = arguments.first {
            guard arguments.count == 1, let items = pairs.elements else {
                throw PickleError.Reason.invalid("OrderedDict takes one list of pairs")
            }
            for item in items {
                guard let pair = item.elements, pair.count == 2 else {
                    throw PickleError.Reason.invalid("OrderedDict item is not a pair")
                }
                dict.set(pair[0], pair[1])
            }
        }
        return .dict(dict)
    }

    private static func setPairs(_ items: [PickleValue], in dict: PickleDict) throws {
        guard items.count % 2 == 0 else { throw PickleError.Reason.invalid("odd number of items for a dict") }
        for index in stride(from: 0, to: items.count, by: 2) { dict.set(items[index], items[index + 1]) }
    }

    /// Every list and dict the pickle made, for `dismantle()`.
    private var containers: [AnyObject] = []

    private mutating func track<Container: AnyObject>(_ container: Container) -> Container {
        containers.append(container)
        return container
    }

    /// The deepest nesting a pickle may build, and how many values it may expand to per
    /// byte: far beyond any state dict, far below what would exhaust the stack (releasing
    /// nested containers recurses) or the time (memo references can share a value many times).
    static let maximumDepth = 1000, valuesPerByte = 64

    /// Refuses a result whose containers hold themselves (pickle can build that through
    /// the memo; reference-counted containers in a cycle are never freed), that nests
    /// deeper than `maximumDepth`, or that expands to more than `valuesPerByte` values per
    /// input byte. One pass with an explicit stack: no recursion, linear in the values.
    /// Returns the containers the result holds.
    private func checkShape(_ value: PickleValue) throws(PickleError) -> Set<ObjectIdentifier> {
        func refuse(_ reason: String) -> PickleError {
            PickleError(.invalid(reason), opcode: "STOP", offset: reader.position - 1)
        }
        var pending: [(value: PickleValue, depth: Int, leaving: Bool)] = [(value, 0, false)]
        var open = Set<ObjectIdentifier>(), done = Set<ObjectIdentifier>()
        var budget = Self.valuesPerByte * max(reader.bytes.count, 16)
        while let (value, depth, leaving) = pending.popLast() {
            let children: [PickleValue]
            let object: AnyObject?
            switch value {
            case .tuple(let items): (children, object) = (items, nil)
            case .list(let list): (children, object) = (list.items, list)
            case .dict(let dict): (children, object) = (dict.entries.flatMap { [$0.key, $0.value] }, dict)
            default: continue
            }
            if let object {
                let id = ObjectIdentifier(object)
                if leaving {
                    open.remove(id)
                    done.insert(id)
                    continue
                }
                if open.contains(id) { throw refuse("a container holds itself (a cyclic pickle)") }
                if done.contains(id) { continue }
                open.insert(id)
                pending.append((value, depth, true))
            }
            guard depth < Self.maximumDepth else {
                throw refuse("containers nested deeper than \(Self.maximumDepth) levels")
            }
            budget -= children.count
            guard budget >= 0 else {
                throw refuse("the pickle expands to more than \(Self.valuesPerByte) values per byte")
            }
            pending += children.map { ($0, depth + 1, false) }
        }
        return done
    }

    /// Empties every container the pickle made but `kept` before they are released, so
    /// that neither a cycle (never freed) nor deep nesting (released recursively) outlives
    /// the machine — left in the memo, or in a refused result.
    private mutating func dismantle(keeping kept: Set<ObjectIdentifier> = []) {
        var released: [PickleValue] = []
        for container in containers where !kept.contains(ObjectIdentifier(container)) {
            if let list = container as? PickleList {
                released += list.items
                list.items = []
            }
            if let dict = container as? PickleDict {
                released += dict.entries.flatMap { [$0.key, $0.value] }
                dict.removeAll()
            }
        }
        (stack, memo, containers) = ([], [:], [])
        withExtendedLifetime(released) {}
    }

    /// A newline-terminated ASCII line (the operands of GLOBAL).
    private mutating func line() throws -> String {
        let bytes = reader.bytes
        guard let end = bytes[reader.position...].firstIndex(of: ascii("\n")) else {
            throw PickleError.Reason.truncated(needed: reader.remaining + 1, available: reader.remaining)
        }
        let range = try reader.take(end - reader.position)
        reader.position += 1
        guard let text = String(validating: bytes[range], as: UTF8.self) else {
            throw PickleError.Reason.invalid("GLOBAL name is not valid UTF-8")
        }
        return text
    }

    /// A little-endian two's-complement integer; `.bigInt` when it doesn't fit `Int`.
    private static func long(_ raw: ArraySlice<UInt8>) -> PickleValue {
        var bytes = Array(raw)
        while bytes.count > 8, let last = bytes.last, let before = bytes.dropLast().last,
            (last == 0 && before < 0x80) || (last == 0xFF && before >= 0x80)
        {
            bytes.removeLast()
        }
        guard bytes.count <= 8 else { return .bigInt(bytes) }
        guard let last = bytes.last else { return .int(0) }
        var value = bytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        if last >= 0x80 && bytes.count < 8 { value |= ~UInt64(0) << (8 * UInt64(bytes.count)) }
        return .int(Int(Int64(bitPattern: value)))
    }

    private func top() throws -> PickleValue {
        guard stack.count > (marks.last ?? 0), let value = stack.last else {
            throw PickleError.Reason.invalid("stack is empty")
        }
        return value
    }

    private mutating func pop() throws -> PickleValue {
        let value = try top()
        stack.removeLast()
        return value
    }

    private mutating func pop(_ count: Int) throws -> [PickleValue] {
        guard stack.count - (marks.last ?? 0) >= count else {
            throw PickleError.Reason.invalid("stack holds fewer than \(count) items")
        }
        defer { stack.removeLast(count) }
        return Array(stack.suffix(count))
    }

    private mutating func popMark() throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw PickleError.Reason.invalid("no MARK on the stack") }
        defer { stack.removeSubrange(mark...) }
        return Array(stack[mark...])
    }

    private func topList() throws -> PickleList {
        let value = try top()
        guard case .list(let list) = value else {
            throw PickleError.Reason.invalid("appending to a \(value.kindName), not a list")
        }
        return list
    }

    private func topDict() throws -> PickleDict {
        let value = try top()
        guard case .dict(let dict) = value else {
            throw PickleError.Reason.invalid("setting an item of a \(value.kindName), not a dict")
        }
        return dict
    }

    private static func name(of code: UInt8) -> String {
        names[code] ?? "0x" + String(code, radix: 16)
    }

    /// Every opcode of pickle protocols 0–5, by the names pickletools uses.
    private static let names: [UInt8: String] = [
        0x28: "MARK", 0x2E: "STOP", 0x30: "POP", 0x31: "POP_MARK", 0x32: "DUP", 0x46: "FLOAT",
        0x49: "INT", 0x4A: "BININT", 0x4B: "BININT1", 0x4C: "LONG", 0x4D: "BININT2", 0x4E: "NONE",
        0x50: "PERSID", 0x51: "BINPERSID", 0x52: "REDUCE", 0x53: "STRING", 0x54: "BINSTRING",
        0x55: "SHORT_BINSTRING", 0x56: "UNICODE", 0x58: "BINUNICODE", 0x61: "APPEND", 0x62: "BUILD",
        0x63: "GLOBAL", 0x64: "DICT", 0x7D: "EMPTY_DICT", 0x65: "APPENDS", 0x67: "GET", 0x68: "BINGET",
        0x69: "INST", 0x6A: "LONG_BINGET", 0x6C: "LIST", 0x5D: "EMPTY_LIST", 0x6F: "OBJ", 0x70: "PUT",
        0x71: "BINPUT", 0x72: "LONG_BINPUT", 0x73: "SETITEM", 0x74: "TUPLE", 0x29: "EMPTY_TUPLE",
        0x75: "SETITEMS", 0x47: "BINFLOAT", 0x80: "PROTO", 0x81: "NEWOBJ", 0x82: "EXT1", 0x83: "EXT2",
        0x84: "EXT4", 0x85: "TUPLE1", 0x86: "TUPLE2", 0x87: "TUPLE3", 0x88: "NEWTRUE", 0x89: "NEWFALSE",
        0x8A: "LONG1", 0x8B: "LONG4", 0x42: "BINBYTES", 0x43: "SHORT_BINBYTES", 0x8C: "SHORT_BINUNICODE",
        0x8D: "BINUNICODE8", 0x8E: "BINBYTES8", 0x8F: "EMPTY_SET", 0x90: "ADDITEMS", 0x91: "FROZENSET",
        0x92: "NEWOBJ_EX", 0x93: "STACK_GLOBAL", 0x94: "MEMOIZE", 0x95: "FRAME", 0x96: "BYTEARRAY8",
        0x97: "NEXT_BUFFER", 0x98: "READONLY_BUFFER",
    ]
}

private func ascii(_ character: Unicode.Scalar) -> UInt8 { UInt8(ascii: character) }
