import Foundation

/// Writes to a file descriptor through `write(2)`, returning errors instead of trapping.
///
/// Why not `FileHandle.write(_:)`: it traps on any error, so a full disk (ENOSPC) under a log
/// file or a closed pipe (EPIPE, with SIGPIPE ignored) on standard error would kill a run that
/// could have gone on. Here every error comes back as an `errno` value for the caller to
/// count or ignore.
public enum FileDescriptorOutput {
    /// Writes all of `bytes` to `fd`, retrying after `EINTR` and continuing after partial writes.
    /// - Returns: 0 when every byte was written, else the `errno` of the call that failed
    ///   (`ENOSPC` when `write` wrote nothing without an error).
    public static func writeAll(_ bytes: UnsafeRawBufferPointer, to fd: Int32) -> Int32 {
        guard var next = bytes.baseAddress else { return 0 }
        var left = bytes.count
        while left > 0 {
            let n = write(fd, next, left)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            if n == 0 { return ENOSPC }
            next += n
            left -= n
        }
        return 0
    }

    /// Writes all of `data` to `fd` (see ``writeAll(_:to:)-(UnsafeRawBufferPointer,_)``).
    public static func writeAll(_ data: Data, to fd: Int32) -> Int32 {
        data.withUnsafeBytes { writeAll($0, to: fd) }
    }

    /// Writes the UTF-8 of `text` to `fd`.
    public static func writeAll(_ text: String, to fd: Int32) -> Int32 {
        var text = text
        return text.withUTF8 { writeAll(UnsafeRawBufferPointer($0), to: fd) }
    }

    /// Writes `text` to standard error, ignoring failure (there is nowhere left to report it).
    public static func standardError(_ text: String) {
        _ = writeAll(text, to: STDERR_FILENO)
    }
}
