import Foundation
import Testing
import MetaTelemetry

/// TensorBoard event files: CRC-32C against published vectors, TFRecord framing, the hand-written
/// protocol-buffer encoding, and the writer's files. (A real run's file read back by the
/// `tensorboard` package: ClusterIntegrationTests' TensorBoardTests.)
@Suite struct TensorBoardEventTests {
    /// A protocol-buffer field as the wire carries it.
    enum Field: Equatable {
        case varint(UInt64), fixed64(UInt64), fixed32(UInt32), bytes([UInt8])
    }

    /// The fields of a protocol-buffer message, by number, in order; nil when malformed.
    static func fields(_ bytes: [UInt8]) -> [(Int, Field)]? {
        var i = 0, out: [(Int, Field)] = []
        func varint() -> UInt64? {
            var value: UInt64 = 0, shift: UInt64 = 0
            while i < bytes.count {
                let b = bytes[i]; i += 1
                value |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return value }
                shift += 7
            }
            return nil
        }
        func fixed(_ n: Int) -> UInt64? {
            guard i + n <= bytes.count else { return nil }
            defer { i += n }
            return bytes[i..<i + n].reversed().reduce(0) { $0 << 8 | UInt64($1) }
        }
        while i < bytes.count {
            guard let key = varint() else { return nil }
            switch key & 7 {
            case 0: guard let v = varint() else { return nil }; out.append((Int(key >> 3), .varint(v)))
            case 1: guard let v = fixed(8) else { return nil }; out.append((Int(key >> 3), .fixed64(v)))
            case 5: guard let v = fixed(4) else { return nil }; out.append((Int(key >> 3), .fixed32(UInt32(v))))
            case 2:
                guard let n = varint(), i + Int(n) <= bytes.count else { return nil }
                out.append((Int(key >> 3), .bytes(Array(bytes[i..<i + Int(n)]))))
                i += Int(n)
            default: return nil
            }
        }
        return out
    }

    /// The TFRecords of `data`, each checked against both of its CRCs; nil at the first bad one.
    static func records(_ data: [UInt8]) -> [[UInt8]]? {
        var i = 0, out: [[UInt8]] = []
        func le<T: FixedWidthInteger>(_ at: Int, _: T.Type) -> T { data[at..<at + MemoryLayout<T>.size].reversed().reduce(0) { $0 << 8 | T($1) } }
        while i < data.count {
            guard i + 12 <= data.count else { return nil }
            let length = Int(le(i, UInt64.self))
            guard le(i + 8, UInt32.self) == CRC32C.masked(data[i..<i + 8]), i + 12 + length + 4 <= data.count else { return nil }
            let payload = Array(data[i + 12..<i + 12 + length])
            guard le(i + 12 + length, UInt32.self) == CRC32C.masked(payload) else { return nil }
            out.append(payload)
            i += 12 + length + 4
        }
        return out
    }

    @Test func crc32cMatchesThePublishedCheckValueAndTheISCSIVectors() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        // RFC 3720, appendix B.4.
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map(UInt8.init)) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).reversed().map(UInt8.init)) == 0x113F_DB5C)
        #expect(CRC32C.checksum([UInt8]()) == 0)
    }

    @Test func theMaskRotatesTheCRCRightBy15AndAddsTheTFRecordConstant() {
        // 0xE3069283 rotated right by 15 is 0x25071E0D; plus 0xA282EAD8 is 0xC78AB0E5 (mod 2^32).
        #expect(CRC32C.masked(Array("123456789".utf8)) == 0xC78A_B0E5)
    }

    @Test func aTFRecordIsTheLengthItsCRCTheDataAndTheDataCRCAllLittleEndian() throws {
        let data = Array("abc".utf8)
        let record = TensorBoardEvent.tfRecord(data)
        #expect(record.count == 8 + 4 + 3 + 4)
        #expect(Array(record[0..<8]) == [3, 0, 0, 0, 0, 0, 0, 0])
        #expect(try #require(Self.records(record)) == [data])
        var damaged = record
        damaged[13] ^= 1
        #expect(Self.records(damaged) == nil)
    }

    @Test func anEventEncodesWallTimeStepAndScalarsAsTheEventProtoFields() throws {
        let event = TensorBoardEvent(wallTime: 1_700_000_000.25, step: 300,
                                     content: .scalars([.init("train/meta_loss", 0.5), .init("validation/mse", 2)]))
        let top = try #require(Self.fields(event.encoded()))
        #expect(top.map(\.0) == [1, 2, 5])
        #expect(top[0].1 == .fixed64((1_700_000_000.25).bitPattern))
        #expect(top[1].1 == .varint(300))
        guard case .bytes(let summary) = top[2].1 else { Issue.record("summary is not a message"); return }
        let values = try #require(Self.fields(summary))
        #expect(values.map(\.0) == [1, 1])
        var decoded: [String: Float] = [:]
        for (_, value) in values {
            guard case .bytes(let bytes) = value, let inner = Self.fields(bytes), inner.count == 2,
                  case .bytes(let tag) = inner[0].1, inner[0].0 == 1, case .fixed32(let bits) = inner[1].1, inner[1].0 == 2 else {
                Issue.record("malformed Summary.Value"); return
            }
            decoded[String(decoding: tag, as: UTF8.self)] = Float(bitPattern: bits)
        }
        #expect(decoded == ["train/meta_loss": 0.5, "validation/mse": 2])
        let header = try #require(Self.fields(TensorBoardEvent.header(wallTime: 1).encoded()))
        #expect(header.map(\.0) == [1, 2, 3])
        #expect(header[2].1 == .bytes(Array("brain.Event:2".utf8)))
    }

    @Test func theWriterStartsAFileWithTheVersionRecordAndAFileOfTheSameSecondGetsAnotherName() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tfevents-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try TensorBoardEventWriter(directory: dir, hostname: "node/1", clock: { 1_700_000_000.9 }, report: { _ in })
        first.scalars(step: 100, [.init("train/meta_loss", 1.5)])
        first.scalars(step: 200, [])
        first.scalars(step: 200, [.init("train/meta_loss", 1.25)])
        let second = try TensorBoardEventWriter(directory: dir, hostname: "node/1", clock: { 1_700_000_000.9 }, report: { _ in })
        #expect(first.url.lastPathComponent == "events.out.tfevents.1700000000.node_1")
        #expect(second.url.lastPathComponent == "events.out.tfevents.1700000000.node_1.1")
        let records = try #require(Self.records(Array(try Data(contentsOf: first.url))))
        #expect(records.count == 3)
        #expect(records.first == TensorBoardEvent.header(wallTime: 1_700_000_000.9).encoded())
        let steps = records.dropFirst().compactMap { Self.fields($0)?.first { $0.0 == 2 }?.1 }
        #expect(steps == [.varint(100), .varint(200)])
        #expect(first.failedWrites == 0)
    }
}
