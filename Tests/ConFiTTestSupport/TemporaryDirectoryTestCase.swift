import Foundation
import XCTest

/// A test case with a fresh temporary folder per test (`directory`), removed afterwards.
open class TemporaryDirectoryTestCase: XCTestCase {
    private var temporary: TemporaryDirectory?

    /// This test's folder; it exists, empty, when the test starts.
    public var directory: URL { temporary!.url }

    open override func setUpWithError() throws {
        temporary = try TemporaryDirectory("\(type(of: self))")
    }

    open override func tearDownWithError() throws {
        temporary = nil
    }
}
