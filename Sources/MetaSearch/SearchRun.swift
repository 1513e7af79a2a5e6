import Foundation
import MetaAlgorithms
import MetaConfig
import MetaCheckpoint
import MetaCluster
import MetaRuntime

/// A search in its run directory: candidates trained (``CandidateTraining``) as
/// ``CandidateDispatcher`` hands them out, the methods interleaved (evolution's candidate i,
/// then random search's candidate i, …), each result fed to its method's ``SearchState`` in
/// index order.
///
/// Where candidates train: without a ``coordinator``, one at a time in this process; with one,
/// on its workers (``SearchJob``), a batch (``CandidateDispatcher/nextBatch()``: B =
/// `evolution.in_flight` candidates per method) per round, each candidate one item, a lost
/// worker's candidate trained again elsewhere. The accepted history is the same either way and
/// whatever the number of workers: a candidate's record is a function of (search, method,
/// index, genome), and the genomes depend only on results accepted in the fixed order.
///
/// The directory is locked for the whole run with the lock training runs take
/// (``RunDirectory``: `flock(2)` on `.lock`, released by the kernel when the process dies), so
/// a second search (or a training run) on the same directory is refused in one line while this
/// one lives, and temporary files that a killed search's atomic writes left behind are removed.
///
/// Files in ``directory``:
/// - `search.yaml`: the search configuration's text; `--resume` refuses another one.
/// - `candidates.jsonl`: one ``CandidateRecord`` per line, in the order they were trained.
/// - `search-state.json`: every record so far, written atomically after each candidate
///   (``RunCheckpoint/writeAtomically(_:to:)``: a kill leaves the old file or the new one).
/// - `best.yaml`: the fittest candidate's run configuration at the base's full budget, for
///   `metatrain train --config best.yaml`; rewritten whenever the best changes.
///
/// Resuming: the records of `search-state.json` are accepted again (each genome re-derived and
/// compared, so a state from another search is refused), `candidates.jsonl` is rewritten from
/// them (a line appended after the last checkpoint is dropped), and the search goes on from
/// the first candidate without a record. Every record but its wall time is a function of the
/// configuration, so the history is the same as an uninterrupted run's.
public struct SearchRun {
    public let configuration: SearchConfiguration
    /// The configuration file's text, kept as `search.yaml`.
    public let configurationText: String
    public let directory: URL
    /// For the tests: after this many records in total (counting resumed ones), append the
    /// record to `candidates.jsonl`, then SIGKILL this process before the state is checkpointed.
    public var faultKillAfter: Int?
    /// Receives each progress line.
    public var output: (String) -> Void
    /// Trains the candidates on this coordinator's workers (made with ``SearchJob/message(_:configurationText:)``);
    /// nil: in this process.
    public var coordinator: Coordinator?

    public static let stateFile = "search-state.json", recordsFile = "candidates.jsonl", configFile = "search.yaml", bestFile = "best.yaml"

