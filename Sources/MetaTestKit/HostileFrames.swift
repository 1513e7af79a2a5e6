import MetaRuntime

/// Frames a well-behaved sender never makes, for tests that play a hostile peer.
public enum HostileFrames {
    /// A hello frame of the current protocol with a build id of any length (a real sender
    /// clips it to ``MetaRuntime/BuildIdentity/maxFieldBytes``), checksummed so that it gets
    /// as far as the field checks.
    public static func hello(buildID: String, blasKernel: String = "k", fingerprint: String = "f", workerName: String = "hostile") -> [UInt8] {
        var body: [UInt8] = []
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { body += $0 } }
        func string(_ s: String) { u32(s.utf8.count); body += Array(s.utf8) }
        withUnsafeBytes(of: WireCodec.protocolVersion.littleEndian) { body += $0 }
        string(buildID); string(blasKernel); string(fingerprint); string(workerName)
        body += [1, 0]
        var f = WireCodec.magic
        withUnsafeBytes(of: WireCodec.protocolVersion.littleEndian) { f += $0 }
        f += [MessageKind.hello.rawValue, 0]
        withUnsafeBytes(of: UInt32(body.count).littleEndian) { f += $0 }
        f += body
        withUnsafeBytes(of: CRC32.checksum(f).littleEndian) { f += $0 }
        return f
    }
}
