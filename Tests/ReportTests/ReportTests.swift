import Foundation
import Testing
import MetaTestKit

/// `metatrain report` end to end: the real binary reports on a real training run, and a real
/// headless Chromium lays the page out.
@Suite(.serialized) struct ReportTests {
    // MARK: A real run

    @Test func reportOfARealRunIsSelfContainedAndHasChartsAndTheEvaluationTable() throws {
        let run = try SharedRun.directory.get()
        let html = try report(run)

        #expect(Page.networkReferences(html).isEmpty, "references outside the page: \(Page.networkReferences(html))")
        #expect(Page.count(of: "<svg class=\"chart\"", in: html) >= 4)
        for key in ["meta_loss", "metric", "meta_loss_vs_wall_time", "tasks_per_second"] {
            #expect(html.contains("<svg class=\"chart\" data-chart=\"\(key)\""), "no chart for \(key)")
        }
        // Curves carry real pixel coordinates.
        #expect(Page.curvePaths(html).filter { $0.count >= 2 }.count >= 4)
        // The in-process run has no worker count, so no workers chart.
        #expect(!html.contains("data-chart=\"workers\""))
        // Periodic checkpoints are listed with their size; the final one without.
        for name in ["iteration-100.ckpt", "iteration-200.ckpt"] {
            #expect(html.range(of: #"<td>\#(name)</td><td class="num">[^<]+</td><td class="num">[^<]+</td><td class="num">[0-9.]+ kB</td>"#,
                               options: .regularExpression) != nil, "no checkpoint row for \(name)")
        }
        #expect(html.contains("<td>final.ckpt</td>"))

        let evaluation = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("evaluation.json"))) as! [String: Any]
        let metric = evaluation["metric"] as! String
        let steps = evaluation["steps"] as! [[String: Any]]
        #expect(!steps.isEmpty)
        for (k, step) in steps.enumerated() {
            let mean = (step["mean"] as! NSNumber).doubleValue, ci95 = (step["ci95"] as! NSNumber).doubleValue
            // The page's format: percent with 2 decimals for accuracy, 4 decimals otherwise.
            let cell = metric == "accuracy"
                ? String(format: "%.2f%% ± %.2f%%", mean * 100, ci95 * 100)
                : String(format: "%.4f ± %.4f", mean, ci95)
            #expect(html.contains("<tr><td>\(k)</td><td class=\"num\">\(cell)</td></tr>"), "evaluation step \(k): \(cell) missing")
        }
        #expect(html.contains("<pre class=\"config\">"))
        #expect(html.contains("data-skipped-lines=\"0\""))
    }

    @Test func aHeadlessBrowserDrawsEveryChartWithNonEmptyCurves() throws {
        let run = try SharedRun.directory.get()
        let html = try report(run)
        guard let dom = try Chromium.dumpDOM(of: run.appendingPathComponent("report.html")) else { return }
        let curves = Page.attribute("data-rendered-curves", in: dom)
        let charts = Page.attribute("data-rendered-charts", in: dom)
        #expect(curves != nil, "the page's script did not run: no data-rendered-curves in the dumped DOM")
        // Every curve of every chart, the held-out tasks' included, laid out with a size.
        let written = Page.count(of: "<path class=\"curve", in: html)
        #expect(written >= 4 + 3 * 6, "learning curves, and truth and five predictions for each of 3 held-out tasks")
        #expect(curves == written, "curves drawn with a size: \(curves.map(String.init) ?? "none") of \(written)")
        #expect(charts == Page.count(of: "<svg class=\"chart\"", in: html), "charts drawn with a size: \(charts.map(String.init) ?? "none")")
    }

    // MARK: Held-out tasks

    @Test func aSineRunsReportDrawsHeldOutTasksAndTheEvaluationAgainstInnerSteps() throws {
        let run = try SharedRun.directory.get()
        let html = try report(run)
        // sine-maml evaluates after 10 steps: the truth, the support points, steps 0, 1, 2, 5 and 10.
        for index in 0..<3 {
            #expect(html.contains("data-chart=\"task-\(index)\" data-series=\"truth,support,step-0,step-1,step-2,step-5,step-10\""),
                    "no chart for held-out task \(index)")
            let curves = Page.curvePaths(html, chart: "task-\(index)")
            #expect(curves.count == 6 && curves.allSatisfy { $0.count == 201 }, "task \(index): \(curves.map(\.count))")
        }
        #expect(!html.contains("data-chart=\"task-3\""))
        #expect(Page.count(of: "class=\"point\"", in: html) == 3 * 10, "10 support points per task")
        #expect(html.contains("data-chart=\"evaluation\"") && html.contains("<path class=\"band\""))
        // Fewer or no pictures when asked.
        let result = try Metatrain.run(["report", "--run-dir", run.path, "--examples", "0"])
        #expect(result.status == 0, "\(result.stderr)")
        let without = try String(contentsOf: run.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(!without.contains("Held-out tasks") && !without.contains("data-chart=\"task-0\""))
        let refused = try Metatrain.run(["report", "--run-dir", run.path, "--examples", "13"])
        #expect(refused.status != 0 && refused.stderr.contains("--examples must be between 0 and 12, got 13"))
    }

    @Test func anImageRunsReportShowsQueriesMarkedRightOrWrongAsTheEvaluationScoresThem() throws {
        let run = try SharedImageRun.directory.get()
        // All ten evaluation tasks drawn: their right queries are the evaluation's accuracy.
        let result = try Metatrain.run(["report", "--run-dir", run.path, "--examples", "10"])
        #expect(result.status == 0, "\(result.stderr)")
        let html = try String(contentsOf: run.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(Page.networkReferences(html).isEmpty)
        #expect(Page.count(of: "<img class=\"example\" src=\"data:image/png;base64,", in: html) == 10 * (3 + 6))
        let right = Page.count(of: "<div class=\"example-image right\"", in: html)
        let wrong = Page.count(of: "<div class=\"example-image wrong\"", in: html)
        #expect(right + wrong == 10 * 6)
        let evaluation = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("evaluation.json"))) as! [String: Any]
        let last = try #require((evaluation["steps"] as? [[String: Any]])?.last?["mean"] as? NSNumber).doubleValue
        #expect(abs(Double(right) / Double(right + wrong) - last) < 1e-9, "pictures: \(right) of \(right + wrong) right, evaluation: \(last)")
    }

    @Test func aHeadlessBrowserDecodesEveryExampleImage() throws {
        let run = try SharedImageRun.directory.get()
        let html = try report(run)
        guard let dom = try Chromium.dumpDOM(of: run.appendingPathComponent("report.html")) else { return }
        let images = Page.count(of: "<img class=\"example\"", in: html)
        #expect(images == 3 * (3 + 6))
        #expect(Page.attribute("data-rendered-images", in: dom) == images, "images decoded with a size")
        #expect(Page.attribute("data-rendered-charts", in: dom) == Page.count(of: "<svg class=\"chart\"", in: html))
    }

    @Test func outWritesTheReportWhereAsked() throws {
        let run = try SharedRun.directory.get()
        let dir = Metatrain.temporaryDirectory("out")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("custom.html")
        let result = try Metatrain.run(["report", "--run-dir", run.path, "--out", file.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try String(contentsOf: file, encoding: .utf8).hasPrefix("<!DOCTYPE html>"))
    }

    // MARK: Damaged and unusual run directories

    @Test func aDirectoryWithoutMetricsFailsWithOneLineSayingToTrainFirst() throws {
        let dir = Metatrain.temporaryDirectory("nometrics")
        defer { try? FileManager.default.removeItem(at: dir) }
        try "name: nothing\n".write(to: dir.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
        let result = try Metatrain.run(["report", "--run-dir", dir.path])
        #expect(result.status != 0)
        let lines = result.stderr.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        #expect(lines.count == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("metrics.jsonl") && result.stderr.contains("metatrain train --run-dir"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("report.html").path))
    }

    @Test func aMissingRunDirectoryFailsWithOneLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("metatrain-missing-\(UUID().uuidString)")
        let result = try Metatrain.run(["report", "--run-dir", dir.path])
        #expect(result.status != 0)
        #expect(result.stderr.split(separator: "\n").count == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("no such run directory"))
    }

    @Test func malformedLinesAreSkippedCountedAndTheRestStillRenders() throws {
        let run = try SharedRun.directory.get()
        let dir = Metatrain.temporaryDirectory("malformed")
        defer { try? FileManager.default.removeItem(at: dir) }
        var lines = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        #expect(lines.count >= 3)
        lines.insert("this is not json", at: 1)
        lines.insert("{\"kind\":\"train\",\"iteration\":", at: 2)              // cut off mid-write
        lines.insert("[1, 2, 3]", at: 3)                                      // JSON, not an object
        lines.insert("{\"kind\":\"from-the-future\",\"iteration\":5}", at: 4)  // unknown kind: ignored, not counted
        lines.append("{\"kind\":\"train\",\"iteration\":\"ten\"}")            // a known kind without a numeric iteration
        try (lines.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
        let result = try Metatrain.run(["report", "--run-dir", dir.path])
        #expect(result.status == 0, "\(result.stderr)")
        let html = try String(contentsOf: dir.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("Skipped 4 malformed lines of metrics.jsonl."))
        #expect(html.contains("data-skipped-lines=\"4\""))
        #expect(Page.count(of: "<svg class=\"chart\"", in: html) >= 4)
        #expect(html.contains("No evaluation.json"))
        #expect(html.contains("No config.yaml"))
    }

    @Test func aResumedRunKeepsTheLastRecordPerIterationAndWallTimeOnlyGoesForward() throws {
        let dir = Metatrain.temporaryDirectory("resumed")
        defer { try? FileManager.default.removeItem(at: dir) }
        // A first process reaches iteration 300 and dies; the second resumes from 200.
        let records = [
            (100, 3.0, 1.0), (200, 2.0, 2.0), (300, 1.5, 3.0),
            (300, 1.25, 1.0), (400, 1.0, 2.0),
        ].map { i, loss, t in
            "{\"elapsed_seconds\":\(t),\"iteration\":\(i),\"kind\":\"train\",\"meta_loss\":\(loss),\"metric\":\"mse\","
                + "\"tasks_per_second\":100,\"train_metric\":\(loss),\"an_unknown_key\":[1,{\"x\":2}]}"
        }
        let validation = [(200, 0.9), (200, 0.8), (400, 0.5)].map { i, mean in
            "{\"ci95\":0.1,\"iteration\":\(i),\"kind\":\"validation\",\"mean\":\(mean),\"metric\":\"mse\",\"split\":\"validation\",\"steps\":1}"
        }
        let lines = records[0..<3] + [validation[0]] + records[3...] + validation[1...]
        try (lines.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
        let result = try Metatrain.run(["report", "--run-dir", dir.path])
        #expect(result.status == 0, "\(result.stderr)")
        let html = try String(contentsOf: dir.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("The run was resumed once: 2 records were repeated for the same iteration"))
        // Validation: one marker with a 95% error bar per iteration, the repeated one replaced.
        #expect(Page.count(of: "class=\"error-bar\"", in: html) == 2)
        #expect(Page.count(of: "class=\"marker\"", in: html) == 2)
        #expect(html.contains("validation after 1 step ± 95% CI: iteration 200, 0.8 ± 0.1"))
        #expect(html.contains("<th>final meta-loss</th><td>1</td>"))
        let loss = try #require(Page.curvePaths(html, chart: "meta_loss").first)
        #expect(loss.count == 4, "one point per iteration: \(loss)")
        #expect(loss.map(\.x) == loss.map(\.x).sorted())
        let wall = try #require(Page.curvePaths(html, chart: "meta_loss_vs_wall_time").first)
        #expect(wall.count == 4)
        #expect(zip(wall, wall.dropFirst()).allSatisfy { $0.x < $1.x }, "wall time goes backwards: \(wall)")
    }

    @Test func aRunWithOneRecordDrawsAMarkerAndAnEmptyLogSaysSo() throws {
        let dir = Metatrain.temporaryDirectory("single")
        defer { try? FileManager.default.removeItem(at: dir) }
        let metrics = dir.appendingPathComponent("metrics.jsonl")
        try "{\"kind\":\"train\",\"iteration\":100,\"meta_loss\":0.5,\"train_metric\":0.75,\"metric\":\"accuracy\",\"tasks_per_second\":12.5,\"elapsed_seconds\":4,\"workers\":2}\n"
            .write(to: metrics, atomically: true, encoding: .utf8)
        var result = try Metatrain.run(["report", "--run-dir", dir.path])
        #expect(result.status == 0, "\(result.stderr)")
        var html = try String(contentsOf: dir.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(Page.count(of: "<svg class=\"chart\"", in: html) == 5)
        #expect(Page.count(of: "class=\"curve single-point\"", in: html) == 5)
        #expect(html.contains("data-chart=\"workers\""))

        try "".write(to: metrics, atomically: true, encoding: .utf8)
        result = try Metatrain.run(["report", "--run-dir", dir.path])
        #expect(result.status == 0, "\(result.stderr)")
        html = try String(contentsOf: dir.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("No metrics recorded"))
        #expect(!html.contains("<svg"))
    }

    private func report(_ run: URL) throws -> String {
        let result = try Metatrain.run(["report", "--run-dir", run.path])
        #expect(result.status == 0, "report failed: \(result.stderr)")
        return try String(contentsOf: run.appendingPathComponent("report.html"), encoding: .utf8)
    }
}

/// One short real training run, trained on first use and shared by the tests.
enum SharedRun {
    struct TrainingFailed: Error, CustomStringConvertible { let description: String }

    static let directory: Result<URL, TrainingFailed> = {
        let dir = Metatrain.temporaryDirectory("run")
        atexit { if case .success(let dir) = SharedRun.directory { try? FileManager.default.removeItem(at: dir) } }
        do {
            let result = try Metatrain.run(["train", "--preset", "sine-maml", "--iterations", "300", "--eval-tasks", "10",
                                            "--checkpoint-every", "100", "--run-dir", dir.path], seconds: 600)
            guard result.status == 0 else {
                return .failure(TrainingFailed(description: "train exited with \(result.status): \(result.stderr.suffix(2000))"))
            }
            return .success(dir)
        } catch {
            return .failure(TrainingFailed(description: "cannot start metatrain: \(error)"))
        }
    }()
}

/// One short real training run on synthetic images (MAML, 3-way 1-shot, 2 queries per class),
/// trained on first use and shared by the tests.
enum SharedImageRun {
    static let configuration = """
        name: report-images
        algorithm: maml
        tasks: {family: synthetic-images, ways: 3, shots: 1, queries: 2, size: 16}
        model: {architecture: maxpool-cnn, filters: 8}
        inner: {steps: 1, evaluation_steps: 2, learning_rate: 0.1}
        iterations: 40
        meta_batch: 4
        seed: 5
        validation: {interval: 1000, tasks: 2}
        outer: {optimizer: adam, learning_rate: 0.003}

        """

    static let directory: Result<URL, SharedRun.TrainingFailed> = {
        let dir = Metatrain.temporaryDirectory("image-run")
        atexit { if case .success(let dir) = SharedImageRun.directory { try? FileManager.default.removeItem(at: dir) } }
        // The configuration lives outside the run directory, which training claims.
        do {
            let configs = Metatrain.temporaryDirectory("image-config")
            defer { try? FileManager.default.removeItem(at: configs) }
            let config = configs.appendingPathComponent("images.yaml")
            try configuration.write(to: config, atomically: true, encoding: .utf8)
            let result = try Metatrain.run(["train", "--config", config.path, "--eval-tasks", "10", "--run-dir", dir.path], seconds: 600)
            guard result.status == 0 else {
                return .failure(SharedRun.TrainingFailed(description: "train exited with \(result.status): \(result.stderr.suffix(2000))"))
            }
            return .success(dir)
        } catch {
            return .failure(SharedRun.TrainingFailed(description: "cannot start metatrain: \(error)"))
        }
    }()
}

/// The `metatrain` executable of this build, run as a child process.
enum Metatrain {
    static let binary = BuiltProducts.metatrain

    static func temporaryDirectory(_ label: String) -> URL { BuiltProducts.temporaryDirectory("report-\(label)") }

    static func run(_ arguments: [String], seconds: Double = 120) throws -> Child.Result {
        try Child.run(binary, arguments, seconds: seconds)
    }
}

/// A child process with its output in temporary files (no pipe to fill up), killed after a deadline.
enum Child {
    struct Result { var status: Int32; var stdout: String; var stderr: String; var timedOut: Bool }

    static func run(_ executable: URL, _ arguments: [String], seconds: Double) throws -> Result {
        let scratch = Metatrain.temporaryDirectory("child")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("stdout"), err = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        let timedOut = process.isRunning
        if timedOut {
            // SIGTERM first, so that Chromium takes its helper processes down with it.
            kill(process.processIdentifier, SIGTERM)
            let grace = Date().addingTimeInterval(5)
            while process.isRunning && Date() < grace { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        let read = { (url: URL) in (try? Data(contentsOf: url)).map { String(decoding: $0, as: UTF8.self) } ?? "" }
        return Result(status: process.terminationStatus, stdout: read(out), stderr: read(err), timedOut: timedOut)
    }
}

/// Headless Chromium (Debian's `chromium`, installed by scripts/install-deps.sh).
enum Chromium {
    static var executable: URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(dir)).appendingPathComponent("chromium")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// The DOM after load and after the page's scripts ran, or nil (with an Issue recorded)
    /// when Chromium is missing or fails.
    static func dumpDOM(of page: URL) throws -> String? {
        guard let chromium = executable else {
            Issue.record("chromium is not installed (not on PATH): run scripts/install-deps.sh to install it")
            return nil
        }
        let profile = Metatrain.temporaryDirectory("chromium-profile")
        defer { try? FileManager.default.removeItem(at: profile) }
        // Chromium prints GPU, D-Bus and sandbox noise on stderr: only stdout (the DOM) matters.
        let result = try Child.run(chromium, [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=2000",
            "--user-data-dir=\(profile.path)", "--no-first-run", "--dump-dom", page.absoluteString,
        ], seconds: 60)
        if result.timedOut {
            Issue.record("chromium ran longer than 60 s and was killed")
            return nil
        }
        guard result.status == 0, result.stdout.contains("<body") else {
            Issue.record("chromium exited with \(result.status) and no DOM; stderr: \(result.stderr.suffix(2000))")
            return nil
        }
        return result.stdout
    }
}

/// Reading the generated HTML.
enum Page {
    static func count(of needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    /// `src=`/`href=` attributes that leave the page, `@import`s and CSS `url(…)`s.
    static func networkReferences(_ html: String) -> [String] {
        let patterns = [
            #"(?i)\b(src|href|srcset|action|poster|data)\s*=\s*["']?\s*(https?:|//|ftp:)"#,
            #"(?i)@import"#,
            #"(?i)url\(\s*["']?\s*(https?:|//)"#,
            #"(?i)<link\b"#,
            #"(?i)<script[^>]*\bsrc\s*="#,
        ]
        return patterns.flatMap { pattern -> [String] in
            let regex = try! NSRegularExpression(pattern: pattern)
            return regex.matches(in: html, range: NSRange(html.startIndex..., in: html)).compactMap { Range($0.range, in: html).map { String(html[$0]) } }
        }
    }

    /// An integer attribute of the dumped DOM (`data-rendered-curves="7"`).
    static func attribute(_ name: String, in html: String) -> Int? {
        let regex = try! NSRegularExpression(pattern: "\(name)=\"(\\d+)\"")
        guard let m = regex.firstMatch(in: html, range: NSRange(html.startIndex..., in: html)),
              let r = Range(m.range(at: 1), in: html) else { return nil }
        return Int(html[r])
    }

    /// The points of every `.curve` path, optionally only in the chart whose `data-series` is `chart`.
    static func curvePaths(_ html: String, chart: String? = nil) -> [[(x: Double, y: Double)]] {
        var scope = html
        if let chart {
            guard let start = html.range(of: "data-chart=\"\(chart)\"") else { return [] }
            let rest = html[start.upperBound...]
            scope = String(rest[..<(rest.range(of: "</svg>")?.lowerBound ?? rest.endIndex)])
        }
        let regex = try! NSRegularExpression(pattern: #"<path class="curve" d="([^"]*)""#)
        return regex.matches(in: scope, range: NSRange(scope.startIndex..., in: scope)).compactMap { m in
            guard let r = Range(m.range(at: 1), in: scope) else { return nil }
            let numbers = scope[r].split(whereSeparator: { $0 == "M" || $0 == "L" || $0 == " " }).compactMap { Double($0) }
            return stride(from: 0, to: numbers.count - 1, by: 2).map { (x: numbers[$0], y: numbers[$0 + 1]) }
        }
    }
}
