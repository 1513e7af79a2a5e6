import Foundation
import MetaTensor
import MetaNN
import MetaOptim
import MetaAlgorithms
import MetaConfig
import MetaChecksum

/// Why a checkpoint cannot be used. The message names the file and what is wrong.
public struct CheckpointError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A run's full training state on disk: everything needed to resume bit-identically.
///
/// What is saved: the configuration (as YAML), the next iteration to run, the parameters,
/// the outer optimizer's state (Adam's step count and moments, or SGD's step count and
/// velocity) and the metrics so far (a JSON string the format does not interpret). Random
/// streams and task sampling have no state of their own to save: every stream in this
/// project is derived from (seed, iteration, task index, purpose) by a counter-based
/// generator, so the seed (in the configuration) and the iteration determine every random
/// number the rest of the run will draw.
///
/// File layout, format version 2 (integers little-endian):
/// ```
/// "MTCK"   magic, 4 bytes
/// u16      format version (2)
/// u64      iteration: the next iteration to run
/// u32      length, then the configuration as UTF-8 YAML (ConfigFile.yaml)
/// u8       outer optimizer: 0 = none, 1 = Adam, 2 = SGD
/// u64      optimizer step count (0 when there is no optimizer state)
/// u64      length, then the optimizer state: ParameterCoding of Adam/SGD.stateTensors
///          (`adam.step`, `adam.m.<p>`, `adam.v.<p>` / `sgd.step`, `sgd.velocity.<p>`);
///          empty when there is none
/// u32      length, then the metrics so far as UTF-8 JSON (opaque; may be empty)
/// u64      length, then the parameters (ParameterCoding); this section ends at the trailer
/// 32 bytes SHA-256 of every byte before it
/// ```
/// Version 1 files (still read; never written) have only magic, version (1), iteration,
/// configuration and parameters, then the trailer; they carry no optimizer state, so
/// ``trainerState()`` refuses them.
///
/// Contract: ``encoded()`` is deterministic (the same value gives the same bytes). Decoding
/// verifies the trailer first, then every length against the bytes that remain before
/// allocating, the UTF-8 of every string, the parameter and optimizer encodings, the
/// optimizer tensors' names and shapes against the parameters, and that the stored step
/// count agrees with the tensors. Any failure is a ``CheckpointError`` naming the file; no
/// input traps. Files are written atomically (temporary file, fsync, rename, fsync of the
/// directory) and verified on every load.
public struct RunCheckpoint: Sendable {
    public static let magic: [UInt8] = Array("MTCK".utf8)
    /// The format version this build writes.
    public static let version: UInt16 = 2
    /// The format versions this build reads.
    public static let readableVersions: ClosedRange<UInt16> = 1...2
    public static let fileExtension = "ckpt"
    /// The largest iteration or optimizer step count a checkpoint may hold: the most iterations a configuration allows.
    public static let maximumIteration = ConfigLimits.iterations.upperBound

    /// The next iteration to run (the number of outer steps taken).
    public var iteration: Int
    public var configurationYAML: String
    public var parameters: Parameters<Tensor<Float>>
    /// The outer optimizer's state for ``parameters``; `nil` in a version 1 file.
    public var optimizer: OuterOptimizer.State<Float>?
    /// The metrics so far, as JSON chosen by the writer; empty when there are none.
    public var metricsJSON: String
    /// The name this checkpoint was decoded under (usually its path); `nil` when built in memory.
    public private(set) var source: String?
    /// The format version it was decoded from; ``version`` when built in memory.
    public private(set) var formatVersion: UInt16

    /// A checkpoint of a run's state.
    /// - Parameters:
    ///   - iteration: the next iteration to run; must be non-negative.
    ///   - configuration: the run's configuration (its seed fixes every random stream).
    ///   - parameters: the parameters after `iteration` outer steps.
    ///   - optimizer: the outer optimizer's state for `parameters` (needed to resume).
    ///   - metricsJSON: the metrics so far as JSON, opaque to the checkpoint.
    public init(iteration: Int, configuration: RunConfiguration, parameters: Parameters<Tensor<Float>>,
                optimizer: OuterOptimizer.State<Float>? = nil, metricsJSON: String = "") {
        self.init(iteration: iteration, configurationYAML: ConfigFile.yaml(configuration), parameters: parameters,
                  optimizer: optimizer, metricsJSON: metricsJSON)
    }

