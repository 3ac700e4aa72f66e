import ArgumentParser

/// A memory size on the command line: a count of bytes, or one with a binary suffix
/// (`512K`, `64M`, `4G`; `KiB`/`MiB`/`GiB` and `B` too), as `docker run --memory` takes it.
struct ByteSize: ExpressibleByArgument {
    let bytes: Int

    init?(argument: String) {
        var text = Substring(argument.uppercased())
        if let unit = ["IB", "B"].first(where: { text.hasSuffix($0) && text.count > $0.count }) {
            text = text.dropLast(unit.count)
        }
        let shifts: [Character: Int] = ["K": 10, "M": 20, "G": 30, "T": 40]
        let shift = text.last.flatMap { shifts[$0] } ?? 0
        guard let count = Int(String(shift == 0 ? text : text.dropLast())), count >= 0,
            count <= Int.max >> shift
        else { return nil }
        bytes = count << shift
    }
}
