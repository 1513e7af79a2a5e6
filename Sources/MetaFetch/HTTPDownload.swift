import CCurl
import Foundation

/// One HTTP(S) download into a `.part` file that survives interruption, with libcurl.
///
/// Contract:
/// - **Resuming.** When ``partFile`` already holds N > 0 bytes, the request asks for the rest
///   (`Range: bytes=N-`). A `206 Partial Content` answer that starts at byte N is appended; a
///   server that ignores the range answers `200` with the whole file, and the part file is
///   truncated and written from the start (a clean restart, never a file with a seam). A `416`
///   (the part file is as long as the file, or longer) restarts once from zero.
/// - **Redirects** are followed (GitHub's `raw/` URLs redirect), HTTP errors (4xx, 5xx) fail.
/// - **Failures** throw one ``FetchError`` line naming the URL and libcurl's reason; the part
///   file keeps what arrived, so the next run resumes. A connection that receives nothing for
///   ``stallSeconds`` seconds fails.
/// - Blocking; one download per value at a time.
public struct HTTPDownload {
    /// What a finished download did.
    public struct Result: Sendable, Equatable {
        /// Bytes the part file held and the server continued from (0: the whole file was sent).
        public let resumedFrom: Int64
        /// Whether the server ignored a range request (the file was downloaded from the start).
        public let rangeIgnored: Bool
        /// The part file's size at the end.
        public let bytes: Int64
    }

    public let url: String
    public let partFile: String
    /// Seconds to wait for a connection.
    public var connectTimeout = 30
    /// Seconds without a received byte before the download fails.
    public var stallSeconds = 60

    public init(url: String, partFile: String) {
        self.url = url
        self.partFile = partFile
    }

    /// Downloads the rest of ``url`` into ``partFile``, calling `progress(received, total, from)`
    /// as bytes arrive: the bytes in the part file, the file's size (nil when the server does
    /// not say) and the byte this session started at.
    public func run(progress: @escaping (_ received: Int64, _ total: Int64?, _ from: Int64) -> Void = { _, _, _ in }) throws -> Result {
        switch try attempt(progress: progress) {
        case .done(let result):
            return result
        case .rangeNotSatisfiable:
            // The part file is no prefix of the file: start over.
            _ = unlink(partFile)
            guard case .done(let result) = try attempt(progress: progress) else {
                throw FetchError("cannot download \(url): the server refuses even a request from byte 0 (HTTP 416)")
            }
            return result
        }
    }

    private enum Attempt { case done(Result), rangeNotSatisfiable }

    private func attempt(progress: @escaping (Int64, Int64?, Int64) -> Void) throws -> Attempt {
        _ = Self.globalInit
        let fd = open(partFile, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw FetchError("cannot write \(partFile): \(String(cString: strerror(errno))); check that the folder is writable")
        }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw FetchError("cannot read the size of \(partFile): \(String(cString: strerror(errno)))") }
        let existing = Int64(status.st_size)

