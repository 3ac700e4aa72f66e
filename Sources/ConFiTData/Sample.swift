/// One labelled example of a dataset: where its pixels are and its class.
///
/// `id` is unique within the dataset across both splits; the loader's cache keys on it.
public struct Sample: Sendable, Hashable {
    /// Where the pixels live: an encoded file, or an image in a shared in-memory store.
    public enum Source: Sendable, Hashable {
        case file(String)
        case memory(RawImageStore, index: Int)

        public static func == (a: Source, b: Source) -> Bool {
            switch (a, b) {
            case let (.file(x), .file(y)): return x == y
            case let (.memory(s, i), .memory(t, j)): return s === t && i == j
            default: return false
            }
        }

        public func hash(into hasher: inout Hasher) {
            switch self {
            case let .file(path): hasher.combine(path)
            case let .memory(store, index):
                hasher.combine(ObjectIdentifier(store))
                hasher.combine(index)
            }
        }
    }

    public var id: Int
    public var label: Int
    public var source: Source

    public init(id: Int, label: Int, source: Source) {
        self.id = id
        self.label = label
        self.source = source
    }

    /// How errors and reports name this sample.
    public var name: String {
        switch source {
        case let .file(path): return path
        case let .memory(_, index): return "in-memory image \(index) (sample \(id))"
        }
    }
}
