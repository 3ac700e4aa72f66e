/// What a pickle may build beyond plain containers. `PickleMachine` knows Python's
/// built-in values and `collections.OrderedDict`; every other global goes through a
/// resolver, which decides what is allowed (a whitelist) and what calling it means. Each
/// file format plugs in its own: PyTorch tensors here, numpy arrays elsewhere.
///
/// Throw a `PickleError.Reason` to refuse; the machine adds the opcode and offset.
public protocol PickleResolver {
    /// GLOBAL / STACK_GLOBAL: the value standing for `module.name`, or
    /// `.disallowedGlobal` when it is not on the whitelist.
    func resolveGlobal(module: String, name: String) throws -> PickleValue
    /// REDUCE: `callable(*arguments)` for a value `resolveGlobal` returned.
    func reduce(_ callable: PickleValue, arguments: [PickleValue]) throws -> PickleValue
    /// BUILD: `object.__setstate__(state)` for a non-dict object; returns the built object.
    func build(_ object: PickleValue, state: PickleValue) throws -> PickleValue
    /// BINPERSID: the object a persistent id stands for (torch storages).
    func persistentLoad(_ id: PickleValue) throws -> PickleValue
}

extension PickleResolver {
    public func resolveGlobal(module: String, name: String) throws -> PickleValue {
        throw PickleError.Reason.disallowedGlobal(module: module, name: name)
    }

    public func reduce(_ callable: PickleValue, arguments: [PickleValue]) throws -> PickleValue {
        throw PickleError.Reason.invalid("cannot call \(callable.kindName)")
    }

    public func build(_ object: PickleValue, state: PickleValue) throws -> PickleValue {
        throw PickleError.Reason.invalid("cannot set the state of \(object.kindName)")
    }

    public func persistentLoad(_ id: PickleValue) throws -> PickleValue {
        throw PickleError.Reason.invalid("persistent ids are not supported in this file")
    }
}

/// A resolver that allows no globals and no persistent ids: plain data only.
public struct PlainPickleResolver: PickleResolver {
    public init() {}
}
