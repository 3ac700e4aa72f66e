/// A pickle stream that `PickleMachine` refused, with the opcode and the byte offset where
/// it stopped, so a bad checkpoint can be looked at with `python -m pickletools`.
public struct PickleError: Error, CustomStringConvertible, Equatable {
    /// What went wrong. Resolvers throw a bare `Reason`; the machine adds where.
    public enum Reason: Error, Equatable, CustomStringConvertible {
        /// The stream ended inside an opcode or before STOP.
        case truncated(needed: Int, available: Int)
        case unknownOpcode(UInt8)
        /// A real pickle opcode outside the subset that state dicts use.
        case unsupportedOpcode
        /// A global not on the resolver's whitelist; nothing outside it is ever run.
        case disallowedGlobal(module: String, name: String)
        case invalid(String)

        public var description: String {
            switch self {
            case .truncated(let needed, let available): "truncated: needs \(needed) bytes, \(available) left"
            case .unknownOpcode(let byte): "unknown opcode 0x\(String(byte, radix: 16))"
            case .unsupportedOpcode: "opcode outside the supported subset"
            case .disallowedGlobal(let module, let name): "global \(module).\(name) is not allowed"
            case .invalid(let reason): reason
            }
        }
    }

    public var reason: Reason
    /// The opcode's name as pickletools prints it (or its hex value when unknown).
    public var opcode: String
    public var offset: Int

    public init(_ reason: Reason, opcode: String, offset: Int) {
        self.reason = reason
        self.opcode = opcode
        self.offset = offset
    }

    public var description: String { "pickle opcode \(opcode) at byte \(offset): \(reason)" }
}
