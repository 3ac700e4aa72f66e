import ConFiTEngine

/// The versions a run was produced with, stored with its metrics so numbers from
/// different builds are not compared unknowingly.
public struct SoftwareVersions: Sendable, Equatable, Codable {
    public var confit: String
    public var oneDNN: String
    public var swift: String

    public init(confit: String, oneDNN: String, swift: String) {
        self.confit = confit
        self.oneDNN = oneDNN
        self.swift = swift
    }

    /// This package's version (`confit --version`).
    public static let confitVersion = "0.2.0"

    /// This build's versions, with the oneDNN library loaded at run time.
    public static var current: SoftwareVersions {
        #if swift(>=6.3)
            let swift = "6.3"
        #else
            let swift = "6.x"
        #endif
        return SoftwareVersions(confit: confitVersion, oneDNN: Engine.shared.version, swift: swift)
    }

    enum CodingKeys: String, CodingKey {
        case confit, swift
        case oneDNN = "onednn"
    }
}