    public init(configuration: SearchConfiguration, configurationText: String, directory: URL, faultKillAfter: Int? = nil,
                output: @escaping (String) -> Void = { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) }) {
        self.configuration = configuration; self.configurationText = configurationText; self.directory = directory
        self.faultKillAfter = faultKillAfter; self.output = output
    }

    /// The saved state's JSON form.
    struct Saved: Codable { var version = 1; var seed: UInt64; var records: [CandidateRecord] }

    /// Runs (or, with `resume`, continues) the search to the end; the states of its methods.
    /// - Throws: ``SearchError`` for a directory locked by another process or that holds another search, or a state file
    ///   that does not decode or belongs to another search; I/O errors as ``SearchError``.
    public func run(resume: Bool) throws -> [SearchState] {
        let fm = FileManager.default
        let stateURL = directory.appendingPathComponent(Self.stateFile)
        let configURL = directory.appendingPathComponent(Self.configFile)
        // Held until this function returns: the directory is this search's alone.
        let lock: RunDirectory
        do {
            lock = try RunDirectory(directory)
            try lock.removeLeftoverTemporaryFiles()
        } catch let error as CheckpointError { throw SearchError(error.description) }
        defer { withExtendedLifetime(lock) {} }
        var states = configuration.methods.map(configuration.initialState)
        if fm.fileExists(atPath: stateURL.path) || fm.fileExists(atPath: configURL.path) {
            guard resume else {
                throw SearchError("\(directory.path) holds a search already: pass --resume to continue it, or another --run-dir")
            }
            if let saved = try? String(contentsOf: configURL, encoding: .utf8), saved != configurationText {
                throw SearchError("\(configURL.path) differs from --config: resume with the configuration the search started with, or use another --run-dir")
            }
            if fm.fileExists(atPath: stateURL.path) {
                let saved: Saved
                do { saved = try JSONDecoder().decode(Saved.self, from: Data(contentsOf: stateURL)) } catch {
                    throw SearchError("\(stateURL.path) cannot be read (\(error)); start afresh in another --run-dir")
                }
                guard saved.seed == configuration.seed else {
                    throw SearchError("\(directory.path) holds the search of seed \(saved.seed), not \(configuration.seed): resume with --seed \(saved.seed), or use another --run-dir")
                }
                let records = saved.records
                for r in records {
                    guard let k = states.firstIndex(where: { $0.method == r.method }) else {
                        throw SearchError("\(stateURL.path) holds \(r.method.rawValue) candidates, which this configuration does not run")
                    }
                    try states[k].accept(r)
                }
                output("resuming \(configuration.name) after \(records.count) candidates")
            }
        }
        try write(Array(configurationText.utf8), to: configURL)
        var all = Self.interleaved(states)
        try write(Array(all.map { Self.line($0) }.joined().utf8), to: directory.appendingPathComponent(Self.recordsFile))
        let log: FileHandle
        do {
            log = try FileHandle(forWritingTo: directory.appendingPathComponent(Self.recordsFile))
            try log.seekToEnd()
        } catch { throw SearchError("cannot open \(Self.recordsFile) in \(directory.path): \(error.localizedDescription)") }
        defer { try? log.close() }

        let total = configuration.candidates * states.count
        let startCount = all.count
        let clock = ContinuousClock(), start = clock.now
        var bestSoFar = Self.best(of: all)
        if let b = bestSoFar { try writeBest(b) }
        var dispatcher = CandidateDispatcher(states: states)
        func accepted(_ record: CandidateRecord) throws {
            log.write(Data(Self.line(record).utf8))
            if let faultKillAfter, all.count + 1 == faultKillAfter { kill(getpid(), SIGKILL) }
            all.append(record)
            try write(Array(try JSONEncoder.sorted.encode(Saved(seed: configuration.seed, records: all))), to: stateURL)
            if bestSoFar.map({ record.fitness > $0.fitness }) ?? true {
                bestSoFar = record
                try writeBest(record)
            }
            let elapsed = clock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            let done = all.count - startCount
            let eta = seconds / Double(done) * Double(total - all.count)
            let perMethod = dispatcher.states.map { "\($0.method.rawValue) \($0.records.count)/\(configuration.candidates)" }
                .joined(separator: ", ")
            output("candidates \(all.count)/\(total) (\(perMethod))  last \(Self.format(record.fitness)) "
                   + "(\(record.method.rawValue) \(record.index))  best \(Self.format(bestSoFar!.fitness)) "
                   + "(\(bestSoFar!.method.rawValue) \(bestSoFar!.index))  ETA \(Self.duration(eta))")
        }
        if let coordinator {
            // A batch per round; its iteration number is the position of its first candidate (increasing).
            while !dispatcher.isFinished {
                let batch = dispatcher.nextBatch()
                let request = RoundRequest(work: SearchJob.work, payload: SearchJob.payload(batch, space: configuration.space),
                                           items: batch.count, output: .scalars(SearchJob.scalarsPerItem),
                                           scalarBounds: SearchJob.scalarBounds)
                let answers: [ResultMessage.TaskOutcome]?
                do { answers = try coordinator.complete(request, iteration: UInt64(dispatcher.accepted)) } catch {
                    throw SearchError("search: \(error)")
                }
                guard let answers else {
                    throw SearchError("search stopped by a signal after \(all.count) candidates; --resume continues it")
                }
                for (item, answer) in zip(batch, answers) {
                    for record in try dispatcher.complete(try SearchJob.record(item, scalars: answer.scalars)) { try accepted(record) }
                }
            }
        } else {
            // One candidate at a time, in this process; the dispatcher's fixed order is the index-by-index interleaving.
            while let item = dispatcher.next() {
                let trained = try CandidateTraining.run(configuration, method: item.method, index: item.index, genome: item.genome)
                for record in try dispatcher.complete(trained) { try accepted(record) }
            }
        }
        states = dispatcher.states
        return states
    }

    /// The fittest of `records`, the first among equals.
    public static func best(of records: [CandidateRecord]) -> CandidateRecord? {
        records.reduce(nil) { b, r in b.map { r.fitness > $0.fitness ? r : $0 } ?? r }
    }

    /// Writes `best.yaml` for `record`.
    func writeBest(_ record: CandidateRecord) throws {
        let best = try configuration.fullConfiguration(record.genome, name: "\(configuration.name)-best")
        try write(Array(("# \(record.method.rawValue) candidate \(record.index), validation fitness \(record.fitness)\n"
                         + ConfigFile.yaml(best)).utf8), to: directory.appendingPathComponent(Self.bestFile))
    }

    /// The records of `states` in the order a run trains them (index by index, method by method).
    public static func interleaved(_ states: [SearchState]) -> [CandidateRecord] {
        let n = states.map(\.records.count).max() ?? 0
        return (0..<n).flatMap { i in states.compactMap { i < $0.records.count ? $0.records[i] : nil } }
    }

    /// A `candidates.jsonl` line.
    static func line(_ r: CandidateRecord) -> String {
        String(decoding: (try? JSONEncoder.sorted.encode(r)) ?? Data(), as: UTF8.self) + "\n"
    }

    func write(_ bytes: [UInt8], to url: URL) throws {
        do { try RunCheckpoint.writeAtomically(bytes, to: url) } catch { throw SearchError("\(error)") }
    }

    static func format(_ x: Double) -> String { String(format: "%.4f", x) }

    static func duration(_ s: Double) -> String {
        guard s.isFinite else { return "?" }
        let t = Int(s.rounded())
        return t >= 3600 ? "\(t / 3600)h \(t % 3600 / 60)m" : t >= 60 ? "\(t / 60)m \(t % 60)s" : "\(t)s"
    }
}
