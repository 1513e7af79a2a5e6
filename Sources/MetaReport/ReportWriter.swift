import Foundation
import MetaCheckpoint

/// `metatrain report`'s file I/O: reads a run directory's `config.yaml`, `metrics.jsonl` and
/// `evaluation.json`, predicts held-out tasks with its newest checkpoint (``HeldOutExamples``),
/// and writes the ``ReportPage`` of it all; for a search directory (`candidates.jsonl`, no
/// `metrics.jsonl`), the ``SearchReportPage``.
public enum ReportWriter {
    /// What was written.
    public struct Written: Sendable {
        /// The HTML file.
        public var url: URL
        /// Non-empty lines of `metrics.jsonl` that could not be read.
        public var skippedLines: Int

        /// The line `metatrain report` prints: `report written to PATH` and, when lines were
        /// skipped, how many.
        public var message: String {
            var note = ""
            if skippedLines > 0 { note = " (\(skippedLines) malformed line\(skippedLines == 1 ? "" : "s") of metrics.jsonl skipped)" }
            return "report written to \(url.path)\(note)"
        }
    }

    /// Writes the report of the run directory at `runDirectory` to `output` (default:
    /// `RUN_DIR/report.html`), atomically.
    ///
    /// `config.yaml` and `evaluation.json` may be missing (the page says so); `metrics.jsonl` is
    /// read with lossy UTF-8 decoding, so a damaged byte spoils one line, which is skipped and
    /// counted. The pictures of `examples` held-out tasks come from the newest checkpoint that
    /// verifies; without one, or when its task data cannot be loaded, the page says why
    /// instead. `examples` 0 leaves the section out.
    /// - Throws: ``ReportError`` when `runDirectory` is not a directory, holds no `metrics.jsonl`,
    ///   or a file cannot be read or written; nothing is written then.
    public static func write(runDirectory: String, output: String? = nil, examples: Int = 3) throws -> Written {
        let directory = URL(fileURLWithPath: runDirectory)
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        guard files.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ReportError("no such run directory: \(directory.path)")
        }
        let metricsURL = directory.appendingPathComponent("metrics.jsonl")
        let candidatesURL = directory.appendingPathComponent("candidates.jsonl")
        if !files.fileExists(atPath: metricsURL.path) && files.fileExists(atPath: candidatesURL.path) {
            return try writeSearch(directory, candidates: candidatesURL, output: output)
        }
        guard files.fileExists(atPath: metricsURL.path) else {
            throw ReportError("no metrics.jsonl in \(directory.path): run metatrain train --run-dir \(runDirectory) first")
        }
        let metrics: Data
        do { metrics = try Data(contentsOf: metricsURL) } catch {
            throw ReportError("cannot read \(metricsURL.path): \(error.localizedDescription)")
        }
        // Lossy UTF-8 decoding: a damaged byte spoils one line, which is then skipped and counted.
        let config = (try? Data(contentsOf: directory.appendingPathComponent("config.yaml"))).map { String(decoding: $0, as: UTF8.self) }
        let evaluation = try? Data(contentsOf: directory.appendingPathComponent("evaluation.json"))
        let report = RunReport(config: config, metrics: String(decoding: metrics, as: UTF8.self), evaluation: evaluation)

        let url = output.map { URL(fileURLWithPath: $0) } ?? directory.appendingPathComponent("report.html")
        let pictures = examples > 0 ? heldOutExamples(directory, tasks: examples) : nil
        let html = ReportPage(report: report, runDirectory: directory.standardizedFileURL.path, examples: pictures).html
        do { try Data(html.utf8).write(to: url, options: .atomic) } catch {
            throw ReportError("cannot write \(url.path): \(error.localizedDescription)")
        }
        return Written(url: url, skippedLines: report.skippedLines)
    }

    /// The report of a search directory (`metatrain search`): ``SearchReportPage``.
    static func writeSearch(_ directory: URL, candidates: URL, output: String?) throws -> Written {
        let text: Data
        do { text = try Data(contentsOf: candidates) } catch {
            throw ReportError("cannot read \(candidates.path): \(error.localizedDescription)")
        }
        let config = (try? Data(contentsOf: directory.appendingPathComponent("search.yaml"))).map { String(decoding: $0, as: UTF8.self) }
        let report = SearchReport(candidates: String(decoding: text, as: UTF8.self), config: config)
        let url = output.map { URL(fileURLWithPath: $0) } ?? directory.appendingPathComponent("report.html")
        let html = SearchReportPage(report: report, directory: directory.standardizedFileURL.path).html
        do { try Data(html.utf8).write(to: url, options: .atomic) } catch {
            throw ReportError("cannot write \(url.path): \(error.localizedDescription)")
        }
        return Written(url: url, skippedLines: report.skippedLines)
    }

    /// The pictures of the newest verified checkpoint in `directory`, or why there are none.
    static func heldOutExamples(_ directory: URL, tasks: Int) -> HeldOutExamples {
        let found: FoundCheckpoint
        do { found = try FoundCheckpoint.newest(inRunDirectory: directory) } catch {
            return .unavailable("No pictures of held-out tasks: \(error)")
        }
        do {
            let configuration = try found.checkpoint.configuration()
            try found.checkpoint.checkParametersFit(configuration)
            return try HeldOutExamples.predict(configuration: configuration, parameters: found.checkpoint.parameters,
                                               iteration: found.checkpoint.iteration, tasks: tasks)
        } catch {
            return .unavailable("No pictures of held-out tasks from \(found.file.lastPathComponent): \(error)")
        }
    }
}
