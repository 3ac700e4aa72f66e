import ArgumentParser
import Foundation

/// How a run reports progress on standard output: readable lines, one JSON object per
/// line for machines (`--log-format json`), or nothing (`--quiet`; errors still go to
/// standard error).
enum RunLog: String, ExpressibleByArgument, CaseIterable {
    case text, json, quiet

    /// Reports `event` as `text`, or as {"event": event, fields...}.
    func event(_ event: String, _ fields: [String: Any], text: @autoclosure () -> String) {
        switch self {
        case .quiet: return
        case .text: say(text())
        case .json:
            var object = fields
            object["event"] = event
            guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
            say(String(decoding: data, as: UTF8.self))
        }
    }
}
