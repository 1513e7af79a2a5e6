import MetaTensor

#if _endian(big)
#error("metatrain's encodings are little-endian; big-endian hosts are not supported")
#endif

/// Why a byte string is not a valid parameter encoding.
public struct ParameterCodingError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The stable byte encoding of a parameter set, used by checkpoints and the wire protocol.
///
/// Layout (all integers little-endian):
/// ```
/// "MTPS"  magic, 4 bytes
/// u16     format version (1)
/// u8      scalar type: 1 = f32, 2 = f64
/// u8      reserved (0)
/// u32     entry count
/// per entry, in the set's order:
///   u16 name length, UTF-8 name, u8 rank, u32 × rank dimensions, elements (IEEE 754, row-major)
/// ```
/// Encoding the same parameters always gives the same bytes; decoding checks every length.
public enum ParameterCoding {
    public static let magic: [UInt8] = Array("MTPS".utf8)
    public static let version: UInt16 = 1

    static func dtypeCode<S: TensorScalar>(_: S.Type) -> UInt8 { MemoryLayout<S>.size == 4 ? 1 : 2 }

    /// The encoding of `parameters`.
    public static func encode<S: TensorScalar>(_ parameters: Parameters<Tensor<S>>) -> [UInt8] {
        var out = magic
        out.reserveCapacity(16 + parameters.scalarCount * MemoryLayout<S>.size + parameters.count * 64)
        append(version, to: &out)
        out.append(dtypeCode(S.self)); out.append(0)
        append(UInt32(parameters.count), to: &out)
        for (name, tensor) in zip(parameters.names, parameters.values) {
            let utf8 = Array(name.utf8)
            require(utf8.count <= Int(UInt16.max) && tensor.rank <= Int(UInt8.max), "parameter '\(name)' cannot be encoded")
            append(UInt16(utf8.count), to: &out); out += utf8
            out.append(UInt8(tensor.rank))
            for d in tensor.shape { append(UInt32(d), to: &out) }
            tensor.withUnsafeBufferPointer { out += UnsafeRawBufferPointer($0) }
        }
        return out
    }

    /// Decodes parameters of scalar type `S`; throws on any inconsistency (never traps).
    public static func decode<S: TensorScalar>(_ bytes: [UInt8], as: S.Type = S.self) throws -> Parameters<Tensor<S>> {
        var reader = ByteReader(bytes)
        guard Array(try reader.bytes(4)) == magic else { throw ParameterCodingError("not a parameter encoding (bad magic)") }
        let v: UInt16 = try reader.integer()
        guard v == version else { throw ParameterCodingError("unsupported parameter encoding version \(v) (this build reads \(version))") }
        let dtype: UInt8 = try reader.integer()
        _ = try reader.bytes(1)  // reserved
        guard dtype == dtypeCode(S.self) else {
            throw ParameterCodingError("scalar type code \(dtype) does not match \(S.dtypeName)")
        }
        let count: UInt32 = try reader.integer()
        var entries: [(String, Tensor<S>)] = []
        var seen = Set<String>()
        for _ in 0..<count {
            let nameLength: UInt16 = try reader.integer()
            guard let name = String(validating: try reader.bytes(Int(nameLength)), as: UTF8.self), !name.isEmpty else {
                throw ParameterCodingError("parameter name is not valid UTF-8")
            }
            guard seen.insert(name).inserted else { throw ParameterCodingError("duplicate parameter '\(name)'") }
            let rank = Int(try reader.integer() as UInt8)
            var shape: [Int] = []
            var elements = 1
            // The product of the non-zero dimensions is bounded too: an empty tensor of shape
            // [0, 2³², 2³²] holds no bytes, but its other dimensions would overflow any stride.
            var extent = 1
            for _ in 0..<rank {
                let d = Int(try reader.integer() as UInt32)
                shape.append(d)
                let (product, overflow) = extent.multipliedReportingOverflow(by: max(d, 1))
                guard !overflow, product <= bytes.count else {
                    throw ParameterCodingError("parameter '\(name)' has an impossible shape (larger than the \(bytes.count) bytes)")
                }
                extent = product
                elements *= d
            }
            let payload = try reader.bytes(elements * MemoryLayout<S>.size)
            let tensor = Tensor<S>(shape: shape) { p, n in
                payload.withUnsafeBytes { UnsafeMutableRawPointer(p).copyMemory(from: $0.baseAddress!, byteCount: n * MemoryLayout<S>.size) }
            }
            entries.append((name, tensor))
        }
        guard reader.isAtEnd else { throw ParameterCodingError("\(reader.remaining) trailing bytes after the last parameter") }
        return Parameters(entries)
    }

    static func append<I: FixedWidthInteger>(_ value: I, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out += $0 }
    }
}

/// Bounds-checked reading of a byte array.
struct ByteReader {
    let bytes: [UInt8]
    var offset = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }
    var remaining: Int { bytes.count - offset }

    mutating func bytes(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= remaining else {
            throw ParameterCodingError("truncated: needed \(n) bytes at offset \(offset), \(remaining) left")
        }
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }

    mutating func integer<I: FixedWidthInteger>() throws -> I {
        let slice = try bytes(MemoryLayout<I>.size)
        var value: I = 0
        for (i, b) in slice.enumerated() { value |= I(truncatingIfNeeded: b) << (8 * i) }
        return value
    }
}
