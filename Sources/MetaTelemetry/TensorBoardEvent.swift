/// One record of a TensorBoard event file: a `tensorflow.Event` protocol buffer, encoded by
/// hand (the few fields written here do not justify a protobuf dependency).
///
/// The fields encoded (`tensorflow/core/util/event.proto`, `summary.proto`):
///
///     Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
///     Summary { repeated Value value = 1; }
///     Value   { string tag = 1; float simple_value = 2; }
public struct TensorBoardEvent: Equatable, Sendable {
    /// What the event carries.
    public enum Content: Equatable, Sendable {
        /// The file's first record: `brain.Event:2`.
        case fileVersion(String)
        /// Scalars at the event's step, each a tag (`train/meta_loss`) and a value.
        case scalars([Scalar])
    }

    /// A scalar summary value. TensorBoard stores it as a 32-bit float.
    public struct Scalar: Equatable, Sendable {
        public var tag: String
        public var value: Double
        public init(_ tag: String, _ value: Double) {
            self.tag = tag
            self.value = value
        }
    }

    /// Seconds since 1970.
    public var wallTime: Double
    public var step: Int64
    public var content: Content

    public init(wallTime: Double, step: Int64, content: Content) {
        self.wallTime = wallTime
        self.step = step
        self.content = content
    }

    /// The file-version event every event file starts with.
    public static func header(wallTime: Double) -> TensorBoardEvent {
        TensorBoardEvent(wallTime: wallTime, step: 0, content: .fileVersion("brain.Event:2"))
    }

    /// The protocol-buffer encoding (fields in number order; a zero step is written too).
    public func encoded() -> [UInt8] {
        var out: [UInt8] = [0x09]  // field 1, 64-bit
        out += Self.littleEndian(wallTime.bitPattern)
        out.append(0x10)  // field 2, varint
        Self.appendVarint(UInt64(bitPattern: step), to: &out)
        switch content {
        case .fileVersion(let version):
            Self.appendBytes(field: 3, Array(version.utf8), to: &out)
        case .scalars(let scalars):
            var summary: [UInt8] = []
            for scalar in scalars {
                var value: [UInt8] = []
                Self.appendBytes(field: 1, Array(scalar.tag.utf8), to: &value)
                value.append(0x15)  // field 2, 32-bit
                value += Self.littleEndian(Float(scalar.value).bitPattern)
                Self.appendBytes(field: 1, value, to: &summary)
            }
            Self.appendBytes(field: 5, summary, to: &out)
        }
        return out
    }

    /// A length-delimited field: its key, the length as a varint, the bytes.
    static func appendBytes(field: UInt64, _ bytes: [UInt8], to out: inout [UInt8]) {
        appendVarint(field << 3 | 2, to: &out)
        appendVarint(UInt64(bytes.count), to: &out)
        out += bytes
    }

    /// Base-128 varint, least significant group first.
    static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    /// `data` framed as one TFRecord: its length (`UInt64`, little-endian), the masked CRC-32C
    /// of those 8 bytes, the data, the masked CRC-32C of the data (CRCs little-endian).
    public static func tfRecord(_ data: [UInt8]) -> [UInt8] {
        let length = littleEndian(UInt64(data.count))
        var out = length
        out += littleEndian(CRC32C.masked(length))
        out += data
        out += littleEndian(CRC32C.masked(data))
        return out
    }

    /// The bytes of `value`, least significant first.
    static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }
}
