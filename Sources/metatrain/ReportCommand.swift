import ArgumentParser
import MetaReport

/// `metatrain report --run-dir DIR [--out FILE]`: one self-contained HTML page for a run or a search.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write an HTML report of a training run: held-out tasks, learning curves, evaluation, checkpoints, configuration.",
        discussion: """
            Reads config.yaml, metrics.jsonl and evaluation.json from the run directory and writes one HTML \
            file with the charts as inline SVG and the styles inline: it loads nothing from anywhere, so it \
            can be mailed or archived as it is. Malformed lines of metrics.jsonl are skipped and counted on \
            the page; for iterations a resumed run repeated, the last record wins. The first test tasks of the \
            evaluation are drawn with the predictions of the run's newest checkpoint: curves for sinusoid \
            regression, image grids (images embedded as PNG) for image classification. For a search directory \
            (metatrain search: candidates.jsonl and no metrics.jsonl), the page shows validation fitness against \
            candidates for evolution and random search, each method's best, and the best genome.
            """)

    @Option(name: .long, help: "The run directory (the --run-dir of 'metatrain train' or 'metatrain search').")
    var runDir: String

    @Option(name: .long, help: "The HTML file to write (default: RUN_DIR/report.html).")
    var out: String?

    @Option(name: .long, help: "Held-out test tasks drawn with the newest checkpoint's predictions, 0 to 12 (0: none).")
    var examples = 3

    func validate() throws {
        guard (0...12).contains(examples) else { throw ValidationError("--examples must be between 0 and 12, got \(examples)") }
    }

    func run() throws {
        print(try ReportWriter.write(runDirectory: runDir, output: out, examples: examples).message)
    }
}
