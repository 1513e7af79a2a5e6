import Foundation
import MetaAlgorithms

/// A checkpoint read from a path a user gave: a checkpoint file, or the newest checkpoint in a
/// run directory that verifies.
///
/// Every checkpoint is verified as it is read (see ``RunCheckpoint``). The damaged checkpoints a
/// run directory's search passed over are not errors: they are returned in ``skipped``, one
/// line each, for the caller to report.
public struct FoundCheckpoint: Sendable {
    /// What a path names.
    public enum Kind: Sendable, Equatable {
        case file
        case runDirectory
    }

    /// The checkpoint, verified.
    public var checkpoint: RunCheckpoint
    /// The file it was read from.
    public var file: URL
    /// The damaged checkpoints skipped on the way to it, one line each (run directories only).
    public var skipped: [String]

    public init(checkpoint: RunCheckpoint, file: URL, skipped: [String] = []) {
        self.checkpoint = checkpoint
        self.file = file
        self.skipped = skipped
    }

    /// Whether `url` is a directory (taken for a run directory) or anything else (taken for a file).
    /// - Throws: ``CheckpointError`` "no such checkpoint file or run directory: PATH" when nothing is there.
    public static func kind(of url: URL) throws -> Kind {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw CheckpointError("no such checkpoint file or run directory: \(url.path)")
        }
        return isDirectory.boolValue ? .runDirectory : .file
    }

    /// The checkpoint file at `url`, read and verified.
    /// - Throws: ``CheckpointError`` naming the file when it cannot be read or does not verify.
    public static func file(_ url: URL) throws -> FoundCheckpoint {
        FoundCheckpoint(checkpoint: try RunCheckpoint.read(from: url), file: url)
    }

    /// The newest checkpoint in the run directory `url` that verifies (the rules of
    /// ``RunCheckpoint/newest(in:)``), with the damaged ones it skipped.
    /// - Throws: ``CheckpointError`` when the directory cannot be listed or holds no checkpoint that verifies.
    public static func newest(inRunDirectory url: URL) throws -> FoundCheckpoint {
        let found = try RunCheckpoint.newest(in: url)
        return FoundCheckpoint(checkpoint: found.checkpoint, file: found.url, skipped: found.skipped)
    }

    /// The checkpoint at `path`: the file itself, or a run directory's newest checkpoint that verifies.
    /// - Throws: ``CheckpointError``: nothing at `path`, or the errors of ``file(_:)`` and
    ///   ``newest(inRunDirectory:)``.
    public static func at(path: String) throws -> FoundCheckpoint {
        let url = URL(fileURLWithPath: path)
        switch try kind(of: url) {
        case .runDirectory: return try newest(inRunDirectory: url)
        case .file: return try file(url)
        }
    }

    /// The checkpoint's configuration, parsed back.
    /// - Throws: ``CheckpointError`` "the configuration of FILE: …" when it does not parse in this build.
    public func configuration() throws -> RunConfiguration {
        do { return try checkpoint.configuration() } catch { throw CheckpointError("the configuration of \(file.path): \(error)") }
    }
}
