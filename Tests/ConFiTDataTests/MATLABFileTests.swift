import ConFiTTestSupport
import Foundation
import Testing

@testable import ConFiTData

/// The MATLAB v5 reader against files written by scipy.io.savemat (values in types.json).
struct MATLABFileTests {
    struct Expected: Decodable {
        var dimensions: [Int]
        var values: [Double]
    }

    @Test func readsEveryNumericTypeAndSkipsStrings() throws {
        let file = try MATLABFile(bytes: fixtures.bytes("mat/types.mat"), path: "types.mat")
        let expected = try JSONDecoder().decode(
            [String: Expected].self, from: Data(fixtures.bytes("mat/types.json")))
        #expect(Set(file.variables.keys) == Set(expected.keys))
        for (name, value) in expected {
            #expect(file[name]?.dimensions == value.dimensions, "\(name)")
            #expect(file[name]?.values == value.values, "\(name)")
        }
    }

    @Test func readsCompressedAndPlainFlowersFiles() throws {
        let labels = try MATLABFile(bytes: fixtures.bytes("mat/imagelabels.mat"), path: "imagelabels.mat")
        #expect(labels["labels"]?.dimensions == [1, 12])
        #expect(labels["labels"]?.values.prefix(3) == [1, 2, 3])
        let setid = try MATLABFile(bytes: fixtures.bytes("mat/setid.mat"), path: "setid.mat")
        #expect(setid["trnid"]?.values == [1, 2, 3, 4])
        #expect(setid["valid"]?.values == [5, 6])
        #expect(setid["tstid"]?.values == [7, 8, 9, 10, 11, 12])
    }

    @Test func rejectsTruncatedAndForeignFiles() throws {
        let bytes = try fixtures.bytes("mat/imagelabels.mat")
        #expect(throws: DataError.self) { try MATLABFile(bytes: Array(bytes.prefix(150)), path: "cut.mat") }
        #expect(throws: DataError.self) { try MATLABFile(bytes: [UInt8](repeating: 65, count: 200), path: "text.mat") }
    }
}
