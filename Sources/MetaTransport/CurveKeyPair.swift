import CZeroMQ
import Foundation

/// A CURVE key pair in Z85 text (40 characters each), as ZeroMQ's CURVE mechanism uses them.
///
/// Key files are small text files: `metatrain keys generate` writes `NAME.key` (both keys,
/// mode 0600: give it only to the process it identifies) and `NAME.pub` (the public key:
/// hand it to the other side, e.g. into the coordinator's allow-list directory).
/// ``writeFiles(directory:name:)`` creates each file under a temporary name with its final
/// mode from the first byte (so the secret is never readable by others, not even briefly),
/// syncs it and renames it into place; ``read(path:)`` refuses a file that holds a secret key
/// and is open to group or others.
/// ```
/// # metatrain CURVE key pair
/// public-key = rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7
/// secret-key = JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6
/// ```
public struct CurveKeyPair: Sendable, Equatable {
    public let publicKey: String
    /// Nil for a public-key-only file.
    public let secretKey: String?

    public init(publicKey: String, secretKey: String?) throws(ZMQError) {
        guard Self.isZ85Key(publicKey) else { throw ZMQError(code: EINVAL, "'\(publicKey)' is not a 40-character Z85 CURVE key") }
        if let secretKey, !Self.isZ85Key(secretKey) { throw ZMQError(code: EINVAL, "the secret key is not a 40-character Z85 CURVE key") }
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// A fresh key pair from libzmq's `zmq_curve_keypair` (libsodium's random source).
    public static func generate() throws(ZMQError) -> CurveKeyPair {
        var pub = [CChar](repeating: 0, count: 41), sec = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&pub, &sec) == 0 else { throw ZMQError.last("zmq_curve_keypair (is CURVE built in?)") }
        func text(_ c: [CChar]) -> String { String(decoding: c.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return try CurveKeyPair(publicKey: text(pub), secretKey: text(sec))
    }

    /// The 32-byte binary form of a Z85 key (what the ZAP handler receives as credentials).
    public static func binary(_ z85: String) -> [UInt8]? {
        guard isZ85Key(z85) else { return nil }
        var out = [UInt8](repeating: 0, count: 32)
        return zmq_z85_decode(&out, z85) == nil ? nil : out
    }

    /// The Z85 text of a 32-byte binary key.
    public static func z85(_ binary: [UInt8]) -> String? {
        guard binary.count == 32 else { return nil }
        var out = [CChar](repeating: 0, count: 41)
        guard zmq_z85_encode(&out, binary, 32) != nil else { return nil }
        return String(decoding: out.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func isZ85Key(_ s: String) -> Bool {
        let alphabet = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#")
        return s.count == 40 && s.allSatisfy { alphabet.contains($0) }
    }

    /// The file text: both keys, or only the public one.
    public func fileText(includingSecret: Bool) -> String {
        var text = "# metatrain CURVE key pair\npublic-key = \(publicKey)\n"
        if includingSecret, let secretKey { text += "secret-key = \(secretKey)\n" }
        return text
    }

    /// Parses a key file (see the type's documentation). A bare 40-character key on a line
    /// of its own is read as a public key, so an allow-list can be a plain list of keys.
    public static func parse(_ text: String, name: String) throws(ZMQError) -> CurveKeyPair {
        var pub: String?, sec: String?
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if let eq = line.firstIndex(of: "=") , line.hasPrefix("public-key") || line.hasPrefix("secret-key") {
                let key = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
                if line.hasPrefix("public-key") { pub = key } else { sec = key }
            } else if isZ85Key(line) {
                pub = line
            } else {
                throw ZMQError(code: EINVAL, "\(name): unexpected line '\(line.prefix(60))' (expected 'public-key = …' or 'secret-key = …')")
            }
        }
        guard let pub else { throw ZMQError(code: EINVAL, "\(name) holds no public key (expected a line 'public-key = …')") }
        do { return try CurveKeyPair(publicKey: pub, secretKey: sec) } catch { throw ZMQError(code: EINVAL, "\(name): \(error.description)") }
    }

    /// Reads a key file.
    /// - Throws: ``ZMQError`` when the file cannot be read or parsed, or when it holds a secret
    ///   key and its mode grants group or others any access (`EACCES`, one line naming the
    ///   file and the `chmod 600` that fixes it): a secret others can read identifies nobody.
    public static func read(path: String) throws(ZMQError) -> CurveKeyPair {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ZMQError(code: errno, "cannot read key file \(path): \(String(cString: strerror(errno))) (create one with 'metatrain keys generate')")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ZMQError(code: errno, "cannot read key file \(path): \(String(cString: strerror(errno)))") }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw ZMQError(code: errno, "cannot read key file \(path): \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            bytes += chunk[0..<n]
            guard bytes.count <= 1 << 20 else { throw ZMQError(code: EFBIG, "key file \(path) is larger than 1 MiB: not a key file") }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ZMQError(code: EINVAL, "key file \(path) is not UTF-8 text (create one with 'metatrain keys generate')")
        }
        let keys = try parse(text, name: path)
        let mode = info.st_mode & 0o777
        if keys.secretKey != nil && mode & 0o077 != 0 {
            throw ZMQError(code: EACCES, "secret key file \(path) is accessible by group or others (mode \(String(mode, radix: 8))); "
                           + "run 'chmod 600 \(path)'")
        }
        return keys
    }

    /// Writes `NAME.key` (both keys, mode 0600) and `NAME.pub` (the public key, mode 0644)
    /// into `directory` (created if missing), each atomically: a temporary file opened with
    /// `O_CREAT | O_EXCL` and its final mode, written, synced, then renamed into place.
    /// - Returns: the two files' locations.
    /// - Throws: ``ZMQError`` when either file exists already or cannot be written.
    public func writeFiles(directory: URL, name: String) throws(ZMQError) -> (secret: URL, public: URL) {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ZMQError(code: EIO, "cannot create \(directory.path): \(error.localizedDescription)")
        }
        let secret = directory.appendingPathComponent("\(name).key"), pub = directory.appendingPathComponent("\(name).pub")
        for url in [secret, pub] where FileManager.default.fileExists(atPath: url.path) {
            throw ZMQError(code: EEXIST, "\(url.path) exists; remove it or choose another --name")
        }
        guard secretKey != nil else { throw ZMQError(code: EINVAL, "a public key alone cannot be written as a key pair") }
        try Self.writeAtomically(fileText(includingSecret: true), to: secret, mode: 0o600)
        try Self.writeAtomically(fileText(includingSecret: false), to: pub, mode: 0o644)
        return (secret, pub)
    }

    /// Writes `text` to `url` through a temporary file that has `mode` from its creation.
    static func writeAtomically(_ text: String, to url: URL, mode: mode_t) throws(ZMQError) {
        let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        let fd = open(tmp.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw ZMQError(code: errno, "cannot create \(tmp.path): \(String(cString: strerror(errno)))") }
        // The umask may have cleared bits of `mode` (for 0644); set it exactly. It can only
        // have narrowed 0600, so the secret was never readable by others in between.
        var failure: Int32 = fchmod(fd, mode) == 0 ? 0 : errno
        if failure == 0 {
            var bytes = Array(text.utf8)
            failure = bytes.withUnsafeMutableBytes { raw -> Int32 in
                var done = 0
                while done < raw.count {
                    let n = write(fd, raw.baseAddress! + done, raw.count - done)
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { return n < 0 ? errno : ENOSPC }
                    done += n
                }
                return 0
            }
        }
        if failure == 0 && fsync(fd) != 0 { failure = errno }
        if close(fd) != 0 && failure == 0 { failure = errno }
        if failure == 0 && rename(tmp.path, url.path) != 0 { failure = errno }
        guard failure == 0 else {
            unlink(tmp.path)
            throw ZMQError(code: failure, "cannot write \(url.path): \(String(cString: strerror(failure)))")
        }
        let dir = open(url.deletingLastPathComponent().path, O_RDONLY | O_CLOEXEC)
        if dir >= 0 { fsync(dir); close(dir) }
    }

    /// The public keys of an allow-list: every `.pub` or `.key` file in a directory, or every
    /// key in one file (one per line, or a key file).
    public static func allowList(path: String) throws(ZMQError) -> Set<String> {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ZMQError(code: ENOENT, "allow-list \(path) does not exist (a directory of .pub files or a file of public keys)")
        }
        if !isDirectory.boolValue {
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw ZMQError(code: EIO, "cannot read allow-list \(path)")
            }
            var keys = Set<String>()
            for raw in text.split(whereSeparator: \.isNewline) {
                let line = raw.trimmingCharacters(in: .whitespaces)
                if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("secret-key") { continue }
                let key = line.hasPrefix("public-key") ? line.split(separator: "=", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" : line
                guard isZ85Key(key) else { throw ZMQError(code: EINVAL, "allow-list \(path): '\(line.prefix(60))' is not a public key") }
                keys.insert(key)
            }
            return keys
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
        var keys = Set<String>()
        for name in names where name.hasSuffix(".pub") || name.hasSuffix(".key") {
            keys.insert(try read(path: (path as NSString).appendingPathComponent(name)).publicKey)
        }
        return keys
    }
}
