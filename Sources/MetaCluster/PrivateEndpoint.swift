import Foundation

/// An `ipc://` endpoint in a fresh directory of mode 0700, for a local cluster
/// (`train --workers N`, `bench --workers N`): only this user (and root) can connect, unlike a
/// TCP port on 127.0.0.1, which every local user can reach. The directory is removed by
/// ``remove()`` or when the value is released.
public final class PrivateEndpoint: @unchecked Sendable {
    /// The endpoint to bind and to give the workers.
    public let endpoint: String
    /// The directory holding the socket (mode 0700).
    public let directory: String

    /// Makes the directory under `$TMPDIR` (or /tmp). Throws a one-line error if it cannot.
    public init() throws {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(base)/metatrain-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw PrivateEndpointError("cannot create a private directory for the local cluster in \(base): \(String(cString: strerror(errno)))")
        }
        directory = String(cString: made)
        chmod(directory, 0o700)
        endpoint = "ipc://\(directory)/coordinator"
        // ipc paths are limited by sockaddr_un (107 bytes on Linux).
        guard endpoint.utf8.count - 6 < 100 else {
            rmdir(directory)
            throw PrivateEndpointError("the temporary directory path \(base) is too long for a local socket; set TMPDIR to a shorter one")
        }
    }

    /// Removes the socket and the directory.
    public func remove() {
        unlink("\(directory)/coordinator")
        rmdir(directory)
    }

    deinit { remove() }
}

/// Why a private endpoint could not be made.
public struct PrivateEndpointError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
