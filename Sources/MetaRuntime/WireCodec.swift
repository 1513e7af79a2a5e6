import MetaTensor

/// The byte encoding of ``Message``: one frame per message, carried as one or more ZeroMQ
/// parts of at most ``partBytes`` bytes (``parts(of:)``, ``maxParts(maxMessageBytes:)``).
///
/// Why parts: libzmq buffers a whole multipart message before the application sees any of
/// it, and limits only the size of each part (`ZMQ_MAXMSGSIZE`), never their number. With
/// whole frames as parts that limit had to be as large as the largest result (megabytes for a
/// CNN), so one hostile message of many such parts could make the receiver hold gigabytes.
/// Small parts keep the per-part limit at ``maxPartBytes``; the receiver reads the parts one
/// at a time, keeps at most ``maxParts(maxMessageBytes:)`` of them and discards the rest of
/// a longer message while reading it.
///
/// Frame layout (all integers little-endian):
/// ```
/// "MTW1"  magic, 4 bytes
/// u16     protocol version (3)
/// u8      message type (``MessageKind``)
/// u8      flags (0; reserved)
/// u32     body length
/// body
/// u32     CRC-32 (IEEE) of everything before it
/// ```
/// Bodies, field by field (strings are u32 length + UTF-8, byte blobs u32 length + bytes,
/// arrays u32 count + elements, doubles their IEEE 754 bit pattern as u64, optionals a u8
/// 0 or 1 followed by the value when 1):
/// ```
/// hello       u16 protocolVersion, string buildID, string blasKernel, string fingerprint,
///             string workerName, u16 threads
/// job         32 bytes jobHash, string configurationYAML, u64 maxMessageBytes
/// ready       32 bytes jobHash
/// assignment  u64 iteration, u64 parameterVersion, u32 round, u16 work, [f64] payload,
///             [u32] taskIndices, blob parameters
/// result      u64 iteration, u64 parameterVersion, u32 round,
///             [u32 index, f64 loss, f64 metric, blob metaGradient, f64 computeSeconds, [f64] scalars]
/// heartbeat   u64 sentAt, optional u64 iteration
/// reject      u8 reason (``RejectReason``), string text
/// shutdown    string reason, u8 finished (0 or 1)
/// ```
/// Strings have caps (``BuildIdentity/maxFieldBytes`` for the identity, ``maxNameBytes`` for
/// the worker's name, ``maxTextBytes`` for reject and shutdown texts); a longer one does not
/// decode, so a hello costs a coordinator at most a few hundred bytes of lasting memory.
/// Encoding is deterministic, and decoding is strict: a frame decodes only if it is exactly
/// what encoding its message gives, so re-encoding a decoded message reproduces its bytes.
/// Every length is checked against the bytes that remain before anything is allocated, so
/// an untrusted frame costs at most memory proportional to its own size.
public enum WireCodec {
    /// The protocol version this build speaks.
    /// 3: assignments carry a round, a work code and a payload vector; results a round and
    /// per-item scalars (iterations of several rounds, results other than gradients).
    public static let protocolVersion: UInt16 = 3
    /// The largest ZeroMQ part a sender makes (``parts(of:)``).
    public static let partBytes = 64 << 10
    /// The largest part a receiver accepts (`ZMQ_MAXMSGSIZE`): a part, plus room for a
    /// ROUTER's routing id.
    public static let maxPartBytes = partBytes + 256
    /// The longest worker name that decodes.
    public static let maxNameBytes = 256
    /// The longest reject or shutdown text that decodes.
    public static let maxTextBytes = 4096
    /// The first four bytes of every frame.
    public static let magic: [UInt8] = Array("MTW1".utf8)
    /// Bytes before the body: magic, version, type, flags, body length.
    public static let headerBytes = 12
    /// Bytes after the body: the CRC-32.
    public static let trailerBytes = 4

    // MARK: Encoding