        guard let curl = curl_easy_init() else { throw FetchError("cannot download \(url): libcurl could not start a transfer") }
        defer { curl_easy_cleanup(curl) }
        let transfer = Transfer(curl: curl, fd: fd, requestedFrom: existing, progress: progress)
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }

        let context = Unmanaged.passUnretained(transfer).toOpaque()
        var setup: [CURLcode] = [
            ccurl_set_string(curl, CURLOPT_URL, url),
            ccurl_set_long(curl, CURLOPT_FOLLOWLOCATION, 1),
            ccurl_set_long(curl, CURLOPT_MAXREDIRS, 10),
            ccurl_set_long(curl, CURLOPT_FAILONERROR, 1),
            ccurl_set_long(curl, CURLOPT_CONNECTTIMEOUT, connectTimeout),
            ccurl_set_long(curl, CURLOPT_LOW_SPEED_LIMIT, 1),
            ccurl_set_long(curl, CURLOPT_LOW_SPEED_TIME, stallSeconds),
            ccurl_set_string(curl, CURLOPT_USERAGENT, "metatrain-data-fetch"),
            ccurl_set_pointer(curl, CURLOPT_ERRORBUFFER, errorBuffer),
            ccurl_set_data_function(curl, CURLOPT_HEADERFUNCTION) { buffer, size, count, context in
                guard let buffer, let context else { return 0 }
                let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
                let bytes = UnsafeRawBufferPointer(start: buffer, count: size * count)
                transfer.header(String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
                return size * count
            },
            ccurl_set_pointer(curl, CURLOPT_HEADERDATA, context),
            ccurl_set_data_function(curl, CURLOPT_WRITEFUNCTION) { buffer, size, count, context in
                guard let buffer, let context else { return 0 }
                let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
                return transfer.body(UnsafeRawBufferPointer(start: buffer, count: size * count))
            },
            ccurl_set_pointer(curl, CURLOPT_WRITEDATA, context),
        ]
        if existing > 0 { setup.append(ccurl_set_string(curl, CURLOPT_RANGE, "\(existing)-")) }
        if let failed = setup.first(where: { $0 != CURLE_OK }) {
            throw FetchError("cannot download \(url): libcurl refused an option (\(String(cString: curl_easy_strerror(failed))))")
        }

        let code = withExtendedLifetime(transfer) { curl_easy_perform(curl) }
        if let failure = transfer.failure { throw FetchError("cannot download \(url): \(failure)") }
        var response = 0
        _ = ccurl_get_long(curl, CURLINFO_RESPONSE_CODE, &response)
        guard code == CURLE_OK else {
            if code == CURLE_HTTP_RETURNED_ERROR {
                if response == 416 && existing > 0 { return .rangeNotSatisfiable }
                throw FetchError("cannot download \(url): the server answered HTTP \(response); check the address (--from, "
                                 + "\(DatasetFetch.baseURLVariable))")
            }
            let detail = String(cString: errorBuffer)
            let reason = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            throw FetchError("cannot download \(url): \(reason); check the address (--from, \(DatasetFetch.baseURLVariable)) and "
                             + "the network, then run again (the download resumes)")
        }
        if !transfer.statusSeen && response == 200 && existing > 0 {
            // A 200 with an empty body: the file is empty, not the old part.
            guard ftruncate(fd, 0) == 0 else { throw FetchError("cannot truncate \(partFile): \(String(cString: strerror(errno)))") }
            transfer.offset = 0
        }
        if let total = transfer.total, transfer.offset != total {
            throw FetchError("cannot download \(url): the server sent \(transfer.offset) of \(total) bytes; run again to resume")
        }
        let resumed = transfer.statusSeen && transfer.writingFrom > 0 ? transfer.writingFrom : 0
        return .done(Result(resumedFrom: resumed, rangeIgnored: existing > 0 && transfer.restarted, bytes: transfer.offset))
    }

    /// libcurl's process-wide set-up, once, before the first transfer (it is not thread-safe).
    private static let globalInit: Void = { _ = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    /// The state the C callbacks share with ``attempt(progress:)``.
    private final class Transfer {
        let curl: UnsafeMutableRawPointer
        let fd: Int32
        let requestedFrom: Int64
        let progress: (Int64, Int64?, Int64) -> Void
        /// Whether the current response's status has been looked at (on its first body bytes).
        var statusSeen = false
        /// Whether the current response's body goes to the file (a 2xx answer).
        var writing = false
        /// Where the written body started in the file.
        var writingFrom: Int64 = 0
        /// Bytes in the file.
        var offset: Int64 = 0
        /// The whole file's size, when the server says it.
        var total: Int64?
        /// The server ignored the range and sent the whole file.
        var restarted = false
        var contentRange: (start: Int64, total: Int64?)?
        var contentLength: Int64?
        var failure: String?

        init(curl: UnsafeMutableRawPointer, fd: Int32, requestedFrom: Int64, progress: @escaping (Int64, Int64?, Int64) -> Void) {
            self.curl = curl; self.fd = fd; self.requestedFrom = requestedFrom; self.progress = progress
        }

        /// One header line; a status line starts a new response (after a redirect).
        func header(_ line: String) {
            let lower = line.lowercased()
            if lower.hasPrefix("http/") {
                statusSeen = false; writing = false; contentRange = nil; contentLength = nil
            } else if lower.hasPrefix("content-length:") {
                contentLength = Int64(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
            } else if lower.hasPrefix("content-range:") {
                // bytes START-END/TOTAL (TOTAL may be *)
                let value = line.dropFirst("content-range:".count).trimmingCharacters(in: .whitespaces)
                let spec = value.split(separator: " ").last.map(String.init) ?? ""
                let halves = spec.split(separator: "/", maxSplits: 1)
                if let range = halves.first, let start = Int64(range.split(separator: "-").first ?? "") {
                    contentRange = (start, halves.count == 2 ? Int64(halves[1]) : nil)
                }
            }
        }

        /// The first body bytes of a response: decide where they go. False stops the transfer.
        func begin() -> Bool {
            statusSeen = true
            var code = 0
            _ = ccurl_get_long(curl, CURLINFO_RESPONSE_CODE, &code)
            switch code {
            case 206:
                guard let range = contentRange, range.start == requestedFrom else {
                    failure = "the server answered the request from byte \(requestedFrom) with another range "
                        + "(\(contentRange.map { "from byte \($0.start)" } ?? "no Content-Range")); delete the .part file and run again"
                    return false
                }
                writingFrom = requestedFrom
                total = range.total
            case 200..<300:
                // The whole file (a server that ignores Range): start the part file over.
                guard ftruncate(fd, 0) == 0 else { failure = "cannot truncate the .part file: \(String(cString: strerror(errno)))"; return false }
                restarted = requestedFrom > 0
                writingFrom = 0
                total = contentLength
            default:
                writing = false
                return true   // a redirect's body: ignored
            }
            guard lseek(fd, off_t(writingFrom), SEEK_SET) >= 0 else {
                failure = "cannot seek in the .part file: \(String(cString: strerror(errno)))"
                return false
            }
            offset = writingFrom
            writing = true
            return true
        }

        /// Body bytes; returns how many were taken (fewer stops the transfer).
        func body(_ bytes: UnsafeRawBufferPointer) -> Int {
            if !statusSeen, !begin() { return 0 }
            guard writing else { return bytes.count }
            var done = 0
            while done < bytes.count {
                let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = "cannot write the .part file: \(String(cString: strerror(errno)))"
                    return 0
                }
                done += n
            }
            offset += Int64(done)
            progress(offset, total, writingFrom)
            return done
        }
    }
}
