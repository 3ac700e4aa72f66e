import ConFiT
import Foundation
import XCTest

final class AccuracyMatrixTests: XCTestCase {
    /// a(t, i), rows t = 0, 1, 2. The best accuracy on task 0 is reached after task 1, not
    /// on the diagonal, so forgetting and −BWT differ.
    private let rows: [[Double]] = [
        [0.8],
        [0.85, 0.9],
        [0.7, 0.5, 1.0],
    ]

    func testMetricsOfAKnownMatrixComputedByHand() throws {
        let matrix = try AccuracyMatrix(rows: rows)
        XCTAssertEqual(matrix.taskCount, 3)
        XCTAssertEqual(matrix[after: 2, task: 1], 0.5)
        // A_0 = 0.8
        // A_1 = (0.85 + 0.9) / 2 = 1.75 / 2 = 0.875
        // A_2 = (0.7 + 0.5 + 1.0) / 3 = 2.2 / 3 = 0.733333…
        let average = matrix.averageAccuracy
        XCTAssertEqual(average.count, 3)
        XCTAssertEqual(average[0], 0.8, accuracy: 1e-12)
        XCTAssertEqual(average[1], 0.875, accuracy: 1e-12)
        XCTAssertEqual(average[2], 0.7333333333333333, accuracy: 1e-12)
        // A_T = A_2
        XCTAssertEqual(try XCTUnwrap(matrix.finalAverageAccuracy), 0.7333333333333333, accuracy: 1e-12)
        // (0.8 + 0.875 + 0.733333…) / 3 = 2.408333… / 3 = 0.802777…
        XCTAssertEqual(try XCTUnwrap(matrix.averageIncrementalAccuracy), 0.8027777777777778, accuracy: 1e-12)
        // T = 2. i = 0: max(a(0,0), a(1,0)) − a(2,0) = max(0.8, 0.85) − 0.7 = 0.15
        //        i = 1: max(a(1,1)) − a(2,1) = 0.9 − 0.5 = 0.4
        // F = (0.15 + 0.4) / 2 = 0.275
        XCTAssertEqual(try XCTUnwrap(matrix.forgetting), 0.275, accuracy: 1e-12)
        // i = 0: a(2,0) − a(0,0) = 0.7 − 0.8 = −0.1
        // i = 1: a(2,1) − a(1,1) = 0.5 − 0.9 = −0.4
        // BWT = (−0.1 − 0.4) / 2 = −0.25
        XCTAssertEqual(try XCTUnwrap(matrix.backwardTransfer), -0.25, accuracy: 1e-12)
    }

    func testImprovingOldTasksGivesNegativeForgettingAndPositiveBWT() throws {
        let matrix = try AccuracyMatrix(rows: [[0.5], [0.7, 0.9]])
        // F = max(a(0,0)) − a(1,0) = 0.5 − 0.7 = −0.2; BWT = a(1,0) − a(0,0) = +0.2
        XCTAssertEqual(try XCTUnwrap(matrix.forgetting), -0.2, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(matrix.backwardTransfer), 0.2, accuracy: 1e-12)
    }

    func testMetricsNeedingOldTasksAreNilWithOneTaskAndAllAreNilWhenEmpty() throws {
        let empty = AccuracyMatrix()
        XCTAssertEqual(empty.averageAccuracy, [])
        XCTAssertNil(empty.finalAverageAccuracy)
        XCTAssertNil(empty.averageIncrementalAccuracy)
        XCTAssertNil(empty.forgetting)
        XCTAssertNil(empty.backwardTransfer)

        let one = try AccuracyMatrix(rows: [[0.6]])
        XCTAssertEqual(one.finalAverageAccuracy, 0.6)
        XCTAssertEqual(one.averageIncrementalAccuracy, 0.6)
        XCTAssertNil(one.forgetting)
        XCTAssertNil(one.backwardTransfer)
    }

    func testRowsOfTheWrongLengthAreRefused() throws {
        var matrix = AccuracyMatrix()
        XCTAssertThrowsError(try matrix.append(row: [0.5, 0.5])) { error in
            XCTAssertEqual(error as? AccuracyMatrixError, .wrongRowLength(task: 0, expected: 1, got: 2))
        }
        try matrix.append(row: [0.5])
        XCTAssertThrowsError(try matrix.append(row: [0.5])) { error in
            XCTAssertEqual(error as? AccuracyMatrixError, .wrongRowLength(task: 1, expected: 2, got: 1))
        }
        XCTAssertEqual(matrix.rows, [[0.5]], "a refused row leaves the matrix unchanged")
    }

    func testValuesOutsideTheUnitIntervalAreRefused() throws {
        var matrix = try AccuracyMatrix(rows: [[1.0]])
        XCTAssertThrowsError(try matrix.append(row: [0.5, 85])) { error in
            XCTAssertEqual(error as? AccuracyMatrixError, .outOfRange(task: 1, index: 1, value: 85))
            XCTAssertEqual("\(error)", "accuracy a(1, 1) = 85.0 is not a fraction in [0, 1]")
        }
        XCTAssertThrowsError(try matrix.append(row: [-0.1, 0.5]))
        XCTAssertThrowsError(try matrix.append(row: [0.5, .nan]))
        XCTAssertThrowsError(try AccuracyMatrix(rows: [[0.5], [0.5, 1.5]]))
        XCTAssertEqual(matrix.taskCount, 1)
    }

    func testCodesAsAnArrayOfRowsAndValidatesOnDecoding() throws {
        let matrix = try AccuracyMatrix(rows: rows)
        let data = try JSONEncoder().encode(matrix)
        XCTAssertEqual(try JSONSerialization.jsonObject(with: data) as? [[Double]], rows)
        XCTAssertEqual(try JSONDecoder().decode(AccuracyMatrix.self, from: data), matrix)
        XCTAssertThrowsError(try JSONDecoder().decode(AccuracyMatrix.self, from: Data("[[0.5, 0.5]]".utf8)))
    }
}
