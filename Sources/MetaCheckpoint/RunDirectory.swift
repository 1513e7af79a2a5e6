import Foundation

/// A run directory owned by this process: created if missing, locked, and checked before a
/// run writes anything into it.
///
/// The lock is an advisory `flock(2)` on `DIR/.lock`, taken when the value is created and
/// held until it is deinitialised (a run keeps it for its whole life; the kernel releases it
/// when the process dies, even by SIGKILL, so a crash never leaves a stale lock). The file
/// holds the owner's pid, only to name it in the refusal of a second run. The descriptor is
/// close-on-exec, so worker processes started by the run do not inherit the lock and keep the
/// directory locked after their parent is gone.
///
/// What a run does with the directory once it holds the lock:
/// - ``removeLeftoverTemporaryFiles()``: the `.NAME.tmp-PID` files an atomic write leaves
///   behind when its process is killed mid-write (no other process can be writing them, since
///   the lock is held).
/// - ``previousRunFiles()``: a fresh run (no `--resume`) refuses a directory that holds
///   checkpoints, unless told to discard them with ``discardPreviousRun()`` (`--overwrite`).
///
/// Threading: not thread-safe; one run uses it from its main thread.
public final class RunDirectory {
    /// The lock file's name inside the directory.
    public static let lockName = ".lock"
    /// What ``discardPreviousRun()`` removes besides the checkpoints.
    public static let runOutputNames = [CheckpointStore.manifestName, "metrics.jsonl", "evaluation.json", "coordinator.endpoint"]
    /// The prefix of the run's TensorBoard event files, which ``discardPreviousRun()`` removes too.
    public static let eventFilePrefix = "events.out.tfevents."

    /// The directory.
    public let url: URL
    private let lockDescriptor: Int32

    /// Creates `url` if missing and takes its lock.
    /// - Throws: ``CheckpointError`` (one line) when the directory cannot be created or locked,
    ///   or when another process holds the lock (naming its pid when the lock file says it).
    public init(_ url: URL) throws {
        self.url = url
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError("cannot create the run directory \(url.path): \(Self.reason(error))")
        }
        let lockPath = url.appendingPathComponent(Self.lockName).path
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw CheckpointError("cannot open the lock file \(lockPath): \(String(cString: strerror(errno)))")
        }
        var result: Int32
        repeat { result = flock(fd, LOCK_EX | LOCK_NB) } while result != 0 && errno == EINTR
        guard result == 0 else {
            let code = errno
            let holder = Self.readPid(fd)
            close(fd)
            if code == EWOULDBLOCK {
                throw CheckpointError("the run directory \(url.path) is in use by another metatrain process "
                                      + (holder.map { "(pid \($0))" } ?? "(pid unknown)")
                                      + "; wait for it to finish, stop it, or use another --run-dir")
            }
            throw CheckpointError("cannot lock \(lockPath): \(String(cString: strerror(code)))")
        }
        lockDescriptor = fd
        // Best effort: the pid only makes a refusal more helpful; a full disk must not stop the run here.
        if ftruncate(fd, 0) == 0 {
            let text = Array("\(getpid())\n".utf8)
            _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        }
    }

    deinit { close(lockDescriptor) }  // releases the flock

    /// The pid written in a lock file, if any.
    private static func readPid(_ fd: Int32) -> Int? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        return Int(String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    private static func reason(_ error: Error) -> String {
        if let posix = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(posix.code)))
        }
        return error.localizedDescription
    }

    /// Whether `name` is a temporary file of an atomic write (``RunCheckpoint`` writes
    /// `.NAME.tmp-PID` and renames it over `NAME`).
    public static func isTemporaryName(_ name: String) -> Bool {
        guard name.hasPrefix("."), let range = name.range(of: ".tmp-", options: .backwards) else { return false }
        let pid = name[range.upperBound...]
        return range.lowerBound > name.index(after: name.startIndex) && !pid.isEmpty && pid.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// Removes the temporary files that atomic writes of an earlier, killed process left behind.
    /// Call only while holding the lock (always true for a live value).
    /// - Returns: the names removed.
    /// - Throws: ``CheckpointError`` when the directory cannot be listed or a file cannot be removed.
    @discardableResult
    public func removeLeftoverTemporaryFiles() throws -> [String] {
        var removed: [String] = []
        for name in try CheckpointStore.listDirectory(url).sorted() where Self.isTemporaryName(name) {
            let path = url.appendingPathComponent(name).path
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            guard unlink(path) == 0 || errno == ENOENT else {
                throw CheckpointError("cannot remove the leftover temporary file \(path): \(String(cString: strerror(errno)))")
            }
            removed.append(name)
        }
        return removed
    }

    /// The checkpoints of an earlier run: the `.ckpt` files on disk and the names listed in a
    /// manifest (a manifest that cannot be parsed counts as itself), sorted.
    /// - Throws: ``CheckpointError`` when the directory cannot be listed.
    public func previousRunFiles() throws -> [String] {
        let store = CheckpointStore(directory: url, keep: 1)
        var names = Set(try store.checkpointNamesOnDisk())
        switch store.loadManifest() {
        case .missing: break
        case .invalid: names.insert(CheckpointStore.manifestName)
        case let .valid(manifest): names.formUnion(manifest.checkpoints.map(\.name))
        }
        return names.sorted()
    }

    /// Removes an earlier run's outputs: every checkpoint, the manifest, `metrics.jsonl`,
    /// `evaluation.json`, `coordinator.endpoint` and the TensorBoard event files
    /// (`events.out.tfevents.*`) (`--overwrite`). The lock file stays.
    /// - Returns: the names removed.
    /// - Throws: ``CheckpointError`` when the directory cannot be listed or a file cannot be removed.
    @discardableResult
    public func discardPreviousRun() throws -> [String] {
        let store = CheckpointStore(directory: url, keep: 1)
        var removed: [String] = []
        let listed: [String]
        do { listed = try FileManager.default.contentsOfDirectory(atPath: url.path) } catch {
            throw CheckpointError("--overwrite: cannot list \(url.path): \(error.localizedDescription)")
        }
        let eventFiles = listed.filter { $0.hasPrefix(Self.eventFilePrefix) }.sorted()
        for name in try store.checkpointNamesOnDisk() + Self.runOutputNames + eventFiles {
            let path = url.appendingPathComponent(name).path
            if unlink(path) == 0 { removed.append(name); continue }
            guard errno == ENOENT else {
                throw CheckpointError("--overwrite: cannot remove \(path): \(String(cString: strerror(errno)))")
            }
        }
        return removed
    }
}
