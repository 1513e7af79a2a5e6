import Foundation

/// `metatrain data fetch NAME`: downloads a data set's files into a folder, checks their
/// content digest, and only then puts them in place.
///
/// Contract:
/// - **Where from.** `<base>/<file>` for each of the source's files, where base is the
///   `--from` URL, else `$METATRAIN_DATA_URL`, else the source's official address.
/// - **Where to.** ``directory`` (created when missing): by default the folder the data loader
///   reads (``DatasetSource/localDirectory``).
/// - **Steps.** A file already in place is kept and used as it is; each missing one is
///   downloaded to `<file>.part` in the same folder, resuming a part file left by an earlier
///   run (``HTTPDownload``). Then the content digest of all files together must equal the
///   source's; only then is each part file renamed to its final name (atomic, same folder).
/// - **Failures** throw one ``FetchError`` line. A digest mismatch, or a download that is no
///   archive of the data set, deletes the part files it made and nothing else: files that were
///   in place stay, and no final file appears. A download that breaks off leaves its part file
///   for the next run to resume.
public struct DatasetFetch {
    /// The environment variable with a base URL that replaces the official one (a mirror).
    public static let baseURLVariable = "METATRAIN_DATA_URL"

    /// How a fetch ended.
    public enum Outcome: Equatable, Sendable {
        /// Every file was already in place with the right content digest; nothing was downloaded.
        case alreadyPresent
        /// These files were downloaded and put in place (the others were already there).
        case fetched([String])
    }

    public let source: DatasetSource
    /// The base URL, without a trailing slash.
    public let baseURL: String
    /// The folder the files go to.
    public let directory: String

    /// - Parameters:
    ///   - from: the base URL (`--from`); nil: `$METATRAIN_DATA_URL`, else the official one.
    ///   - to: the folder (`--to`); nil: the source's ``DatasetSource/localDirectory``.
    ///   - environment: the process environment (for ``baseURLVariable``).
    public init(_ source: DatasetSource, from: String? = nil, to: String? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.source = source
        let base = from ?? environment[Self.baseURLVariable].flatMap { $0.isEmpty ? nil : $0 } ?? source.defaultBaseURL
        baseURL = base.hasSuffix("/") ? String(base.dropLast()) : base
        directory = to ?? source.localDirectory()
    }

    /// The URL of `file`.
    public func url(of file: String) -> String { "\(baseURL)/\(file)" }

    /// Fetches and verifies (see the type's contract).
    /// - Parameters:
    ///   - log: one line per step (resuming, a server that ignored the range, verifying).
    ///   - progress: makes the progress display of one file's download.
    public func run(log: (String) -> Void, progress: (_ file: String) -> DownloadProgress) throws -> Outcome {
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw FetchError("cannot create \(directory): \(error.localizedDescription); choose another folder with --to")
        }
        let finals = source.files.map { (directory as NSString).appendingPathComponent($0) }
        let present = Set(source.files.indices.filter { fm.fileExists(atPath: finals[$0]) })
        var downloaded: [Int] = []
        var paths = finals
        for index in source.files.indices where !present.contains(index) {
            let file = source.files[index]
            let part = finals[index] + ".part"
            if let size = Self.size(of: part), size > 0 {
                log("resuming \(file) from byte \(size) (\(part))")
            }
            let display = progress(file)
            let result: HTTPDownload.Result
            do {
                result = try HTTPDownload(url: url(of: file), partFile: part).run { received, total, from in
                    display.update(received: received, total: total, from: from)
                }
            } catch {
                // Keep a part file with bytes to resume; an empty one is only litter.
                if Self.size(of: part) == 0 { _ = unlink(part) }
                throw error
            }
            display.finish(received: result.bytes, total: result.bytes, from: result.resumedFrom)
            if result.rangeIgnored { log("the server ignored the range request for \(file): downloaded it again from the start") }
            paths[index] = part
            downloaded.append(index)
        }

        log("verifying the content digest of \(source.files.joined(separator: " and "))…")
        let digest: String
        do { digest = try source.digest(paths) } catch {
            removeParts(downloaded, paths)
            throw FetchError("the files from \(baseURL) are not the \(source.name) data set: \(error); nothing was installed")
        }
        guard digest == source.contentDigest else {
            removeParts(downloaded, paths)
            if downloaded.isEmpty {
                throw FetchError("\(directory) already holds \(source.files.joined(separator: " and ")) with content digest \(digest), "
                                 + "not \(source.contentDigest) (the \(source.name) data set); move them away and run again")
            }
            let kept = source.files.indices.filter { present.contains($0) }.map { source.files[$0] }
            throw FetchError("the \(source.name) files have content digest \(digest), not \(source.contentDigest)"
                             + (kept.isEmpty ? "" : " (with \(kept.joined(separator: ", ")) already in \(directory))")
                             + ": \(baseURL) serves other files; nothing was installed, use the official address or a faithful mirror")
        }
        guard !downloaded.isEmpty else { return .alreadyPresent }
        for index in downloaded where rename(paths[index], finals[index]) != 0 {
            throw FetchError("cannot move \(paths[index]) to \(finals[index]): \(String(cString: strerror(errno)))")
        }
        return .fetched(downloaded.map { source.files[$0] })
    }

    /// The size of the file at `path`; nil when there is none.
    private static func size(of path: String) -> Int64? {
        var status = stat()
        return stat(path, &status) == 0 ? Int64(status.st_size) : nil
    }

    /// Deletes the part files this fetch downloaded (they are complete and wrong: resuming them is useless).
    private func removeParts(_ downloaded: [Int], _ paths: [String]) {
        for index in downloaded { _ = unlink(paths[index]) }
    }
}
