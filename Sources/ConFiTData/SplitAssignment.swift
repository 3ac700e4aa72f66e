import ConFiTNN
import Foundation

/// Decides which images of a folder-based dataset are test images.
enum SplitAssignment {
    /// `isTest` per image for a split file or a stratified split.
    static func assign(
        _ choice: DatasetOptions.SplitChoice, relativePaths: [String], labels: [Int], classNames: [String]
    ) throws -> [Bool] {
        switch choice {
        case let .file(path):
            return try fromFile(
                path: path, contents: DatasetRoot.read(path), relativePaths: relativePaths, classNames: classNames)
        case let .stratified(fraction, seed):
            return try stratified(labels: labels, classes: classNames.count, testFraction: fraction, seed: seed)
        case .standard, .official:
            return try stratified(labels: labels, classes: classNames.count, testFraction: 0.2, seed: 0)
        }
    }

    static func stratified(labels: [Int], classes: Int, testFraction: Double, seed: UInt64) throws -> [Bool] {
        guard testFraction > 0 && testFraction < 1 else {
            throw DataError.invalidArgument("test fraction must be in (0, 1), got \(testFraction)")
        }
        var byClass = [[Int]](repeating: [], count: classes)
        for (i, label) in labels.enumerated() { byClass[label].append(i) }
        var generator = SplitMix64(seed: seed)
        var isTest = [Bool](repeating: false, count: labels.count)
        for var members in byClass where members.count > 1 {
            generator.shuffle(&members)
            let count = min(max(Int((Double(members.count) * testFraction).rounded()), 1), members.count - 1)
            for i in members.prefix(count) { isTest[i] = true }
        }
        return isTest
    }

    private struct SplitFile: Decodable {
        var classes: [String]?
        var test: [String]
    }

    static func fromFile(
        path: String, contents: [UInt8], relativePaths: [String], classNames: [String]
    ) throws -> [Bool] {
        let file: SplitFile
        do {
            file = try JSONDecoder().decode(SplitFile.self, from: Data(contents))
        } catch {
            throw DataError.malformedFile(
                path: path, reason: "expected {\"classes\": [...], \"test\": [...]}: \(error)")
        }
        if let classes = file.classes, classes != classNames {
            let missing = Set(classes).symmetricDifference(classNames).sorted().prefix(5)
            throw DataError.splitMismatch(
                path: path,
                reason:
                    "\(classes.count) classes listed, \(classNames.count) found; differing: \(missing.joined(separator: ", "))"
            )
        }
        var index: [String: Int] = [:]
        for (i, p) in relativePaths.enumerated() { index[p] = i }
        var isTest = [Bool](repeating: false, count: relativePaths.count)
        for entry in file.test {
            guard let i = index[entry] else {
                throw DataError.splitMismatch(path: path, reason: "test image \(entry) is not in the dataset")
            }
            isTest[i] = true
        }
        return isTest
    }
}
