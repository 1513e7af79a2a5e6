import Foundation

/// Writes scalars into a TensorBoard event file in a run directory, so that
/// `tensorboard --logdir RUN_DIR` (or a parent of it) plots them while training goes on.
///
/// The file is `events.out.tfevents.SECONDS.HOSTNAME` (created new; `.1`, `.2`, … appended when
/// that name is taken, e.g. a run resumed within the same second), so a resumed run adds a file
/// beside the earlier ones and TensorBoard reads them all. Its records are TFRecords of
/// ``TensorBoardEvent``s, the first one `file_version: "brain.Event:2"`.
///
/// Each call is one `write(2)` on a descriptor opened with `O_APPEND`, so a reader never sees
/// half a batch of scalars from a live writer. As in `metrics.jsonl`, TensorBoard's plots are
/// worth less than the run: a failed write (full disk) is counted in ``failedWrites``, the
/// first one is reported through `report`, and training goes on.
///
/// Not thread-safe: one writer at a time.
public final class TensorBoardEventWriter {
    /// The event file.
    public let url: URL
    /// How many writes did not complete.
    public private(set) var failedWrites = 0
    private let descriptor: Int32
    private let clock: () -> Double
    private let report: (String) -> Void

    /// Creates a new event file in `directory` and writes its file-version record.
    /// - Parameters:
    ///   - hostname: the last part of the file name (default: this machine's; `/` becomes `_`).
    ///   - clock: seconds since 1970, for the file name and the events' wall time.
    ///   - report: called once, with one line, at the first failed write.
    /// - Throws: ``TelemetryError`` when the file cannot be created.
    public init(directory: URL, hostname: String = ProcessInfo.processInfo.hostName,
                clock: @escaping () -> Double = { Date().timeIntervalSince1970 }, report: @escaping (String) -> Void) throws {
        let host = hostname.isEmpty ? "localhost" : hostname.replacingOccurrences(of: "/", with: "_")
        let base = "events.out.tfevents.\(Int(clock())).\(host)"
        var attempt = 0
        var fd: Int32 = -1
        var candidate = directory.appendingPathComponent(base)
        while true {
            fd = open(candidate.path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
            if fd >= 0 || errno != EEXIST || attempt >= 1000 { break }
            attempt += 1
            candidate = directory.appendingPathComponent("\(base).\(attempt)")
        }
        guard fd >= 0 else { throw TelemetryError("cannot create \(candidate.path): \(String(cString: strerror(errno)))") }
        url = candidate
        descriptor = fd
        self.clock = clock
        self.report = report
        write([TensorBoardEvent.header(wallTime: clock())])
    }

    /// Appends one event holding `scalars` at `step` (nothing when `scalars` is empty).
    /// Non-finite values are written as they are (TensorBoard shows them as NaN or ±inf).
    public func scalars(step: Int, _ scalars: [TensorBoardEvent.Scalar]) {
        guard !scalars.isEmpty else { return }
        write([TensorBoardEvent(wallTime: clock(), step: Int64(step), content: .scalars(scalars))])
    }

    private func write(_ events: [TensorBoardEvent]) {
        let bytes = events.flatMap { TensorBoardEvent.tfRecord($0.encoded()) }
        let code = bytes.withUnsafeBytes { FileDescriptorOutput.writeAll($0, to: descriptor) }
        guard code != 0 else { return }
        failedWrites += 1
        if failedWrites == 1 {
            report("cannot write \(url.path): \(String(cString: strerror(code))); training goes on, "
                   + "and TensorBoard scalars are lost while writes fail")
        }
    }

    deinit { close(descriptor) }
}
