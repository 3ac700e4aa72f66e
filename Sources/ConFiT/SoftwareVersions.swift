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

    enum CodingKeys: String, CodingKey {
        case confit, swift
        case oneDNN = "onednn"
    }
}
