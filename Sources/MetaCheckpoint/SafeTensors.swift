import Foundation
import MetaTensor
import MetaNN

/// Why bytes are not a usable safetensors file. One line that names the file and what is wrong.
public struct SafeTensorsError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The safetensors format (huggingface/safetensors), for exchanging weights with Python.
///
/// Layout:
/// ```
/// u64 (little-endian)  N, the header's length in bytes
/// N bytes              UTF-8 JSON: {"<name>": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...,
///                                   "__metadata__": {"<key>": "<string>", ...}}
///                      padded with spaces so that 8 + N is a multiple of 8
/// the data             raw little-endian tensor bytes; offsets are relative to its start
/// ```
/// Only `F32` is read or written (checkpoints hold `Float`); other dtypes are refused by name.
///
/// Order: JSON objects are unordered, so the writer records the parameters' order in the
/// metadata key ``MetadataKey/parameterOrder`` (comma-separated names) and lays the tensors
/// out in that order. The reader returns that order when the key is present, else the order
/// of the tensors' data in the file (what other writers, such as `safetensors.numpy`, use).
///
/// Contract: ``encode(_:metadata:)`` is deterministic (sorted JSON keys). ``decode(_:name:)``
/// never traps on untrusted bytes: it checks the header length against the bytes before
/// reading, the JSON's structure, every dtype, every shape (non-negative, no overflow, size
/// equal to its byte range), every offset range, and that the tensors cover the data exactly
/// once with no gap or overlap. Any failure is a ``SafeTensorsError`` naming the file.
public enum SafeTensors {
    public static let fileExtension = "safetensors"

    /// The metadata keys metatrain writes (all values are strings, as the format requires).
    public enum MetadataKey {
        /// The run's next iteration when the weights were exported (decimal).
        public static let iteration = "metatrain.iteration"
        /// The SHA-256 of the run configuration's YAML (``RunCheckpoint/configurationSHA256``).
        public static let configSHA256 = "metatrain.config_sha256"
        /// The parameter names in order, comma-separated; written by ``SafeTensors/encode(_:metadata:)``.
        public static let parameterOrder = "metatrain.parameter_order"
        /// How the tensors are named: `metatrain` (as in checkpoints) or `torch` (``TorchNames``).
        public static let names = "metatrain.names"
        /// The configuration's `model:` line, e.g. `{architecture: omniglot-cnn, ways: 5}`.
        public static let architecture = "metatrain.architecture"
        /// How batch norm obtains its statistics (``BatchNormMode``): `batch-statistics`.
        public static let batchNorm = "metatrain.batch_norm"
        /// Batch norm's ε.
        public static let batchNormEpsilon = "metatrain.batch_norm_epsilon"
        /// The model's input: layout, shape and value range.
        public static let input = "metatrain.input"
        /// The learner's parameters left out of a `torch`-named file, comma-separated.
        public static let omitted = "metatrain.omitted"
    }

    /// The largest header this reader accepts (the Python reader's limit, 100 MB).
    public static let maximumHeaderLength = 100_000_000
    /// The most dimensions a tensor may have (as ``ParameterCoding`` stores the rank in a byte).
    public static let maximumRank = 255

    // MARK: - Encoding

