import Foundation
import MetaChecksum

/// What one ``CheckpointStore/write(_:name:)`` did, for the caller's log.
public struct CheckpointWriteReport: Sendable {
    /// The checkpoint's file name in the store's directory.
    public var name: String
    /// The checkpoint's full location.
    public var url: URL
    /// The checkpoint's iteration (the next iteration to run).
    public var iteration: Int
    /// The file's size.
    public var bytes: Int
    /// The SHA-256 of the file's bytes, as listed in the manifest.
    public var sha256: String
    /// Wall-clock seconds spent encoding, hashing, writing and updating the manifest.
    public var seconds: Double
    /// The periodic checkpoints deleted by the retention rule, oldest first.
    public var deleted: [String]
    /// For a write through ``AsyncCheckpointWriter``: the seconds the submitting caller waited
    /// for the previous write (the value ``AsyncCheckpointWriter/submit(_:name:)`` returned);
    /// `nil` for a direct write.
    public var stallSeconds: Double?

    public init(name: String, url: URL, iteration: Int, bytes: Int, sha256: String, seconds: Double,
                deleted: [String] = [], stallSeconds: Double? = nil) {
        self.name = name; self.url = url; self.iteration = iteration; self.bytes = bytes; self.sha256 = sha256
        self.seconds = seconds; self.deleted = deleted; self.stallSeconds = stallSeconds
    }
}

/// A directory of checkpoints with a manifest, keeping the newest `keep` periodic ones.
///
/// Files: checkpoints `<name>.ckpt`, and `manifest.json` listing, for each checkpoint the
/// store wrote, its name, iteration, byte count and the SHA-256 of its bytes:
/// ```
/// {"checkpoints":[{"bytes":…,"iteration":…,"name":"iteration-100.ckpt","sha256":"…"}, …],"format":1}
/// ```
/// Periodic checkpoints are the files named `iteration-N.ckpt` (N decimal). After each write
/// the store deletes the periodic checkpoints beyond the `keep` with the largest N (never the
/// one just written); every other name (`final.ckpt`, `best.ckpt`, …) is kept.
///
/// Crash safety: the checkpoint is written atomically first, then the manifest (atomically),
/// then old files are deleted; a crash at any point leaves every listed or unlisted file
/// either complete or detectably damaged, and ``newest()`` never depends on the manifest
/// being present or valid: unlisted files are verified by their own SHA-256 trailer, and a
/// missing or unreadable manifest falls back to scanning the directory.
///
/// Threading: a value; its methods may be called from any thread, but only one writer may
/// write into a directory at a time (``AsyncCheckpointWriter`` guarantees that for its own
/// writes). Files in the directory should be written only through the store, since a file
/// rewritten behind its back no longer matches its manifest entry and is skipped.
public struct CheckpointStore: Sendable {
    public static let manifestName = "manifest.json"
    static let manifestFormat = 1

    /// The store's directory (created on the first write).
    public let directory: URL
    /// How many periodic checkpoints survive a write.
    public let keep: Int

    /// - Parameters:
    ///   - directory: where the checkpoints and the manifest live.
    ///   - keep: how many periodic checkpoints (`iteration-N.ckpt`) to keep; at least 1.
    public init(directory: URL, keep: Int) {
        precondition(keep >= 1, "CheckpointStore: keep must be at least 1, got \(keep)")
        self.directory = directory
        self.keep = keep
    }

    /// The file name of the periodic checkpoint of `iteration`: `iteration-<iteration>.ckpt`.
    public static func periodicName(iteration: Int) -> String { "iteration-\(iteration).\(RunCheckpoint.fileExtension)" }

    /// N when `name` is a periodic checkpoint's name `iteration-N.ckpt`; `nil` otherwise.
    public static func periodicIteration(_ name: String) -> Int? {
        let prefix = "iteration-", suffix = "." + RunCheckpoint.fileExtension
        guard name.hasPrefix(prefix), name.hasSuffix(suffix), name.count > prefix.count + suffix.count else { return nil }
        let digits = name.dropFirst(prefix.count).dropLast(suffix.count)
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(digits)
    }

    // MARK: - Writing