    /// The frame of `message`. Total for every message whose strings, arrays and blobs have
    /// fewer than 2³² elements (larger ones are a programming error and trap).
    public static func encode(_ message: Message) -> [UInt8] {
        var w = Writer(capacity: headerBytes + bodySizeEstimate(message) + trailerBytes)
        w.bytes(magic)
        w.u16(protocolVersion)
        w.u8(message.kind.rawValue)
        w.u8(0)
        w.u32(0)  // body length, patched below
        switch message {
        case .hello(let m):
            w.u16(m.protocolVersion); w.string(m.identity.buildID); w.string(m.identity.blasKernel)
            w.string(m.identity.fingerprint); w.string(m.workerName); w.u16(m.threads)
        case .job(let m):
            w.bytes(m.jobHash.bytes); w.string(m.configurationYAML); w.u64(m.maxMessageBytes)
        case .ready(let m):
            w.bytes(m.jobHash.bytes)
        case .assignment(let m):
            w.u64(m.iteration); w.u64(m.parameterVersion); w.u32(m.round); w.u16(m.work)
            w.count(m.payload.count)
            for v in m.payload { w.f64(v) }
            w.count(m.taskIndices.count)
            for index in m.taskIndices { w.u32(index) }
            w.blob(m.parameters)
        case .result(let m):
            w.u64(m.iteration); w.u64(m.parameterVersion); w.u32(m.round)
            w.count(m.tasks.count)
            for t in m.tasks {
                w.u32(t.index); w.f64(t.loss); w.f64(t.metric); w.blob(t.metaGradient); w.f64(t.computeSeconds)
                w.count(t.scalars.count)
                for v in t.scalars { w.f64(v) }
            }
        case .heartbeat(let m):
            w.u64(m.sentAt)
            if let iteration = m.iteration { w.u8(1); w.u64(iteration) } else { w.u8(0) }
        case .reject(let m):
            w.u8(m.reason.rawValue); w.string(m.text)
        case .shutdown(let m):
            w.string(m.reason); w.u8(m.finished ? 1 : 0)
        }
        let bodyLength = w.out.count - headerBytes
        require(bodyLength <= Int(UInt32.max), "a \(message.kind) message of \(bodyLength) bytes cannot be framed")
        w.patchU32(UInt32(bodyLength), at: 8)
        w.u32(CRC32.checksum(w.out))
        return w.out
    }

    /// The body size of `message`, exact for fixed fields, to reserve the frame once.
    private static func bodySizeEstimate(_ message: Message) -> Int {
        switch message {
        case .assignment(let m): 42 + 8 * m.payload.count + 4 * m.taskIndices.count + m.parameters.count
        case .result(let m): 28 + m.tasks.reduce(0) { $0 + 36 + $1.metaGradient.count + 8 * $1.scalars.count }
        case .job(let m): 48 + m.configurationYAML.utf8.count
        default: 64
        }
    }

    // MARK: Decoding

