import ArgumentParser
import Foundation

/// A memory size on the command line: a count of bytes, or one with a binary suffix
/// (`512K`, `64M`, `4G`; `KiB`/`MiB`/`GiB` and `B` too), as `docker run --memory` takes it.
struct ByteSize: ExpressibleByArgument {
    let bytes: Int

    init?(argument: String) {
        let text = argument.uppercased().replacingOccurrences(of: "IB", with: "").replacingOccurrences(
            of: "B", with: "")
        let shifts: [Character: Int] = ["K": 10, "M": 20, "G": 30, "T": 40]
        let shift = text.last.flatMap { shifts[$0] } ?? 0
        guard let count = Int(shift == 0 ? text : String(text.dropLast())), count >= 0,
            count <= Int.max >> shift
        else { return nil }
        bytes = count << shift
    }
}
