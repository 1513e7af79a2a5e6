import Foundation

/// SIGINT and SIGTERM as a flag and a pollable file descriptor (the self-pipe trick).
///
/// ``install()`` replaces the default handlers (which would kill the process mid-write) with
/// one that writes a byte to a pipe; event loops poll ``fileDescriptor`` next to their
/// sockets and check ``isRequested`` between iterations, then finish cleanly: a coordinator
/// writes its checkpoint, a worker says goodbye. A second signal exits at once (status 130).
public enum StopSignal {
    nonisolated(unsafe) private static var pipeFDs: [Int32] = [-1, -1]
    nonisolated(unsafe) private static var count: Int32 = 0

    /// Installs the handlers (idempotent).
    public static func install() {
        guard pipeFDs[0] < 0 else { return }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return }
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
        pipeFDs = fds
        writeFD = fds[1]
        let handler: @convention(c) (Int32) -> Void = { signal in
            if StopSignal.first == 0 { StopSignal.first = signal }
            StopSignal.count += 1
            if StopSignal.count > 1 { _exit(128 + signal) }
            var byte = UInt8(truncatingIfNeeded: signal)
            _ = write(StopSignal.writeFD, &byte, 1)
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
        // A parent may have started this process with the signals blocked (Foundation's
        // Process does, from some threads): unblock them, or a stop request would never arrive.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    nonisolated(unsafe) private static var writeFD: Int32 = -1

    /// Readable once a stop was requested (-1 before ``install()``).
    public static var fileDescriptor: Int32 { pipeFDs[0] }

    /// The conventional exit status after a stop: 128 + the signal (130 for SIGINT, 143 for
    /// SIGTERM), 130 when the stop was requested from inside the process.
    public static var exitStatus: Int32 { 128 + (receivedSignal ?? SIGINT) }

    /// Whether SIGINT or SIGTERM arrived.
    public static var isRequested: Bool { count > 0 }

    nonisolated(unsafe) private static var first: Int32 = 0

    /// The first stop signal that arrived (SIGINT or SIGTERM); nil before any, or after a
    /// ``request()`` from inside the process.
    public static var receivedSignal: Int32? { first == 0 ? nil : first }

    /// Requests a stop from inside the process (as if a signal arrived once).
    public static func request() {
        count += 1
        if writeFD >= 0 { var byte: UInt8 = 0; _ = write(writeFD, &byte, 1) }
    }
}