    /// The message in `bytes`, a whole frame of at most `maxBytes` bytes.
    ///
    /// Throws ``WireError`` for anything but a frame ``encode(_:)`` could have produced:
    /// ``WireError/Kind/unsupportedVersion`` (with the frame's version) when magic is right
    /// but the version differs, checked before anything else in the frame so the receiver can
    /// answer `reject(.protocolVersion)` even if later versions lay frames out differently.
    public static func decode(_ bytes: [UInt8], maxBytes: Int) throws(WireError) -> Message {
        guard bytes.count <= maxBytes else {
            throw WireError(.tooLarge, "frame of \(bytes.count) bytes exceeds the limit of \(maxBytes)")
        }
        guard bytes.count >= 6 else { throw WireError(.truncated, "frame of \(bytes.count) bytes is shorter than a header") }
        guard bytes[0] == magic[0], bytes[1] == magic[1], bytes[2] == magic[2], bytes[3] == magic[3] else {
            throw WireError(.badMagic, "not a metatrain wire frame (bad magic)")
        }
        let version = UInt16(bytes[4]) | UInt16(bytes[5]) << 8
        guard version == protocolVersion else {
            throw WireError(.unsupportedVersion, "the peer speaks protocol version \(version) and this build speaks \(protocolVersion): "
                            + "run the same metatrain release on the coordinator and every worker (upgrade the older one)",
                            foundVersion: version)
        }
        guard bytes.count >= headerBytes + trailerBytes else {
            throw WireError(.truncated, "frame of \(bytes.count) bytes is shorter than header and checksum")
        }
        let bodyLength = UInt64(UInt32(bytes[8]) | UInt32(bytes[9]) << 8 | UInt32(bytes[10]) << 16 | UInt32(bytes[11]) << 24)
        guard bodyLength <= UInt64(maxBytes - headerBytes - trailerBytes) else {
            throw WireError(.tooLarge, "body length \(bodyLength) exceeds the limit of \(maxBytes) bytes per frame")
        }
        let available = bytes.count - headerBytes - trailerBytes
        guard bodyLength <= UInt64(available) else {
            throw WireError(.truncated, "body length \(bodyLength) but only \(available) bytes follow the header")
        }
        guard bodyLength == UInt64(available) else {
            throw WireError(.trailingBytes, "\(UInt64(available) - bodyLength) bytes after the body")
        }
        let end = bytes.count - trailerBytes
        let stored = UInt32(bytes[end]) | UInt32(bytes[end + 1]) << 8 | UInt32(bytes[end + 2]) << 16 | UInt32(bytes[end + 3]) << 24
        guard CRC32.checksum(bytes, range: 0..<end) == stored else {
            throw WireError(.checksumMismatch, "CRC-32 mismatch (frame damaged)")
        }
        guard let kind = MessageKind(rawValue: bytes[6]) else {
            throw WireError(.unknownMessageType, "unknown message type \(bytes[6])")
        }
        guard bytes[7] == 0 else { throw WireError(.badFlags, "reserved flags are \(bytes[7]), not 0") }

        var r = Reader(bytes: bytes, offset: headerBytes, end: end)
        let message: Message
        switch kind {
        case .hello:
            let version = try r.u16()
            let cap = BuildIdentity.maxFieldBytes
            let identity = BuildIdentity(buildID: try r.string("buildID", maxBytes: cap), blasKernel: try r.string("blasKernel", maxBytes: cap),
                                         fingerprint: try r.string("fingerprint", maxBytes: cap))
            message = .hello(HelloMessage(protocolVersion: version, identity: identity,
                                          workerName: try r.string("workerName", maxBytes: maxNameBytes), threads: try r.u16()))
        case .job:
            message = .job(JobMessage(jobHash: try r.jobHash(), configurationYAML: try r.string("configurationYAML"),
                                      maxMessageBytes: try r.u64()))
        case .ready:
            message = .ready(ReadyMessage(jobHash: try r.jobHash()))
        case .assignment:
            let iteration = try r.u64(), version = try r.u64(), round = try r.u32(), work = try r.u16()
            let payload = try r.finiteDoubles("payload")
            let count = try r.count(elementBytes: 4, "taskIndices")
            var indices: [UInt32] = []
            indices.reserveCapacity(count)
            for _ in 0..<count { indices.append(try r.u32()) }
            message = .assignment(AssignmentMessage(iteration: iteration, parameterVersion: version, round: round, work: work,
                                                    payload: payload, taskIndices: indices, parameters: try r.blob("parameters")))
        case .result:
            let iteration = try r.u64(), version = try r.u64(), round = try r.u32()
            let count = try r.count(elementBytes: 36, "tasks")
            var tasks: [ResultMessage.TaskOutcome] = []
            tasks.reserveCapacity(count)
            for _ in 0..<count {
                let index = try r.u32()
                let loss = try r.f64(), metric = try r.f64()
                let gradient = try r.blob("metaGradient")
                let seconds = try r.f64()
                guard loss.isFinite, metric.isFinite else {
                    throw WireError(.nonFinite, "a result with non-finite values is rejected (task \(index): loss \(loss), metric \(metric))")
                }
                guard seconds.isFinite, seconds >= 0 else {
                    throw WireError(.invalidValue, "task \(index) reports a compute time of \(seconds) s")
                }
                let scalars = try r.finiteDoubles("scalars of task \(index)")
                tasks.append(ResultMessage.TaskOutcome(index: index, loss: loss, metric: metric, metaGradient: gradient,
                                                       computeSeconds: seconds, scalars: scalars))
            }
            message = .result(ResultMessage(iteration: iteration, parameterVersion: version, round: round, tasks: tasks))
        case .heartbeat:
            let sentAt = try r.u64()
            message = .heartbeat(HeartbeatMessage(sentAt: sentAt, iteration: try r.optionalU64("iteration")))
        case .reject:
            let code = try r.u8()
            guard let reason = RejectReason(rawValue: code) else { throw WireError(.invalidValue, "unknown reject reason \(code)") }
            message = .reject(RejectMessage(reason: reason, text: try r.string("text", maxBytes: maxTextBytes)))
        case .shutdown:
            let reason = try r.string("reason", maxBytes: maxTextBytes)
            let finished = try r.u8()
            guard finished <= 1 else { throw WireError(.invalidValue, "shutdown's finished flag is \(finished), not 0 or 1") }
            message = .shutdown(ShutdownMessage(reason: reason, finished: finished == 1))
        }
        guard r.offset == end else { throw WireError(.trailingBytes, "\(end - r.offset) bytes after the \(kind) body") }
        return message
    }

