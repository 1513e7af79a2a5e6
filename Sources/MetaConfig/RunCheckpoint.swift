import Foundation
import MetaTensor
import MetaNN
import MetaAlgorithms
import MetaChecksum

/// Why a checkpoint cannot be used. The message names the file and what is wrong.
public struct CheckpointError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A run's state on disk: the configuration it was trained with, the iteration reached and
/// the parameters. (The distributed runtime extends it with optimizer and sampler state.)
///
/// File layout (little-endian): `"MTCK"`, u16 version (1), u64 iteration, u32 length + the
/// configuration as YAML (``ConfigFile/yaml(_:)``), u64 length + the parameters
/// (``ParameterCoding``), then a 32-byte SHA-256 of everything before it. Written atomically
/// (temporary file, fsync, rename, fsync of the directory) and verified on every load.
public struct RunCheckpoint: Sendable {
    public static let magic: [UInt8] = Array("MTCK".utf8)
    public static let version: UInt16 = 1
    public static let fileExtension = "ckpt"

    public var iteration: Int
    public var configurationYAML: String
    public var parameters: Parameters<Tensor<Float>>

    public init(iteration: Int, configuration: RunConfiguration, parameters: Parameters<Tensor<Float>>) {
        self.init(iteration: iteration, configurationYAML: ConfigFile.yaml(configuration), parameters: parameters)
    }

    init(iteration: Int, configurationYAML: String, parameters: Parameters<Tensor<Float>>) {
        self.iteration = iteration
        self.configurationYAML = configurationYAML
        self.parameters = parameters
    }

    /// The configuration, parsed back.
    public func configuration() throws -> RunConfiguration { try ConfigFile.parse(configurationYAML) }

    public func encoded() -> [UInt8] {
        var out = Self.magic
        append(Self.version, &out)
        append(UInt64(iteration), &out)
        let yaml = Array(configurationYAML.utf8)
        append(UInt32(yaml.count), &out); out += yaml
        let params = ParameterCoding.encode(parameters)
        append(UInt64(params.count), &out); out += params
        out += SHA256.digest(out)
        return out
    }

    public static func decode(_ bytes: [UInt8], name: String) throws -> RunCheckpoint {
        func fail(_ what: String) -> CheckpointError { CheckpointError("checkpoint \(name) is damaged: \(what)") }
        guard bytes.count >= 4 + 2 + 8 + 4 + 8 + 32 else { throw fail("too short (\(bytes.count) bytes)") }
        guard Array(bytes[0..<4]) == magic else { throw CheckpointError("\(name) is not a metatrain checkpoint (bad magic)") }
        let body = Array(bytes[0..<(bytes.count - 32)])
        guard SHA256.digest(body) == Array(bytes[(bytes.count - 32)...]) else { throw fail("checksum mismatch (truncated or corrupted)") }
        var offset = 4
        func integer<I: FixedWidthInteger>(_: I.Type) throws -> I {
            guard offset + MemoryLayout<I>.size <= body.count else { throw fail("truncated header") }
            var v: I = 0
            for i in 0..<MemoryLayout<I>.size { v |= I(body[offset + i]) << (8 * i) }
            offset += MemoryLayout<I>.size
            return v
        }
        let v = try integer(UInt16.self)
        guard v == version else { throw CheckpointError("checkpoint \(name) has format version \(v); this build reads \(version)") }
        let iteration = try integer(UInt64.self)
        let yamlLength = Int(try integer(UInt32.self))
        guard offset + yamlLength <= body.count, let yaml = String(validating: body[offset..<(offset + yamlLength)], as: UTF8.self) else {
            throw fail("configuration section")
        }
        offset += yamlLength
        let paramsLength = try integer(UInt64.self)
        guard paramsLength == UInt64(body.count - offset) else { throw fail("parameter section length") }
        let parameters: Parameters<Tensor<Float>>
        do { parameters = try ParameterCoding.decode(Array(body[offset...]), as: Float.self) } catch {
            throw fail("parameters: \(error)")
        }
        guard iteration <= UInt64(Int.max) else { throw fail("iteration") }
        return RunCheckpoint(iteration: Int(iteration), configurationYAML: yaml, parameters: parameters)
    }

    /// Writes atomically: a temporary file in the same directory, fsync, rename over `url`,
    /// fsync of the directory. A crash leaves either the old file or the new one, never a mix.
    public func write(to url: URL) throws {
        let bytes = encoded()
        let dir = url.deletingLastPathComponent()
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        let fd = open(tmp.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw CheckpointError("cannot write \(tmp.path): \(String(cString: strerror(errno)))") }
        var ok = bytes.withUnsafeBytes { raw -> Bool in
            var done = 0
            while done < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + done, raw.count - done)
                if n <= 0 { return false }
                done += n
            }
            return true
        }
        ok = ok && fsync(fd) == 0
        close(fd)
        guard ok, rename(tmp.path, url.path) == 0 else {
            unlink(tmp.path)
            throw CheckpointError("cannot write checkpoint \(url.path): \(String(cString: strerror(errno)))")
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
    /// damaged ones skipped and reported.
    public static func newest(in directory: URL) throws -> (checkpoint: RunCheckpoint, url: URL, skipped: [String]) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var found: [(RunCheckpoint, URL)] = []
        var skipped: [String] = []
        for name in names where name.hasSuffix("." + fileExtension) && !name.hasPrefix(".") {
            let url = directory.appendingPathComponent(name)
            do { found.append((try read(from: url), url)) } catch { skipped.append("\(error)") }
        }
        guard let best = found.max(by: { ($0.0.iteration, $0.1.lastPathComponent) < ($1.0.iteration, $1.1.lastPathComponent) }) else {
            throw CheckpointError("no checkpoint that verifies in \(directory.path)"
                                  + (skipped.isEmpty ? " (run 'metatrain train --run-dir \(directory.path)' first)" : ": " + skipped.joined(separator: "; ")))
        }
        return (best.0, best.1, skipped)
    }

    private func append<I: FixedWidthInteger>(_ v: I, _ out: inout [UInt8]) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
}
