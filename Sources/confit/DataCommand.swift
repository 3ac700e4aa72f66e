import ArgumentParser
import ConFiTData
import Foundation

/// `confit data ...`: look at a dataset the way training will read it, before training.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "Inspect datasets.", subcommands: [Inspect.self])

    /// `confit data inspect`: classes, images per split and skipped files, so a wrong
    /// root or a stray file shows up before hours of training.
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the classes, image counts per split and skipped files of a dataset.")

        @OptionGroup var source: DatasetSource

        @Flag(help: "List every class with its image counts.")
        var classes = false

        func run() throws {
            let data = try source.load()
            print("dataset: \(data.name)")
            print("root: \(data.root)")
            print("classes: \(data.classNames.count)")
            print("train images: \(data.train.count)")
            print("test images: \(data.test.count)")
            print("total images: \(data.train.count + data.test.count)")
            print("skipped files: \(data.skipped.count)")
            for file in data.skipped { print("  \(file.path): \(file.reason)") }
            if classes {
                let train = data.classCounts(.train), test = data.classCounts(.test)
                for (id, name) in data.classNames.enumerated() { print("  \(id) \(name): \(train[id]) train, \(test[id]) test") }
            }
        }
    }
}
