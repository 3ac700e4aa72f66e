import Foundation
import ZIPFoundation

/// The state dict of a file written by `torch.save`, in either of its formats, read
/// without Python and without running any of the pickle's code (see `TorchPickleResolver`
/// for the whitelist). Checkpoints often wrap the state dict (`{"state_dict": ...}`,
/// `{"model": ..., "optimizer": ...}`) and prefix its keys (`module.` from
/// DataParallel); both are undone so the names match the model's.
public struct PyTorchCheckpoint: Sendable {
    public let format: TensorFileFormat
    /// The state dict's tensors in its order, prefixes stripped.
    public let tensors: [(name: String, tensor: HostTensor)]
    /// The keys leading from the file's top-level object to the state dict ([] when the
    /// top level is the state dict).
    public let stateDictPath: [String]
    public let path: String
    private let indexOfName: [String: Int]

    /// Keys under which checkpoints nest their state dict, tried in this order.
    static let stateDictKeys = ["state_dict", "model_state_dict", "model", "module", "net", "network", "weights"]

    /// Reads the file, finds its state dict and strips each of `prefixes` that every key
    /// carries (repeatedly, so `module.model.` goes too).
    public init(
        contentsOf url: URL, strippingPrefixes prefixes: [String] = ["module.", "model."]
    ) throws(TensorFileError) {
        let path = url.path
        let format = try TensorFileFormat.sniff(url)
        let read:
            (
                root: PickleValue,
                storageBytes: (TorchTensorReference.Storage) throws(TensorFileError) -> ArraySlice<UInt8>
            )
        switch format {
        case .pytorchZip: read = try Self.readZip(url)
        case .pytorchLegacy: read = try Self.readLegacy(url)
        case .safetensors:
            throw TensorFileError.malformed(
                path: path, reason: "not a PyTorch file (neither a zip archive nor a pickle)")
        }
        guard let (stateDictPath, dict) = Self.stateDict(in: read.root) else {
            let keys = if case .dict(let dict) = read.root { dict.entries.compactMap(\.key.text) } else { [String]() }
            throw TensorFileError.malformed(
                path: path,
                reason:
                    "no state dict (a dict of tensors) at the top level or under \(Self.stateDictKeys); top-level keys: \(keys)"
            )
        }
        var cache: [String: ArraySlice<UInt8>] = [:]
        var tensors: [(name: String, tensor: HostTensor)] = []
        for (key, value) in dict.entries {
            guard let name = key.text, case .object(let object) = value, let reference = object as? TorchTensorReference
            else { continue }
            let bytes: ArraySlice<UInt8>
            if let cached = cache[reference.storage.key] {
                bytes = cached
            } else {
                bytes = try read.storageBytes(reference.storage)
                cache[reference.storage.key] = bytes
            }
            do { tensors.append((name, try reference.hostTensor(from: bytes))) } catch {
                throw TensorFileError.malformed(path: path, reason: "tensor '\(name)': \(error)")
            }
        }
        let names = Self.strippingPrefixes(prefixes, from: tensors.map(\.name))
        self.format = format
        self.tensors = zip(names, tensors).map { ($0, $1.tensor) }
        self.stateDictPath = stateDictPath
        self.path = path
        self.indexOfName = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The tensor named `name` (after prefix stripping), or a `missingKey` error.
    public func tensor(_ name: String) throws(TensorFileError) -> HostTensor {
        guard let index = indexOfName[name] else { throw TensorFileError.missingKey(path: path, key: name) }
        return tensors[index].tensor
    }

    /// `names` with each prefix removed while every name carries it (a prefix that only
    /// some names have is part of those names, not a wrapper's).
    public static func strippingPrefixes(_ prefixes: [String], from names: [String]) -> [String] {
        var names = names
        while let prefix = prefixes.first(where: { prefix in
            !prefix.isEmpty && !names.isEmpty && names.allSatisfy { $0.hasPrefix(prefix) }
        }) {
            names = names.map { String($0.dropFirst(prefix.count)) }
        }
        return names
    }

    /// The state dict in an unpickled checkpoint: `root` itself if it is a non-empty dict
    /// whose keys are strings and values tensors, else the first of `stateDictKeys` that
    /// holds one (searched a few levels deep; pickles can be cyclic, so not further).
    static func stateDict(in root: PickleValue, depth: Int = 3) -> (path: [String], dict: PickleDict)? {
        guard case .dict(let dict) = root else { return nil }
        let isStateDict =
            !dict.entries.isEmpty
            && dict.entries.allSatisfy { key, value in
                guard key.text != nil, case .object(let object) = value else { return false }
                return object is TorchTensorReference
            }
        if isStateDict { return ([], dict) }
        guard depth > 0 else { return nil }
        for key in stateDictKeys {
            if let child = dict[key], let found = stateDict(in: child, depth: depth - 1) {
                return ([key] + found.path, found.dict)
            }
        }
        return nil
    }

    /// The zip format: `<name>/data.pkl`, storages in `<name>/data/<key>`, and an optional
    /// `<name>/byteorder` that must say little-endian.
    private static func readZip(
        _ url: URL
    ) throws(TensorFileError)
        -> (PickleValue, (TorchTensorReference.Storage) throws(TensorFileError) -> ArraySlice<UInt8>)
    {
        let path = url.path
        let archive: Archive
        do { try ZipBounds.check(try Data(contentsOf: url, options: .alwaysMapped), path: path) } catch let error
            as TensorFileError
        {
            throw error
        } catch {
            throw TensorFileError.malformed(path: path, reason: "cannot read (\(error))")
        }
        do { archive = try Archive(url: url, accessMode: .read) } catch {
            throw TensorFileError.malformed(path: path, reason: "not a readable zip archive (\(error))")
        }
        func extract(_ entry: Entry) throws(TensorFileError) -> [UInt8] {
            var data = Data()
            do { _ = try archive.extract(entry) { data.append($0) } } catch {
                throw TensorFileError.malformed(path: path, reason: "cannot extract \(entry.path) (\(error))")
            }
            return [UInt8](data)
        }
        guard
            let pickleEntry = archive.first(where: {
                $0.path.hasSuffix("/data.pkl") && $0.path.split(separator: "/").count == 2
            })
        else {
            throw TensorFileError.malformed(path: path, reason: "zip archive has no <name>/data.pkl")
        }
        let prefix = String(pickleEntry.path.dropLast("data.pkl".count))
        if let byteOrder = archive[prefix + "byteorder"] {
            let order = String(decoding: try extract(byteOrder), as: UTF8.self)
            guard order == "little" else {
                throw TensorFileError.malformed(path: path, reason: "byte order '\(order)' is not little-endian")
            }
        }
        let resolver = TorchPickleResolver()
        let pickle = try extract(pickleEntry)
        let root: PickleValue
        do { root = try PickleMachine.load(pickle, resolver: resolver).value } catch {
            throw TensorFileError.pickle(path: path + ":" + pickleEntry.path, error: error)
        }
        return (
            root,
            { (storage) throws(TensorFileError) in
                let name = prefix + "data/" + storage.key
                guard let entry = archive[name] else {
                    throw TensorFileError.malformed(path: path, reason: "storage \(name) is missing")
                }
                let expected = HostTensor.byteCount(shape: [storage.count], dtype: storage.dtype)
                guard let expected, UInt64(expected) == entry.uncompressedSize else {
                    throw TensorFileError.malformed(
                        path: path,
                        reason:
                            "storage \(name) holds \(entry.uncompressedSize) bytes, not \(storage.count) × \(storage.dtype.rawValue)"
                    )
                }
                return try extract(entry)[...]
            }
        )
    }

    /// The legacy format: pickles of the magic number, the protocol version (1001) and
    /// the system info, the object, the list of storage keys; then for each key in that
    /// order an 8-byte little-endian element count and the storage's raw bytes.
    private static func readLegacy(
        _ url: URL
    ) throws(TensorFileError)
        -> (PickleValue, (TorchTensorReference.Storage) throws(TensorFileError) -> ArraySlice<UInt8>)
    {
        let path = url.path
        func malformed(_ reason: String) -> TensorFileError { .malformed(path: path, reason: reason) }
        let bytes: [UInt8]
        do { bytes = [UInt8](try Data(contentsOf: url)) } catch {
            throw TensorFileError.unreadable(path: path, reason: error.localizedDescription)
        }
        let resolver = TorchPickleResolver()
        var offset = 0
        func next(_ resolver: any PickleResolver = PlainPickleResolver()) throws(TensorFileError) -> PickleValue {
            do {
                let (value, end) = try PickleMachine.load(bytes, at: offset, resolver: resolver)
                offset = end
                return value
            } catch {
                throw TensorFileError.pickle(path: path, error: error)
            }
        }
        guard case .bigInt(let magic) = try next(), magic == legacyMagic else {
            throw malformed("not a PyTorch legacy file: the first pickle is not the magic number")
        }
        guard case .int(let version) = try next(), version == 1001 else {
            throw malformed("unsupported legacy protocol version (expected 1001)")
        }
        guard case .dict(let systemInfo) = try next() else { throw malformed("system info is not a dict") }
        if case .bool(false) = systemInfo["little_endian"] { throw malformed("file was written big-endian") }
        let root = try next(resolver)
        guard let keys = try next().elements?.compactMap(\.text) else {
            throw malformed("storage key list is not a list")
        }
        var reader = ByteReader(bytes, at: offset)
        var ranges: [String: Range<Int>] = [:]
        for key in keys {
            guard let storage = resolver.storages[key] else {
                throw malformed("storage '\(key)' is listed but never used")
            }
            let start = reader.position
            guard let count = try? reader.unsigned(width: 8) else {
                throw malformed("file ends at byte \(start) inside the size of storage '\(key)'")
            }
            guard count == UInt64(storage.count),
                let length = HostTensor.byteCount(shape: [storage.count], dtype: storage.dtype)
            else {
                throw malformed(
                    "storage '\(key)' at byte \(start) has \(count) elements, the pickle says \(storage.count)")
            }
            guard let range = try? reader.take(length) else {
                throw malformed("storage '\(key)' at byte \(start + 8) needs \(length) bytes, \(reader.remaining) left")
            }
            ranges[key] = range
        }
        return (
            root,
            { (storage) throws(TensorFileError) in
                guard let range = ranges[storage.key] else {
                    throw malformed("storage '\(storage.key)' is not in the storage list")
                }
                return bytes[range]
            }
        )
    }

    /// 0x1950a86a20f9469cfc6c, little-endian, as pickle's LONG1 holds it.
    private static let legacyMagic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
}