    /// A checkpoint of a trainer's state (parameters, optimizer state and next iteration).
    public init(_ state: MetaTrainer<Float>.State, configuration: RunConfiguration, metricsJSON: String = "") {
        self.init(iteration: state.iteration, configuration: configuration, parameters: state.parameters,
                  optimizer: state.optimizer, metricsJSON: metricsJSON)
    }

    init(iteration: Int, configurationYAML: String, parameters: Parameters<Tensor<Float>>,
         optimizer: OuterOptimizer.State<Float>? = nil, metricsJSON: String = "",
         source: String? = nil, formatVersion: UInt16 = RunCheckpoint.version) {
        self.iteration = iteration
        self.configurationYAML = configurationYAML
        self.parameters = parameters
        self.optimizer = optimizer
        self.metricsJSON = metricsJSON
        self.source = source
        self.formatVersion = formatVersion
    }

    /// The configuration, parsed back. A task section's `data:` line (a data folder, written into
    /// the configuration of checkpoints from builds in which the folder was a configuration key)
    /// names a folder of the process that wrote it, not of this one, so it is left out: such a
    /// checkpoint is read with this process's own data folder (`METATRAIN_OMNIGLOT_DIR`).
    public func configuration() throws -> RunConfiguration { try ConfigFile.parse(Self.withoutDataFolders(configurationYAML)) }