    // MARK: Parts

    /// `frame` cut into ZeroMQ parts of at most ``partBytes`` bytes (one part when it fits).
    public static func parts(of frame: [UInt8]) -> [[UInt8]] {
        guard frame.count > partBytes else { return [frame] }
        return stride(from: 0, to: frame.count, by: partBytes).map { Array(frame[$0..<min($0 + partBytes, frame.count)]) }
    }

    /// The most parts a message of at most `maxMessageBytes` bytes is sent as.
    public static func maxParts(maxMessageBytes: Int) -> Int {
        max(1, maxMessageBytes / partBytes + 1)
    }

    // MARK: Limits

    /// A safe maximum frame size (ZMQ_MAXMSGSIZE) for a model whose ``ParameterCoding``
    /// encoding takes `parameterBytes` bytes, with at most `tasks` items per shard, payloads
    /// of at most `payloadValues` values and at most `scalarsPerTask` scalars per item (the
    /// job's learner states both bounds).
    ///
    /// The larger of an assignment carrying the full parameters and the largest payload, and a
    /// result carrying `tasks` meta-gradients (each as large as the parameters) and their
    /// scalars, plus a margin of 1 MiB for the small messages (a job's configuration, reject
    /// texts) and for names in the encodings. Saturates at `Int.max` instead of overflowing.
    public static func maxMessageBytes(parameterBytes: Int, tasks: Int, payloadValues: Int = 0, scalarsPerTask: Int = 0) -> Int {
        let p = max(0, parameterBytes), n = max(0, tasks), v = max(0, payloadValues), k = max(0, scalarsPerTask)
        let frame = headerBytes + trailerBytes
        let assignment = add(frame + 8 + 8 + 4 + 2 + 4 + 4 + 4, add(mul(8, v), add(mul(4, n), p)))
        let result = add(frame + 8 + 8 + 4 + 4, mul(n, add(4 + 8 + 8 + 4 + 8 + 4, add(p, mul(8, k)))))
        return add(max(assignment, result), 1 << 20)
    }

    private static func add(_ a: Int, _ b: Int) -> Int {
        let (s, o) = a.addingReportingOverflow(b); return o ? .max : s
    }

    private static func mul(_ a: Int, _ b: Int) -> Int {
        let (s, o) = a.multipliedReportingOverflow(by: b); return o ? .max : s
    }
}

/// Appends little-endian fields to a frame.
private struct Writer {
    var out: [UInt8]

    init(capacity: Int) {
        out = []
        out.reserveCapacity(capacity)
    }

