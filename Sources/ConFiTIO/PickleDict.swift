/// A pickled Python dict (or `collections.OrderedDict`), in insertion order, shared by
/// reference between the stack and the memo. String keys are indexed, so setting an
/// existing string key replaces its value as Python would; other keys are kept as given.
public final class PickleDict {
    public private(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    private var indexOfText: [String: Int] = [:]

    public init() {}

    public func set(_ key: PickleValue, _ value: PickleValue) {
        if let text = key.text {
            if let index = indexOfText[text] {
                entries[index].value = value
                return
            }
            indexOfText[text] = entries.count
        }
        entries.append((key, value))
    }

    /// Empties the dict (a refused pickle's containers are emptied before release).
    func removeAll() { (entries, indexOfText) = ([], [:]) }

    /// The value stored under a string key (or UTF-8 bytes key).
    public subscript(text: String) -> PickleValue? {
        indexOfText[text].map { entries[$0].value }
    }
}