    /// `yaml` without the `data:` lines of its `tasks:` and `evaluation_tasks:` sections (the
    /// configuration files metatrain writes: two-space indented keys under a section).
    static func withoutDataFolders(_ yaml: String) -> String {
        var section = ""
        var kept: [Substring] = []
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if let first = line.first, first != " ", first != "#" { section = String(line.prefix { $0 != ":" }) }
            if (section == "tasks" || section == "evaluation_tasks") && line.hasPrefix("  data:") { continue }
            kept.append(line)
        }
        return kept.joined(separator: "\n")
    }

    /// Checks that the parameters are `configuration`'s model's (names and shapes, in order):
    /// parameters that do not fit would stop evaluation with a shape error instead of a message.
    /// - Throws: a one-line ``CheckpointError`` naming the file and the first mismatch.
    public func checkParametersFit(_ configuration: RunConfiguration) throws {
        let expected = configuration.algorithm.initialParameters(model: configuration.model, seed: 0, inner: configuration.inner, as: Float.self)
        func fail(_ what: String) -> CheckpointError {
            CheckpointError("checkpoint \(source ?? "(in memory)"): its parameters do not fit its configuration's model: \(what)")
        }
        guard parameters.names == expected.names else {
            throw fail("names [\(parameters.names.joined(separator: ", "))], expected [\(expected.names.joined(separator: ", "))]")
        }
        for (name, (got, want)) in zip(expected.names, zip(parameters.values, expected.values)) where got.shape != want.shape {
            throw fail("'\(name)' has shape \(got.shape), expected \(want.shape)")
        }
    }

    /// The SHA-256 of the configuration YAML's UTF-8 bytes, as 64 hexadecimal digits.
    public var configurationSHA256: String { SHA256.hexDigest(Array(configurationYAML.utf8)) }

    /// The SHA-256 of the parameters' ``ParameterCoding`` bytes, as 64 hexadecimal digits:
    /// equal exactly when the parameters are bit-identical (names, shapes and values).
    public var parametersSHA256: String { SHA256.hexDigest(ParameterCoding.encode(parameters)) }

    /// The optimizer's name as stored ("adam" or "sgd"); `nil` without optimizer state.
    public var optimizerKind: String? {
        switch optimizer {
        case .adam?: return "adam"
        case .sgd?: return "sgd"
        case nil: return nil
        }
    }

    /// The outer optimizer's step count; `nil` without optimizer state.
    public var optimizerStep: Int? {
        switch optimizer {
        case let .adam(s)?: return s.step
        case let .sgd(s)?: return s.step
        case nil: return nil
        }
    }

    /// The state to resume training from.
    ///
    /// Throws a one-line ``CheckpointError`` naming the file when the checkpoint has no
    /// optimizer state (format version 1), when its configuration does not parse, or when the
    /// stored optimizer state is not one the configuration's outer optimizer can use (another
    /// optimizer, or SGD velocity where the outer SGD has no momentum).
    public func trainerState() throws -> MetaTrainer<Float>.State {
        let file = source ?? "(in memory)"
        guard let optimizer else {
            throw CheckpointError("checkpoint \(file) (format version \(formatVersion)) has no optimizer state, so training cannot "
                                  + "resume bit-identically from it; resume from a version \(Self.version) checkpoint or start a new run")
        }
        let configuration: RunConfiguration
        do { configuration = try self.configuration() } catch {
            throw CheckpointError("checkpoint \(file): its configuration does not parse: \(error)")
        }
        switch (configuration.outerOptimizer, optimizer) {
        case (.adam, .adam): break
        case let (.sgd, .sgd(s)) where s.velocity == nil: break
        default:
            throw CheckpointError("checkpoint \(file) holds \(optimizerKind ?? "no") optimizer state"
                                  + "\(optimizer.hasVelocity ? " with momentum" : "") but its configuration's outer optimizer "
                                  + "is \(configuration.outerOptimizer)")
        }
        return MetaTrainer<Float>.State(parameters: parameters, optimizer: optimizer, iteration: iteration)
    }

    // MARK: - Encoding

    /// The file's bytes (format version ``version``); deterministic.
    public func encoded() -> [UInt8] {
        precondition(iteration >= 0, "RunCheckpoint: iteration must be non-negative, got \(iteration)")
        var out = Self.magic
        append(Self.version, &out)
        append(UInt64(iteration), &out)
        let yaml = Array(configurationYAML.utf8)
        append(UInt32(yaml.count), &out); out += yaml
        let (kind, step, tensors): (UInt8, Int, Parameters<Tensor<Float>>?) = switch optimizer {
        case let .adam(s)?: (1, s.step, Adam<Float>(learningRate: 0).stateTensors(s))
        case let .sgd(s)?: (2, s.step, SGD<Float>(learningRate: 0).stateTensors(s))
        case nil: (0, 0, nil)
        }
        out.append(kind)
        append(UInt64(step), &out)
        let state = tensors.map(ParameterCoding.encode) ?? []
        append(UInt64(state.count), &out); out += state
        let metrics = Array(metricsJSON.utf8)
        append(UInt32(metrics.count), &out); out += metrics
        let params = ParameterCoding.encode(parameters)
        append(UInt64(params.count), &out); out += params
        out += SHA256.digest(out)
        return out
    }

    private func append<I: FixedWidthInteger>(_ v: I, _ out: inout [UInt8]) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }

    // MARK: - Decoding

    /// Decodes and verifies a checkpoint of format version 1 or 2.
    /// - Parameters:
    ///   - bytes: the file's bytes.
    ///   - name: how error messages name the file (usually its path).
    /// - Throws: ``CheckpointError`` naming `name` on any damage or inconsistency.
    public static func decode(_ bytes: [UInt8], name: String) throws -> RunCheckpoint {
        func fail(_ what: String) -> CheckpointError { CheckpointError("checkpoint \(name) is damaged: \(what)") }
        guard bytes.count >= 4 else { throw fail("too short (\(bytes.count) bytes)") }
        guard Array(bytes[0..<4]) == magic else { throw CheckpointError("\(name) is not a metatrain checkpoint (bad magic)") }
        guard bytes.count >= 4 + 2 + 8 + 4 + 8 + 32 else { throw fail("truncated (\(bytes.count) bytes)") }
        let body = bytes[0..<(bytes.count - 32)]
        guard SHA256.digest(body) == Array(bytes[(bytes.count - 32)...]) else {
            if let declared = declaredSize(bytes), declared.size > bytes.count {
                throw fail("truncated: \(bytes.count) bytes, its header declares \(declared.exact ? "" : "at least ")"
                           + "\(declared.size) (checksum mismatch)")
            }
            throw fail("checksum mismatch (truncated or corrupted)")
        }
        var reader = Reader(body: body, fail: fail)
        _ = try reader.bytes(4)
        let v = try reader.integer(UInt16.self)
        guard readableVersions.contains(v) else {
            throw CheckpointError("checkpoint \(name) has format version \(v); this build reads versions "
                                  + "\(readableVersions.lowerBound)–\(readableVersions.upperBound)")
        }
        let iteration = try reader.integer(UInt64.self)
        guard iteration <= UInt64(maximumIteration) else {
            throw fail("iteration \(iteration) out of range (at most \(maximumIteration), the largest configurable run)")
        }
        let yamlLength = Int(try reader.integer(UInt32.self))
        let yaml = try reader.string(length: yamlLength, "configuration section")

        var optimizerSection: (kind: UInt8, step: UInt64, bytes: ArraySlice<UInt8>)?
        var metrics = ""
        if v >= 2 {
            let kind = try reader.integer(UInt8.self)
            guard kind <= 2 else { throw fail("unknown optimizer kind \(kind)") }
            let step = try reader.integer(UInt64.self)
            // A run's optimizer takes one step per iteration; a count beyond any run is damage
            // (and Int.max would overflow the next update's step + 1).
            guard step <= UInt64(maximumIteration) else {
                throw fail("optimizer step count \(step) out of range (at most \(maximumIteration))")
            }
            let stateLength = try reader.length(UInt64.self, "optimizer section")
            let state = try reader.bytes(stateLength)
            if kind == 0 {
                guard step == 0, state.isEmpty else { throw fail("optimizer section present without an optimizer") }
            } else {
                optimizerSection = (kind, step, state)
            }
            let metricsLength = Int(try reader.integer(UInt32.self))
            metrics = try reader.string(length: metricsLength, "metrics section")
        }

        let paramsLength = try reader.integer(UInt64.self)
        guard paramsLength == UInt64(reader.remaining) else { throw fail("parameter section length") }
        let parameters: Parameters<Tensor<Float>>
        let parameterBytes = Array(try reader.bytes(reader.remaining))
        do { parameters = try ParameterCoding.decode(parameterBytes, as: Float.self) } catch {
            throw fail("parameters: \(error)")
        }

        var optimizer: OuterOptimizer.State<Float>?
        if let section = optimizerSection {
            do {
                let tensors = try ParameterCoding.decode(Array(section.bytes), as: Float.self)
                let restored: OuterOptimizer.State<Float>
                let step: Int
                if section.kind == 1 {
                    let s = try Adam<Float>(learningRate: 0).restoreState(from: tensors, for: parameters)
                    restored = .adam(s); step = s.step
                } else {
                    // Restoring checks names against the momentum setting; only "some momentum or none" matters here.
                    let hasVelocity = tensors.names.contains { $0.hasPrefix("sgd.velocity.") }
                    let s = try SGD<Float>(learningRate: 0, momentum: hasVelocity ? 0.5 : 0).restoreState(from: tensors, for: parameters)
                    restored = .sgd(s); step = s.step
                }
                guard UInt64(step) == section.step else {
                    throw fail("optimizer step count \(section.step) in the header but \(step) in the state tensors")
                }
                optimizer = restored
            } catch let error as CheckpointError {
                throw error
            } catch {
                throw fail("optimizer state: \(error)")
            }
        }
        return RunCheckpoint(iteration: Int(iteration), configurationYAML: yaml, parameters: parameters, optimizer: optimizer,
                             metricsJSON: metrics, source: name, formatVersion: v)
    }

    /// The file size the header's lengths declare: exact when every length field could be
    /// read, else a lower bound (the end of the last field that lies beyond the bytes);
    /// `nil` when a length is implausible. Only used to tell truncation from corruption in
    /// error messages: the lengths themselves are unverified here.
    static func declaredSize(_ bytes: [UInt8]) -> (size: Int, exact: Bool)? {
        let limit = 1 << 48  // larger lengths are damage, not truncation
        var offset = 4 + 2 + 8
        func field(_ size: Int) -> Int? {
            guard offset + size <= bytes.count else { return nil }
            var v = 0
            for i in 0..<size { v |= Int(bytes[offset + i]) << (8 * i) }
            offset += size
            return v
        }
        guard bytes.count >= 6 else { return (offset, false) }
        let version = Int(bytes[4]) | Int(bytes[5]) << 8
        guard let yaml = field(4) else { return (offset + 4, false) }
        offset += yaml
        if version >= 2 {
            offset += 1 + 8
            guard let state = field(8) else { return (offset + 8, false) }
            // An 8-byte field with its top bit set reads as a negative Int: implausible too.
            guard (0..<limit).contains(state) else { return nil }
            offset += state
            guard let metrics = field(4) else { return (offset + 4, false) }
            offset += metrics
        }
        guard let params = field(8) else { return (offset + 8, false) }
        guard (0..<limit).contains(params) else { return nil }
        return (offset + params + 32, true)
    }

    /// Bounds-checked little-endian reading of a checkpoint's body.
    struct Reader {
        let body: ArraySlice<UInt8>
        let fail: (String) -> CheckpointError
        var offset: Int

        init(body: ArraySlice<UInt8>, fail: @escaping (String) -> CheckpointError) {
            self.body = body; self.fail = fail; offset = body.startIndex
        }

        var remaining: Int { body.endIndex - offset }

        mutating func bytes(_ n: Int) throws -> ArraySlice<UInt8> {
            guard n >= 0, n <= remaining else { throw fail("truncated: \(n) bytes needed at offset \(offset), \(remaining) left") }
            defer { offset += n }
            return body[offset..<(offset + n)]
        }

        mutating func integer<I: FixedWidthInteger>(_: I.Type) throws -> I {
            let slice = try bytes(MemoryLayout<I>.size)
            var v: I = 0
            for (i, b) in slice.enumerated() { v |= I(truncatingIfNeeded: b) << (8 * i) }
            return v
        }

        /// A u64 (or narrower) length, checked against the bytes that remain.
        mutating func length<I: FixedWidthInteger & UnsignedInteger>(_: I.Type, _ section: String) throws -> Int {
            let n = try integer(I.self)
            guard UInt64(n) <= UInt64(remaining) else { throw fail("\(section) length \(n) exceeds the \(remaining) bytes left") }
            return Int(n)
        }

        mutating func string(length: Int, _ section: String) throws -> String {
            guard length <= remaining else { throw fail("\(section) length \(length) exceeds the \(remaining) bytes left") }
            guard let s = String(validating: try bytes(length), as: UTF8.self) else { throw fail("\(section) is not valid UTF-8") }
            return s
        }
    }

    // MARK: - Files

    /// Writes atomically: a temporary file in the same directory, fsync, rename over `url`,
    /// fsync of the directory. A crash leaves either the old file or the new one, never a mix.
    public func write(to url: URL) throws {
        try Self.writeAtomically(encoded(), to: url)
    }

    /// Writes `bytes` to `url` atomically (see ``write(to:)``); throws ``CheckpointError``.
    public static func writeAtomically(_ bytes: [UInt8], to url: URL) throws {
        let dir = url.deletingLastPathComponent()
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        let fd = open(tmp.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw CheckpointError("cannot write \(tmp.path): \(String(cString: strerror(errno)))") }
        // errno of the first failing call (a later close or unlink would overwrite it).
        var failure: Int32 = 0
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + done, raw.count - done)
                if n <= 0 { failure = n < 0 ? errno : ENOSPC; return }
                done += n
            }
        }
        if failure == 0 && fsync(fd) != 0 { failure = errno }
        close(fd)
        if failure == 0 && rename(tmp.path, url.path) != 0 { failure = errno }
        guard failure == 0 else {
            unlink(tmp.path)
            throw CheckpointError("cannot write \(url.path): \(String(cString: strerror(failure)))")
        }
        let dfd = open(dir.path, O_RDONLY)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }

    /// Reads and verifies a checkpoint file.
    public static func read(from url: URL) throws -> RunCheckpoint {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw CheckpointError("cannot read checkpoint \(url.path): no such file or not readable")
        }
        return try decode(Array(data), name: url.path)
    }

    /// The newest checkpoint in `directory` that verifies (by iteration, then name), with the
    /// damaged ones skipped and reported; the same rules as ``CheckpointStore/newest()``
    /// (a `manifest.json`, when present and valid, is checked as well).
    public static func newest(in directory: URL) throws -> (checkpoint: RunCheckpoint, url: URL, skipped: [String]) {
        try CheckpointStore.newest(in: directory)
    }
}

private extension OuterOptimizer.State {
    var hasVelocity: Bool { if case let .sgd(s) = self { return s.velocity != nil } else { return false } }
}
