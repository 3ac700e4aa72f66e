import ConFiTIO

/// Lets `PickleMachine` rebuild the uint8 numpy arrays of CIFAR's python version, and
/// nothing else: the whitelist is `numpy…multiarray._reconstruct`, `numpy.ndarray`,
/// `numpy.dtype` and `_codecs.encode` (how Python 3 pickles bytes under protocol 2).
/// Arrays are rebuilt from their pickled state, never by running code.
struct NumPyPickleResolver: PickleResolver {
    /// A numpy array under construction (REDUCE creates it empty, BUILD fills it).
    final class Array {
        var shape: [Int] = []
        var dtype = ""
        var bytes: [UInt8] = []
    }

    /// A numpy dtype; only its type code ("u1", ...) matters here.
    final class DType {
        let code: String
        init(code: String) { self.code = code }
    }

    static let allowed: Set<String> = [
        "numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct", "numpy.ndarray",
        "numpy.dtype", "_codecs.encode",
    ]

    func resolveGlobal(module: String, name: String) throws -> PickleValue {
        guard Self.allowed.contains("\(module).\(name)") else {
            throw PickleError.Reason.disallowedGlobal(module: module, name: name)
        }
        return .global(module: module, name: name)
    }

    func reduce(_ callable: PickleValue, arguments: [PickleValue]) throws -> PickleValue {
        guard case let .global(_, name) = callable else {
            throw PickleError.Reason.invalid("cannot call \(callable.kindName)")
        }
        switch name {
        case "_reconstruct", "ndarray":
            return .object(Array())
        case "dtype":
            guard let code = arguments.first?.text else {
                throw PickleError.Reason.invalid("dtype without a type code")
            }
            return .object(DType(code: code))
        case "encode":
            guard let text = arguments.first?.text, arguments.count < 2 || arguments[1].text == "latin1" else {
                throw PickleError.Reason.invalid("_codecs.encode other than latin1 text")
            }
            let bytes = try text.unicodeScalars.map { scalar -> UInt8 in
                guard scalar.value < 256 else { throw PickleError.Reason.invalid("non-latin1 character in bytes") }
                return UInt8(scalar.value)
            }
            return .bytes(bytes)
        default:
            throw PickleError.Reason.invalid("cannot call \(name)")
        }
    }

    /// ndarray state: (version, shape, dtype, is_fortran, raw bytes); dtype state is ignored
    /// beyond its code because only single-byte types are accepted.
    func build(_ object: PickleValue, state: PickleValue) throws -> PickleValue {
        guard case let .object(built) = object else {
            throw PickleError.Reason.invalid("cannot set the state of \(object.kindName)")
        }
        if built is DType { return object }
        guard let array = built as? Array, let fields = state.elements, fields.count == 5,
            let shape = fields[1].elements?.compactMap(\.integer), case let .object(dtype as DType) = fields[2],
            case let .bytes(bytes) = fields[4]
        else { throw PickleError.Reason.invalid("unexpected numpy array state") }
        guard dtype.code == "u1" || dtype.code == "i1" else {
            throw PickleError.Reason.invalid("numpy dtype \(dtype.code) is not supported (uint8 only)")
        }
        guard shape.reduce(1, *) == bytes.count else {
            throw PickleError.Reason.invalid("array of shape \(shape) holds \(bytes.count) bytes")
        }
        array.shape = shape
        array.dtype = dtype.code
        array.bytes = bytes
        return object
    }
}
