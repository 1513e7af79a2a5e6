import Foundation
import Testing
import MetaTestKit
import MetaTraining

/// `metrics.jsonl`: one JSON object per line, appended across processes, and a failing disk
/// that costs records but never the run.
@Suite struct MetricsLogTests {
    struct Record: Encodable {
        var kind: String
        var iteration: Int
        var metaLoss: Double
        enum CodingKeys: String, CodingKey { case kind, iteration, metaLoss = "meta_loss" }
    }

    static func lines(_ url: URL) throws -> [String] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    static func object(_ line: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func writesOneJSONObjectPerLineWithTheFieldsGivenAndSortedKeys() throws {
        let dir = BuiltProducts.temporaryDirectory("metricslog")
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = try MetricsLog(runDirectory: dir, report: { _ in })
        log.write(Record(kind: "train", iteration: 100, metaLoss: 0.5))
        log.write(Record(kind: "train", iteration: 200, metaLoss: 0.25))

        #expect(log.url == dir.appendingPathComponent("metrics.jsonl"))
        let lines = try Self.lines(log.url)
        #expect(lines.count == 3 && lines.last == "", "\(lines)")
        #expect(lines[0] == #"{"iteration":100,"kind":"train","meta_loss":0.5}"#)
        let second = try Self.object(lines[1])
        #expect(second["iteration"] as? Int == 200)
        #expect(second["meta_loss"] as? Double == 0.25)
        #expect(second["kind"] as? String == "train")
        #expect(log.failedWrites == 0)
    }

    @Test func aReopenedLogAppendsAfterTheEarlierProcessesRecords() throws {
        let dir = BuiltProducts.temporaryDirectory("metricslog-append")
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            let first = try MetricsLog(runDirectory: dir, report: { _ in })
            first.write(Record(kind: "train", iteration: 1, metaLoss: 1))
        }
        let resumed = try MetricsLog(runDirectory: dir, report: { _ in })
        resumed.write(Record(kind: "train", iteration: 2, metaLoss: 2))

        let iterations = try Self.lines(resumed.url).filter { !$0.isEmpty }.map { try Self.object($0)["iteration"] as? Int }
        #expect(iterations == [1, 2])
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/full")))
    func aFullDiskCountsEveryFailedWriteAndReportsOnlyTheFirst() throws {
        let dir = BuiltProducts.temporaryDirectory("metricslog-full")
        defer { try? FileManager.default.removeItem(at: dir) }
        // Every write to /dev/full fails with ENOSPC.
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("metrics.jsonl").path, withDestinationPath: "/dev/full")
        let reports = Lines()
        let log = try MetricsLog(runDirectory: dir, report: { reports.append($0) })
        for i in 0..<3 { log.write(Record(kind: "train", iteration: i, metaLoss: 0)) }

        #expect(log.failedWrites == 3)
        #expect(reports.all.count == 1, "\(reports.all)")
        #expect(reports.all.first?.contains("cannot write \(log.url.path)") == true, "\(reports.all)")
    }

    @Test func aDirectoryThatDoesNotExistIsARunErrorNamingTheFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("metatrain-no-such-\(UUID().uuidString)")
        let error = #expect(throws: RunError.self) { try MetricsLog(runDirectory: dir, report: { _ in }) }
        #expect(error?.description.contains("cannot open \(dir.appendingPathComponent("metrics.jsonl").path)") == true)
    }
}

/// Text collected from a callback.
final class Lines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
    var joined: String { all.joined() }
}
