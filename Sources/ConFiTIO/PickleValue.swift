/// A value on the stack of `PickleMachine`. Lists and dicts are reference types because
/// pickle mutates them after memoizing them (APPENDS, SETITEMS): every memo reference must
/// see the filled container, as in Python.
public enum PickleValue {
    /// Python's None (not `.none`, which reads as Optional.none wherever a value is optional).
    case null
    case bool(Bool)
    case int(Int)
    /// An integer too wide for `Int`, as its little-endian two's-complement bytes (LONG1/LONG4).
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    /// Python 3 `bytes`, and Python 2 `str` (BINSTRING), whose encoding pickle doesn't record.
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    /// A whitelisted global that a resolver let through, waiting for REDUCE.
    case global(module: String, name: String)
    /// Something a `PickleResolver` built (a tensor, a storage); resolvers cast it back.
    case object(Any)

    /// The text of a string, or of bytes that are valid UTF-8 (Python 2 keys).
    public var text: String? {
        switch self {
        case .string(let value): value
        case .bytes(let value): String(validating: value, as: UTF8.self)
        default: nil
        }
    }

    /// The integer, if this is one that fits `Int`.
    public var integer: Int? {
        if case .int(let value) = self { value } else { nil }
    }

    /// The elements of a tuple or a list.
    public var elements: [PickleValue]? {
        switch self {
        case .tuple(let items): items
        case .list(let list): list.items
        default: nil
        }
    }

    /// A short description of the kind of value, for error messages.
    public var kindName: String {
        switch self {
        case .null: "None"
        case .bool: "bool"
        case .int, .bigInt: "int"
        case .float: "float"
        case .string: "str"
        case .bytes: "bytes"
        case .tuple: "tuple"
        case .list: "list"
        case .dict: "dict"
        case .global(let module, let name): "\(module).\(name)"
        case .object(let object): "\(type(of: object))"
        }
    }
}

/// A pickled Python list, shared by reference between the stack and the memo.
public final class PickleList {
    public var items: [PickleValue]

    public init(_ items: [PickleValue] = []) {
        self.items = items
    }
}