    /// Writes `checkpoint` as `name` atomically, records it in the manifest, then applies the
    /// retention rule (see the type's documentation).
    /// - Parameters:
    ///   - checkpoint: the checkpoint to write.
    ///   - name: a plain file name ending in `.ckpt` (no `/`, not starting with `.`).
    /// - Returns: what was written and deleted, and how long it took.
    /// - Throws: ``CheckpointError`` when the name is invalid, or the directory, file or
    ///   manifest cannot be written, or an old checkpoint cannot be deleted (the new one is
    ///   then safely on disk, as the message says).
    @discardableResult
    public func write(_ checkpoint: RunCheckpoint, name: String) throws -> CheckpointWriteReport {
        let clock = ContinuousClock(), start = clock.now
        guard Self.isCheckpointName(name) else {
            throw CheckpointError("invalid checkpoint name '\(name)': use a plain file name ending in .\(RunCheckpoint.fileExtension)")
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError("cannot create checkpoint directory \(directory.path): \(error.localizedDescription)")
        }
        let bytes = checkpoint.encoded()
        let sha = SHA256.hexDigest(bytes)
        let url = directory.appendingPathComponent(name)
        try RunCheckpoint.writeAtomically(bytes, to: url)

        var entries: [String: Manifest.Entry]
        switch loadManifest() {
        case let .valid(manifest):
            // Forget files deleted behind the store's back.
            entries = Dictionary(uniqueKeysWithValues: manifest.checkpoints.filter { fileExists($0.name) }.map { ($0.name, $0) })
        case .missing, .invalid:
            entries = try rebuiltEntries(except: name)
        }
        entries[name] = Manifest.Entry(name: name, iteration: checkpoint.iteration, bytes: bytes.count, sha256: sha)

        let periodic = try Set(checkpointNamesOnDisk().filter { Self.periodicIteration($0) != nil })
            .union(entries.keys.filter { Self.periodicIteration($0) != nil })
        let byAge = periodic.sorted { (Self.periodicIteration($0)!, $0) > (Self.periodicIteration($1)!, $1) }  // newest first
        let doomed = byAge.dropFirst(keep).filter { $0 != name }.reversed()
        for old in doomed { entries[old] = nil }

        let manifest = Manifest(format: Self.manifestFormat,
                                checkpoints: entries.values.sorted { ($0.iteration, $0.name) < ($1.iteration, $1.name) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let manifestBytes: [UInt8]
        do { manifestBytes = Array(try encoder.encode(manifest)) + [0x0A] } catch {
            throw CheckpointError("cannot encode \(Self.manifestName): \(error)")
        }
        try RunCheckpoint.writeAtomically(manifestBytes, to: directory.appendingPathComponent(Self.manifestName))

        for old in doomed {
            guard unlink(directory.appendingPathComponent(old).path) == 0 || errno == ENOENT else {
                throw CheckpointError("wrote \(url.path), but cannot delete the old checkpoint \(old): \(String(cString: strerror(errno)))")
            }
        }
        let elapsed = start.duration(to: clock.now).components
        return CheckpointWriteReport(name: name, url: url, iteration: checkpoint.iteration, bytes: bytes.count, sha256: sha,
                                     seconds: Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18,
                                     deleted: Array(doomed))
    }

    /// Manifest entries for the verified checkpoints on disk (other than `except`), used when
    /// the manifest is missing or invalid.
    private func rebuiltEntries(except: String) throws -> [String: Manifest.Entry] {
        var entries: [String: Manifest.Entry] = [:]
        for name in try checkpointNamesOnDisk() where name != except {
            let url = directory.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: url.path),
                  let checkpoint = try? RunCheckpoint.decode(Array(data), name: url.path) else { continue }
            entries[name] = Manifest.Entry(name: name, iteration: checkpoint.iteration, bytes: data.count,
                                           sha256: SHA256.hexDigest(data))
        }
        return entries
    }

    // MARK: - Reading

    /// The newest checkpoint that verifies, by iteration and then name, with every damaged
    /// file skipped and reported. See ``newest(in:)``.
    public func newest() throws -> (checkpoint: RunCheckpoint, url: URL, skipped: [String]) {
        try Self.newest(in: directory)
    }

    /// The newest checkpoint in `directory` that verifies, by iteration and then name.
    ///
    /// Every `*.ckpt` file (not starting with `.`) is considered. A file listed in a valid
    /// manifest must have the listed size and SHA-256; every file must decode and match its
    /// own SHA-256 trailer. Unlisted files are fine. Each file that fails is reported in
    /// `skipped` as one line naming it and saying why (truncated, checksum mismatch, …); an
    /// invalid manifest is reported there too and then ignored, as is a missing one.
    /// - Throws: ``CheckpointError`` when no checkpoint verifies, listing what was skipped, or
    ///   when the directory exists but cannot be listed (see ``checkpointNamesOnDisk()``).
    public static func newest(in directory: URL) throws -> (checkpoint: RunCheckpoint, url: URL, skipped: [String]) {
        let store = CheckpointStore(directory: directory, keep: 1)
        var skipped: [String] = []
        var listed: [String: Manifest.Entry] = [:]
        let onDisk = try store.checkpointNamesOnDisk()
        switch store.loadManifest() {
        case let .valid(manifest):
            for entry in manifest.checkpoints {
                listed[entry.name] = entry
                if !onDisk.contains(entry.name) {
                    skipped.append("\(directory.appendingPathComponent(entry.name).path): listed in \(manifestName) but missing")
                }
            }
        case let .invalid(why):
            skipped.append("\(directory.appendingPathComponent(manifestName).path): \(why); "
                           + "verified each checkpoint by its own checksum instead")
        case .missing:
            break
        }

        var best: (checkpoint: RunCheckpoint, url: URL)?
        for name in onDisk {
            let url = directory.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                skipped.append("\(url.path): cannot be read")
                continue
            }
            if let entry = listed[name] {
                if data.count < entry.bytes {
                    skipped.append("checkpoint \(url.path) is damaged: truncated: \(data.count) bytes, \(manifestName) lists \(entry.bytes)")
                    continue
                }
                if data.count != entry.bytes || SHA256.hexDigest(data) != entry.sha256 {
                    skipped.append("checkpoint \(url.path) is damaged: checksum mismatch with \(manifestName) (corrupted or overwritten)")
                    continue
                }
            }
            do {
                let checkpoint = try RunCheckpoint.decode(Array(data), name: url.path)
                if best.map({ (checkpoint.iteration, name) > ($0.checkpoint.iteration, $0.url.lastPathComponent) }) ?? true {
                    best = (checkpoint, url)
                }
            } catch {
                skipped.append("\(error)")
            }
        }
        guard let best else {
            throw CheckpointError("no checkpoint that verifies in \(directory.path)"
                                  + (skipped.isEmpty ? " (run 'metatrain train --run-dir \(directory.path)' first)"
                                                     : ": " + skipped.joined(separator: "; ")
                                                       + "; restore an intact checkpoint into it or start the run again"))
        }
        return (best.checkpoint, best.url, skipped)
    }

