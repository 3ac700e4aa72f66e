/// Why a row of accuracies was refused by `AccuracyMatrix`.
public enum AccuracyMatrixError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Row t must hold a(t, 0...t), i.e. exactly t + 1 values.
    case wrongRowLength(task: Int, expected: Int, got: Int)
    /// Accuracies are fractions; NaN or a percentage slipping in must not reach the report.
    case outOfRange(task: Int, index: Int, value: Double)

    public var description: String {
        switch self {
        case let .wrongRowLength(task, expected, got):
            "accuracy row after task \(task) must hold \(expected) values (tasks 0...\(task)), got \(got)"
        case let .outOfRange(task, index, value):
            "accuracy a(\(task), \(index)) = \(value) is not a fraction in [0, 1]"
        }
    }
}