    mutating func u8(_ v: UInt8) { out.append(v) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
    mutating func f64(_ v: Double) { u64(v.bitPattern) }
    mutating func bytes(_ b: [UInt8]) { out += b }

    mutating func count(_ n: Int) {
        require(n <= Int(UInt32.max), "\(n) elements cannot be framed (u32 count)")
        u32(UInt32(n))
    }

    mutating func blob(_ b: [UInt8]) { count(b.count); out += b }
    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in count(utf8.count); out += utf8 }
    }

    mutating func patchU32(_ v: UInt32, at offset: Int) {
        for i in 0..<4 { out[offset + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) }
    }
}

/// Bounds-checked little-endian reads from `bytes[offset..<end]`; every failure is a ``WireError``.
private struct Reader {
    let bytes: [UInt8]
    var offset: Int
    let end: Int

    var remaining: Int { end - offset }

    mutating func fixed<I: FixedWidthInteger>(_: I.Type) throws(WireError) -> I {
        let n = MemoryLayout<I>.size
        guard n <= remaining else { throw WireError(.truncated, "body ends inside a \(n)-byte field at offset \(offset)") }
        var v: I = 0
        for i in 0..<n { v |= I(truncatingIfNeeded: bytes[offset + i]) << (8 * i) }
        offset += n
        return v
    }

    mutating func u8() throws(WireError) -> UInt8 { try fixed(UInt8.self) }
    mutating func u16() throws(WireError) -> UInt16 { try fixed(UInt16.self) }
    mutating func u32() throws(WireError) -> UInt32 { try fixed(UInt32.self) }
    mutating func u64() throws(WireError) -> UInt64 { try fixed(UInt64.self) }
    mutating func f64() throws(WireError) -> Double { Double(bitPattern: try u64()) }

    /// A u32 count of elements of at least `elementBytes` bytes each, checked against the
    /// remaining bytes so that reserving `count` elements is bounded by the frame size.
    mutating func count(elementBytes: Int, _ field: String) throws(WireError) -> Int {
        let n = Int(try u32())
        guard n <= remaining / elementBytes else {
            throw WireError(.truncated, "\(field) claims \(n) elements but only \(remaining) bytes remain")
        }
        return n
    }

    mutating func slice(_ n: Int, _ field: String) throws(WireError) -> ArraySlice<UInt8> {
        guard n <= remaining else { throw WireError(.truncated, "\(field) claims \(n) bytes but only \(remaining) remain") }
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }

    mutating func blob(_ field: String) throws(WireError) -> [UInt8] {
        Array(try slice(Int(try u32()), field))
    }

    mutating func string(_ field: String, maxBytes: Int = .max) throws(WireError) -> String {
        let n = Int(try u32())
        guard n <= maxBytes else { throw WireError(.invalidValue, "\(field) of \(n) bytes exceeds its limit of \(maxBytes)") }
        let utf8 = try slice(n, field)
        guard let s = String(validating: utf8, as: UTF8.self) else { throw WireError(.invalidUTF8, "\(field) is not valid UTF-8") }
        return s
    }

    mutating func jobHash() throws(WireError) -> JobHash {
        JobHash(bytes: Array(try slice(JobHash.byteCount, "jobHash")))!
    }

    /// A u32 count of doubles, each finite (``WireError/Kind/nonFinite`` otherwise).
    mutating func finiteDoubles(_ field: String) throws(WireError) -> [Double] {
        let n = try count(elementBytes: 8, field)
        var values: [Double] = []
        values.reserveCapacity(n)
        for _ in 0..<n {
            let v = try f64()
            guard v.isFinite else { throw WireError(.nonFinite, "\(field) holds the non-finite value \(v)") }
            values.append(v)
        }
        return values
    }

    mutating func optionalU64(_ field: String) throws(WireError) -> UInt64? {
        switch try u8() {
        case 0: return nil
        case 1: return try u64()
        case let m: throw WireError(.invalidValue, "\(field) has optional marker \(m), not 0 or 1")
        }
    }
}
