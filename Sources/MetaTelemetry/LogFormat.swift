import Foundation
import Logging

/// How log lines look: `text` (`2026-11-23T21:07:09Z info [coordinator] message`) or `json`
/// (one object per line: `ts`, `level`, `label`, `message`, and any metadata).
public enum LogFormat: String, CaseIterable, Sendable {
    case text, json

    /// Routes swift-log to standard error in this format (once per process; later calls are ignored).
    public func bootstrap() {
        let format = self
        LogFormat.once.withLock { done in
            guard !done else { return }
            done = true
            LoggingSystem.bootstrap { label in StandardErrorLogHandler(label: label, format: format) }
        }
    }

    private static let once = Mutex(false)
}

/// A minimal lock-protected value (avoids a dependency for one flag).
final class Mutex<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) -> R) -> R { lock.withLock { body(&value) } }
}

/// A swift-log handler writing one line per event to standard error.
public struct StandardErrorLogHandler: LogHandler {
    public let label: String
    public let format: LogFormat
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]

    public init(label: String, format: LogFormat) {
        self.label = label
        self.format = format
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let line: String
        switch format {
        case .text:
            let stamp = ISO8601DateFormatter().string(from: Date())
            let extra = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            line = "\(stamp) \(event.level) [\(label)] \(event.message)\(extra)\n"
        case .json:
            line = JSONLogLine.encode(label: label, message: "\(event.message)", level: "\(event.level)",
                                      fields: all.mapValues { "\($0)" as Any })
        }
        // write(2), not FileHandle: a closed or full standard error must not kill the process.
        FileDescriptorOutput.standardError(line)
    }
}
