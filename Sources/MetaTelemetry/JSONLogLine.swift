import Foundation

/// One log line as a JSON object, the form of `--log-format json`: `ts` (ISO 8601, UTC),
/// `level`, `label` (the process's role or the line's kind), `message` (the text line), and
/// any further fields, keys sorted, ending in a line feed.
///
/// Field values are JSON numbers, strings, booleans or null as given; a number that is not
/// finite (a diverged loss) becomes null, since JSON has no NaN or infinity.
public enum JSONLogLine {
    /// The line (with its line feed) for `message` under `label`, with `fields` (which do
    /// not replace `ts`, `level`, `label` or `message`).
    public static func encode(label: String, message: String, level: String = "info", fields: [String: Any] = [:],
                              date: Date = Date()) -> String {
        var object: [String: Any] = ["ts": ISO8601DateFormatter().string(from: date), "level": level, "label": label, "message": message]
        for (key, value) in fields where object[key] == nil { object[key] = sanitized(value) }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    private static func sanitized(_ value: Any) -> Any {
        switch value {
        case let d as Double: return d.isFinite ? d : NSNull()
        case let f as Float: return f.isFinite ? Double(f) : NSNull()
        case let i as Int: return i
        case let s as String: return s
        case let b as Bool: return b
        case is NSNull: return value
        default: return "\(value)"
        }
    }
}
