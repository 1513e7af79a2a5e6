import Foundation
import MetaTelemetry

/// Appends one JSON object per line to `metrics.jsonl` in the run directory.
///
/// Writes go through `write(2)` (``FileDescriptorOutput``), never `FileHandle.write`, which
/// traps on a full disk (ENOSPC) or a broken pipe. Metrics are worth less than the run: a
/// failed write is counted in ``failedWrites``, the first one is reported through `report`
/// (one line), and training goes on; records are lost only while writes fail.
///
/// Each record is encoded with sorted keys and written with a single `write(2)` on a descriptor
/// opened with `O_APPEND`, so a resumed run's records follow the earlier ones and a line is
/// never interleaved with another writer's. Not thread-safe: one writer at a time.
public final class MetricsLog {
    /// The file's location.
    public let url: URL
    /// How many records could not be written (completely).
    public private(set) var failedWrites = 0
    private let descriptor: Int32
    private let report: (String) -> Void
    private let encoder: JSONEncoder = {
        let e = JSONEncoder(); e.outputFormatting = [.sortedKeys]; return e
    }()

    /// Opens (or creates) `metrics.jsonl` in `runDirectory` for appending.
    /// - Parameter report: called once, with one line, at the first failed write.
    /// - Throws: ``RunError`` when the file cannot be opened.
    public init(runDirectory: URL, report: @escaping (String) -> Void) throws {
        url = runDirectory.appendingPathComponent("metrics.jsonl")
        descriptor = open(url.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw RunError("cannot open \(url.path): \(String(cString: strerror(errno)))") }
        self.report = report
    }

    /// Appends `record` as one line of JSON (keys sorted). A record that does not encode is
    /// dropped silently; a failed write is counted in ``failedWrites``.
    public func write<T: Encodable>(_ record: T) {
        guard var data = try? encoder.encode(record) else { return }
        data.append(0x0A)
        let code = FileDescriptorOutput.writeAll(data, to: descriptor)
        guard code != 0 else { return }
        failedWrites += 1
        if failedWrites == 1 {
            report("cannot write \(url.path): \(String(cString: strerror(code))); training goes on, "
                   + "and metrics records are lost while writes fail (counted at the end)")
        }
    }

    deinit { close(descriptor) }
}
