/// The whitelist of globals a PyTorch checkpoint may name: the tensor and parameter
/// rebuild functions of `torch._utils`, the storage classes, and the dtypes. Calling a
/// rebuild function yields a `TorchTensorReference`; persistent ids yield storages, which
/// are recorded so the legacy reader knows each storage's element type.
final class TorchPickleResolver: PickleResolver {
    /// A storage class (`torch.FloatStorage`, or `torch.UntypedStorage` as bytes).
    private struct StorageClass {
        var dtype: DType
    }

    /// A dtype global such as `torch.float32`, an argument of `_rebuild_tensor_v3`.
    private struct TorchDType {
        var dtype: DType
    }

    private static let rebuildFunctions: Set<String> = [
        "_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_tensor_v3",
        "_rebuild_parameter", "_rebuild_parameter_with_state",
    ]

    private static let storageClasses: [String: DType] = [
        "FloatStorage": .float32, "HalfStorage": .float16, "BFloat16Storage": .bfloat16,
        "DoubleStorage": .float64, "LongStorage": .int64, "IntStorage": .int32,
        "ByteStorage": .uint8, "BoolStorage": .bool, "UntypedStorage": .uint8,
    ]

    private static let dtypes: [String: DType] = [
        "float32": .float32, "float": .float32, "float16": .float16, "half": .float16,
        "bfloat16": .bfloat16, "float64": .float64, "double": .float64, "int64": .int64,
        "long": .int64, "int32": .int32, "int": .int32, "uint8": .uint8, "bool": .bool,
    ]

    /// Every storage the pickle referred to, by key.
    private(set) var storages: [String: TorchTensorReference.Storage] = [:]

    func resolveGlobal(module: String, name: String) throws -> PickleValue {
        switch module {
        case "torch._utils" where Self.rebuildFunctions.contains(name):
            return .global(module: module, name: name)
        case "torch":
            if let dtype = Self.storageClasses[name] { return .object(StorageClass(dtype: dtype)) }
            if let dtype = Self.dtypes[name] { return .object(TorchDType(dtype: dtype)) }
        default:
            break
        }
        throw PickleError.Reason.disallowedGlobal(module: module, name: name)
    }

    func reduce(_ callable: PickleValue, arguments: [PickleValue]) throws -> PickleValue {
        guard case .global(_, let name) = callable else {
            throw PickleError.Reason.invalid("cannot call \(callable.kindName)")
        }
        if name.hasPrefix("_rebuild_parameter") {
            guard let data = arguments.first, case .object(let tensor as TorchTensorReference) = data else {
                throw PickleError.Reason.invalid("\(name) needs a tensor as its first argument")
            }
            return .object(tensor)
        }
        let minimum = name == "_rebuild_tensor" ? 4 : name == "_rebuild_tensor_v2" ? 6 : 7
        guard arguments.count >= minimum, case .object(let storageObject) = arguments[0],
            let storage = storageObject as? TorchTensorReference.Storage,
            let offset = arguments[1].integer,
            let shape = arguments[2].elements?.compactMap(\.integer), shape.count == arguments[2].elements?.count,
            let strides = arguments[3].elements?.compactMap(\.integer), strides.count == arguments[3].elements?.count
        else {
            throw PickleError.Reason.invalid(
                "\(name) needs (storage, offset, sizes, strides, ...), found \(arguments.map(\.kindName))")
        }
        var dtype = storage.dtype
        if name == "_rebuild_tensor_v3" {
            guard case .object(let dtypeObject as TorchDType) = arguments[6] else {
                throw PickleError.Reason.invalid("_rebuild_tensor_v3 needs a dtype, found \(arguments[6].kindName)")
            }
            guard storage.dtype == .uint8 else {
                throw PickleError.Reason.invalid("_rebuild_tensor_v3 needs an untyped storage")
            }
            dtype = dtypeObject.dtype
        }
        return .object(
            TorchTensorReference(storage: storage, dtype: dtype, offset: offset, shape: shape, strides: strides))
    }

    /// `('storage', class, key, location, count)` in zip files; legacy files add a sixth
    /// element, None or `(view key, element offset, view size)`.
    func persistentLoad(_ id: PickleValue) throws -> PickleValue {
        guard let fields = id.elements, fields.count == 5 || fields.count == 6, fields[0].text == "storage",
            case .object(let classObject) = fields[1], let storageClass = classObject as? StorageClass,
            let key = fields[2].text, let count = fields[4].integer, count >= 0
        else {
            throw PickleError.Reason.invalid("persistent id is not ('storage', storage class, key, location, size)")
        }
        if let known = storages[key], known.dtype != storageClass.dtype || known.count != count {
            throw PickleError.Reason.invalid("storage '\(key)' is referenced with different types or sizes")
        }
        storages[key] = TorchTensorReference.Storage(key: key, dtype: storageClass.dtype, count: count)
        var storage = TorchTensorReference.Storage(key: key, dtype: storageClass.dtype, count: count)
        if fields.count == 6, let view = fields[5].elements {
            guard view.count == 3, let viewOffset = view[1].integer, let viewCount = view[2].integer,
                viewOffset >= 0, viewCount >= 0, viewOffset <= count - viewCount
            else { throw PickleError.Reason.invalid("storage view of '\(key)' lies outside it") }
            storage.viewOffset = viewOffset
            storage.count = viewCount
        }
        return .object(storage)
    }
}