    // MARK: - Manifest

    /// The manifest's JSON form.
    struct Manifest: Codable {
        struct Entry: Codable {
            var name: String
            var iteration: Int
            var bytes: Int
            var sha256: String
        }
        var format: Int
        var checkpoints: [Entry]
    }

    enum ManifestState {
        case missing
        case invalid(String)
        case valid(Manifest)
    }

    /// The manifest, checked: format, plain unique checkpoint names, non-negative numbers and
    /// 64-digit lowercase hexadecimal hashes.
    func loadManifest() -> ManifestState {
        let url = directory.appendingPathComponent(Self.manifestName)
        guard FileManager.default.fileExists(atPath: url.path) else { return .missing }
        guard let data = FileManager.default.contents(atPath: url.path) else { return .invalid("cannot be read") }
        let manifest: Manifest
        do { manifest = try JSONDecoder().decode(Manifest.self, from: data) } catch { return .invalid("not valid manifest JSON") }
        guard manifest.format == Self.manifestFormat else { return .invalid("unknown manifest format \(manifest.format)") }
        var names = Set<String>()
        for e in manifest.checkpoints {
            guard Self.isCheckpointName(e.name), names.insert(e.name).inserted, e.iteration >= 0, e.bytes >= 0,
                  e.sha256.count == 64, e.sha256.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
                return .invalid("entry '\(e.name)' is malformed")
            }
        }
        return .valid(manifest)
    }

    // MARK: - Files

    /// Whether `name` is a plain, visible checkpoint file name.
    static func isCheckpointName(_ name: String) -> Bool {
        name.hasSuffix("." + RunCheckpoint.fileExtension) && !name.hasPrefix(".") && !name.contains("/") && !name.contains("\0")
    }

    /// The checkpoint files in the directory, sorted by name; none when the directory does not exist.
    /// - Throws: ``CheckpointError`` when the directory exists but cannot be listed (see
    ///   ``listDirectory(_:)``): a run directory that cannot be read is not an empty one.
    public func checkpointNamesOnDisk() throws -> [String] {
        try Self.listDirectory(directory).filter(Self.isCheckpointName).sorted()
    }

    /// Every entry of `directory` except `.` and `..`, in no particular order; none when the
    /// directory does not exist.
    ///
    /// Why not `FileManager.contentsOfDirectory`: its callers here used to turn every failure
    /// into "no files", so a run directory that was a regular file, or that failed to read,
    /// looked like a fresh one. `opendir`/`readdir` give the exact `errno` of both failures.
    /// - Throws: ``CheckpointError`` naming the directory and the reason when it exists but
    ///   cannot be opened as a directory (e.g. it is a regular file) or reading it fails.
    public static func listDirectory(_ directory: URL) throws -> [String] {
        guard let stream = opendir(directory.path) else {
            let code = errno
            if code == ENOENT { return [] }
            throw CheckpointError("cannot list the run directory \(directory.path): \(String(cString: strerror(code)))")
        }
        defer { closedir(stream) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                let code = errno
                if code != 0 {
                    throw CheckpointError("cannot list the run directory \(directory.path): \(String(cString: strerror(code)))")
                }
                return names
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
    }

    private func fileExists(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path)
    }
}
