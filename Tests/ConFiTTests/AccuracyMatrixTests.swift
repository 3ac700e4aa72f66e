import ConFiT
import ConFiTTestSupport
import Foundation
import Testing

@Suite struct AccuracyMatrixTests {
    /// a(t, i), rows t = 0, 1, 2. The best accuracy on task 0 is reached after task 1, not
    /// on the diagonal, so forgetting and −BWT differ.
    private let rows: [[Double]] = [
        [0.8],
        [0.85, 0.9],
        [0.7, 0.5, 1.0],
    ]

    @Test func metricsOfAKnownMatrixComputedByHand() throws {
        let matrix = try AccuracyMatrix(rows: rows)
        #expect(matrix.taskCount == 3)
        #expect(matrix[after: 2, task: 1] == 0.5)
        // A_0 = 0.8
        // A_1 = (0.85 + 0.9) / 2 = 1.75 / 2 = 0.875
        // A_2 = (0.7 + 0.5 + 1.0) / 3 = 2.2 / 3 = 0.733333…
        let average = matrix.averageAccuracy
        #expect(average.count == 3)
        expectClose(average[0], 0.8, tolerance: 1e-12)
        expectClose(average[1], 0.875, tolerance: 1e-12)
        expectClose(average[2], 0.7333333333333333, tolerance: 1e-12)
        // A_T = A_2
        expectClose(try #require(matrix.finalAverageAccuracy), 0.7333333333333333, tolerance: 1e-12)
        // (0.8 + 0.875 + 0.733333…) / 3 = 2.408333… / 3 = 0.802777…
        expectClose(try #require(matrix.averageIncrementalAccuracy), 0.8027777777777778, tolerance: 1e-12)
        // T = 2. i = 0: max(a(0,0), a(1,0)) − a(2,0) = max(0.8, 0.85) − 0.7 = 0.15
        //        i = 1: max(a(1,1)) − a(2,1) = 0.9 − 0.5 = 0.4
        // F = (0.15 + 0.4) / 2 = 0.275
        expectClose(try #require(matrix.forgetting), 0.275, tolerance: 1e-12)
        // i = 0: a(2,0) − a(0,0) = 0.7 − 0.8 = −0.1
        // i = 1: a(2,1) − a(1,1) = 0.5 − 0.9 = −0.4
        // BWT = (−0.1 − 0.4) / 2 = −0.25
        expectClose(try #require(matrix.backwardTransfer), -0.25, tolerance: 1e-12)
    }

    @Test func improvingOldTasksGivesNegativeForgettingAndPositiveBWT() throws {
        let matrix = try AccuracyMatrix(rows: [[0.5], [0.7, 0.9]])
        // F = max(a(0,0)) − a(1,0) = 0.5 − 0.7 = −0.2; BWT = a(1,0) − a(0,0) = +0.2
        expectClose(try #require(matrix.forgetting), -0.2, tolerance: 1e-12)
        expectClose(try #require(matrix.backwardTransfer), 0.2, tolerance: 1e-12)
    }

    @Test func metricsNeedingOldTasksAreNilWithOneTaskAndAllAreNilWhenEmpty() throws {
        let empty = AccuracyMatrix()
        #expect(empty.averageAccuracy == [])
        #expect(empty.finalAverageAccuracy == nil)
        #expect(empty.averageIncrementalAccuracy == nil)
        #expect(empty.forgetting == nil)
        #expect(empty.backwardTransfer == nil)

        let one = try AccuracyMatrix(rows: [[0.6]])
        #expect(one.finalAverageAccuracy == 0.6)
        #expect(one.averageIncrementalAccuracy == 0.6)
        #expect(one.forgetting == nil)
        #expect(one.backwardTransfer == nil)
    }

    @Test func rowsOfTheWrongLengthAreRefused() throws {
        var matrix = AccuracyMatrix()
        #expect(throws: AccuracyMatrixError.wrongRowLength(task: 0, expected: 1, got: 2)) {
            try matrix.append(row: [0.5, 0.5])
        }
        try matrix.append(row: [0.5])
        #expect(throws: AccuracyMatrixError.wrongRowLength(task: 1, expected: 2, got: 1)) {
            try matrix.append(row: [0.5])
        }
        #expect(matrix.rows == [[0.5]], "a refused row leaves the matrix unchanged")
    }

    @Test func valuesOutsideTheUnitIntervalAreRefused() throws {
        var matrix = try AccuracyMatrix(rows: [[1.0]])
        if let error = #expect(throws: (any Error).self, performing: { try matrix.append(row: [0.5, 85]) }) {
            #expect((error as? AccuracyMatrixError) == .outOfRange(task: 1, index: 1, value: 85))
            #expect("\(error)" == "accuracy a(1, 1) = 85.0 is not a fraction in [0, 1]")
        }
        #expect(throws: (any Error).self) { try matrix.append(row: [-0.1, 0.5]) }
        #expect(throws: (any Error).self) { try matrix.append(row: [0.5, .nan]) }
        #expect(throws: (any Error).self) { try AccuracyMatrix(rows: [[0.5], [0.5, 1.5]]) }
        #expect(matrix.taskCount == 1)
    }

    @Test func codesAsAnArrayOfRowsAndValidatesOnDecoding() throws {
        let matrix = try AccuracyMatrix(rows: rows)
        let data = try JSONEncoder().encode(matrix)
        #expect(try (JSONSerialization.jsonObject(with: data) as? [[Double]]) == rows)
        #expect(try JSONDecoder().decode(AccuracyMatrix.self, from: data) == matrix)
        #expect(throws: (any Error).self) {
            try JSONDecoder().decode(AccuracyMatrix.self, from: Data("[[0.5, 0.5]]".utf8))
        }
    }
}
