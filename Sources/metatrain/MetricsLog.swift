import Foundation

/// Appends one JSON object per line to `metrics.jsonl` in the run directory.
final class MetricsLog {
    private let handle: FileHandle
    private let encoder: JSONEncoder = {
        let e = JSONEncoder(); e.outputFormatting = [.sortedKeys]; return e
    }()

    init(runDirectory: URL) throws {
        let url = runDirectory.appendingPathComponent("metrics.jsonl")
        if !FileManager.default.fileExists(atPath: url.path) {
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
    }

    func write<T: Encodable>(_ record: T) {
        guard var data = try? encoder.encode(record) else { return }
        data.append(0x0A)
        handle.write(data)
    }

    deinit { try? handle.close() }
}