    /// The safetensors bytes of `parameters`: tensors in the parameters' order, names as they
    /// are, dtype `F32`.
    ///
    /// `metadata` is written as `__metadata__`, together with ``MetadataKey/parameterOrder``
    /// (which replaces any value given for it; it is left out when a name contains a comma,
    /// and then the data order still gives the parameters' order).
    public static func encode(_ parameters: Parameters<Tensor<Float>>, metadata: [String: String]) -> [UInt8] {
        var header: [String: Any] = [:]
        var offset = 0
        for (name, tensor) in zip(parameters.names, parameters.values) {
            let size = tensor.count * MemoryLayout<Float>.size
            header[name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + size]] as [String: Any]
            offset += size
        }
        var meta = metadata
        meta[MetadataKey.parameterOrder] = nil
        if !parameters.names.contains(where: { $0.contains(",") }) {
            meta[MetadataKey.parameterOrder] = parameters.names.joined(separator: ",")
        }
        if !meta.isEmpty { header["__metadata__"] = meta }
        // Names are strings and numbers are integers, so serialization cannot fail.
        var json = Array(try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes]))
        // Pad so the data starts 8-byte aligned, as the Python writer does.
        while (8 + json.count) % 8 != 0 { json.append(UInt8(ascii: " ")) }

        var out: [UInt8] = []
        out.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out += $0 }
        out += json
        for tensor in parameters.values {
            // IEEE 754 binary32 in host order, which is little-endian (see ParameterCoding).
            tensor.withUnsafeBufferPointer { out += UnsafeRawBufferPointer($0) }
        }
        return out
    }

    // MARK: - Decoding

    /// Decodes and checks a safetensors file of `F32` tensors.
    /// - Parameters:
    ///   - bytes: the file's bytes.
    ///   - name: how error messages name the file (usually its path).
    /// - Returns: the tensors as parameters (in the order described on ``SafeTensors``) and the
    ///   `__metadata__` strings (empty when absent).
    /// - Throws: ``SafeTensorsError`` naming `name` on any damage, inconsistency, or a dtype other than `F32`.
    public static func decode(_ bytes: [UInt8], name: String) throws -> (parameters: Parameters<Tensor<Float>>, metadata: [String: String]) {
        func fail(_ what: String) -> SafeTensorsError { SafeTensorsError("safetensors file \(name): \(what)") }

        guard bytes.count >= 8 else { throw fail("too short for a header length (\(bytes.count) bytes)") }
        var declared: UInt64 = 0
        for i in 0..<8 { declared |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard declared <= UInt64(bytes.count - 8) else {
            throw fail("header length \(declared) exceeds the \(bytes.count - 8) bytes after it (truncated or not a safetensors file)")
        }
        let headerLength = Int(declared)
        guard headerLength <= maximumHeaderLength else { throw fail("header length \(headerLength) exceeds \(maximumHeaderLength)") }
        guard headerLength >= 2, bytes[8] == UInt8(ascii: "{") else { throw fail("the header is not a JSON object") }
        let dataStart = 8 + headerLength
        let dataLength = bytes.count - dataStart

        guard String(validating: bytes[8..<dataStart], as: UTF8.self) != nil else { throw fail("the header is not valid UTF-8") }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart])) } catch {
            let reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "malformed"
            throw fail("the header is not valid JSON: \(reason)")
        }
        guard let header = object as? [String: Any] else { throw fail("the header is not a JSON object") }

        var metadata: [String: String] = [:]
        if let raw = header["__metadata__"] {
            guard let entries = raw as? [String: Any] else { throw fail("__metadata__ is not an object") }
            for (key, value) in entries {
                guard let string = value as? String else { throw fail("__metadata__ value of '\(key)' is not a string") }
                metadata[key] = string
            }
        }

        struct Entry { var name: String; var shape: [Int]; var begin: Int; var end: Int }
        var entries: [Entry] = []
        // Sorted so that the first error reported does not depend on dictionary order.
        for tensorName in header.keys.sorted() where tensorName != "__metadata__" {
            let raw = header[tensorName]!
            guard !tensorName.isEmpty else { throw fail("a tensor has an empty name") }
            guard let info = raw as? [String: Any] else { throw fail("tensor '\(tensorName)' is not described by an object") }
            guard let dtype = info["dtype"] as? String else { throw fail("tensor '\(tensorName)' has no dtype string") }
            guard dtype == "F32" else {
                throw fail("tensor '\(tensorName)' has dtype \(dtype); only F32 is supported (convert it to float32 first)")
            }
            guard let rawShape = info["shape"] as? [Any] else { throw fail("tensor '\(tensorName)' has no shape array") }
            guard rawShape.count <= maximumRank else {
                throw fail("tensor '\(tensorName)' has \(rawShape.count) dimensions; at most \(maximumRank) are supported")
            }
            var shape: [Int] = []
            var elements = 1
            for d in rawShape {
                guard let dimension = nonNegativeInteger(d) else {
                    throw fail("tensor '\(tensorName)' has shape dimension \(d), not a non-negative integer")
                }
                let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
                guard !overflow else { throw fail("tensor '\(tensorName)' has a shape whose size overflows") }
                shape.append(dimension); elements = product
            }
            // An empty tensor's other dimensions must fit in the file as well: shape [0, 2⁶², 2⁶²]
            // holds no bytes, but its dimensions would overflow any stride computed from them.
            if elements == 0 {
                let (extent, overflow) = shape.reduce((1, false)) { acc, d in
                    let (p, o) = acc.0.multipliedReportingOverflow(by: max(d, 1)); return (p, acc.1 || o)
                }
                guard !overflow, extent <= bytes.count else {
                    throw fail("tensor '\(tensorName)' has shape \(shape): empty, but its other dimensions exceed the file's \(bytes.count) bytes")
                }
            }
            guard let offsets = info["data_offsets"] as? [Any], offsets.count == 2,
                  let begin = nonNegativeInteger(offsets[0]), let end = nonNegativeInteger(offsets[1]) else {
                throw fail("tensor '\(tensorName)' has no data_offsets [begin, end] of non-negative integers")
            }
            guard begin <= end, end <= dataLength else {
                throw fail("tensor '\(tensorName)' has data_offsets [\(begin), \(end)] outside the \(dataLength) data bytes")
            }
            let (size, overflow) = elements.multipliedReportingOverflow(by: MemoryLayout<Float>.size)
            guard !overflow, size == end - begin else {
                throw fail("tensor '\(tensorName)' has shape \(shape) but \(end - begin) data bytes")
            }
            entries.append(Entry(name: tensorName, shape: shape, begin: begin, end: end))
        }

        // The tensors must tile the data exactly: sorted by position, each starts where the last ended.
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var position = 0
        for e in entries {
            guard e.begin == position else {
                throw fail(e.begin < position ? "tensor '\(e.name)' overlaps the tensor before it"
                                              : "\(e.begin - position) data bytes before tensor '\(e.name)' belong to no tensor")
            }
            position = e.end
        }
        guard position == dataLength else { throw fail("\(dataLength - position) data bytes at the end belong to no tensor") }

        if let order = metadata[MetadataKey.parameterOrder] {
            let names = order.isEmpty ? [] : order.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let index = Dictionary(entries.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
            guard names.count == entries.count, Set(names).count == names.count, names.allSatisfy({ index[$0] != nil }) else {
                throw fail("\(MetadataKey.parameterOrder) does not list each tensor exactly once")
            }
            entries = names.map { entries[index[$0]!] }
        }

        let parameters = entries.map { e -> (String, Tensor<Float>) in
            let tensor = Tensor<Float>(shape: e.shape) { p, n in
                bytes.withUnsafeBytes { raw in
                    UnsafeMutableRawPointer(p).copyMemory(from: raw.baseAddress! + dataStart + e.begin, byteCount: n * MemoryLayout<Float>.size)
                }
            }
            return (e.name, tensor)
        }
        return (Parameters(parameters), metadata)
    }

    /// `value` when it is a JSON integer (not a boolean or a fraction) that fits in `Int` and is ≥ 0.
    private static func nonNegativeInteger(_ value: Any) -> Int? {
        // JSONSerialization returns NSNumber for numbers and booleans alike; the ObjC type code
        // tells integers ("i", "q", "Q", ...) from booleans ("c") and doubles ("d").
        guard let number = value as? NSNumber, let code = String(validatingCString: number.objCType),
              ["s", "i", "l", "q", "S", "I", "L", "Q"].contains(code),
              let integer = value as? Int, integer >= 0 else { return nil }
        return integer
    }

    // MARK: - Files

    /// Writes the encoding of `parameters` to `url` atomically (temporary file, fsync, rename),
    /// as checkpoints are written; returns the number of bytes written.
    /// - Throws: ``CheckpointError`` when the file cannot be written.
    @discardableResult
    public static func write(_ parameters: Parameters<Tensor<Float>>, metadata: [String: String], to url: URL) throws -> Int {
        let bytes = encode(parameters, metadata: metadata)
        try RunCheckpoint.writeAtomically(bytes, to: url)
        return bytes.count
    }

    /// Reads and decodes a safetensors file (see ``decode(_:name:)``).
    public static func read(from url: URL) throws -> (parameters: Parameters<Tensor<Float>>, metadata: [String: String]) {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw SafeTensorsError("cannot read safetensors file \(url.path): no such file or not readable")
        }
        return try decode(Array(data), name: url.path)
    }
}
