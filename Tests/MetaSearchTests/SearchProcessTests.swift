import Foundation
import Testing
import MetaAlgorithms
import MetaConfig
import MetaSearch
import MetaTestKit

/// Candidates trained for real on tiny synthetic image tasks: a candidate's record is a pure
/// function of (search, index, genome), and `metatrain search` killed mid-search and resumed
/// writes the same history as a search never interrupted.
@Suite struct SearchProcessTests {
    /// A search small enough to run in seconds: 3-way 1-shot 8×8 synthetic images, encoders of
    /// 4–6 filters, two meta-iterations of two tasks per candidate, four validation tasks.
    static let common = """
        name: tiny
        seed: 5
        candidates: 4
        fitness: { iterations: 2, validation_tasks: 4 }
        base:
          algorithm: maml
          iterations: 50
          meta_batch: 2
          tasks: { family: synthetic-images, ways: 3, shots: 1, queries: 1, size: 8 }
          model: { architecture: conv-encoder, blocks: 2, filters: 4 }
          inner: { steps: 1, learning_rate: 0.1 }
          outer: { optimizer: adam, learning_rate: 0.001 }

        """
    static let yaml = common + """
        evolution: { population: 2, sample: 2 }
        space:
          blocks: [1, 3]
          filters: [4, 6]
          inner_steps: [1, 2]

        """

    @Test func aCandidatesRecordIsAPureFunctionOfTheSearchTheIndexAndTheGenome() throws {
        let search = try SearchConfigFile.parse(Self.yaml)
        for learner in SearchSpace.supportedLearners {
            var genome = RandomSearch.genome(index: 1, space: search.space, seed: search.seed)
            genome.learner = learner
            let a = try CandidateTraining.run(search, method: .random, index: 1, genome: genome)
            let b = try CandidateTraining.run(search, method: .random, index: 1, genome: genome)
            #expect(a.sameOutcome(as: b), "\(learner)")
            #expect((0...1).contains(a.fitness) && a.parameters > 0)
            // Another index trains with another seed.
            #expect(try search.candidateConfiguration(index: 2, genome: genome).seed
                    != search.candidateConfiguration(index: 1, genome: genome).seed)
        }
    }

    @Test func theBestCandidatesConfigurationIsARunConfigurationAtTheFullBudget() throws {
        let search = try SearchConfigFile.parse(Self.yaml)
        var genome = RandomSearch.genome(index: 0, space: search.space, seed: 1)
        genome.learner = "fomaml"
        let c = try search.fullConfiguration(genome, name: "best")
        #expect(c.iterations == 50)
        #expect(c.algorithm == .maml && c.inner.firstOrder)
        #expect(c.architecture == .convEncoder(blocks: genome.blocks, filters: genome.filters, kernel: genome.kernel,
                                               downsampling: .init(rawValue: genome.downsampling)!,
                                               normalization: .init(rawValue: genome.normalization)!, ways: 3))
        #expect(try ConfigFile.parse(ConfigFile.yaml(c)) == c)
    }

    @Test(arguments: [
        ("evolution: { population: 2, sample: 3 }", "'evolution.sample': 3 is more than the population (2)"),
        ("space: { kernel: [3, 4] }", "'space.kernel': '4' is not one of"),
        ("space: { learner: [relationnet] }", "'space.learner': 'relationnet' is not one of"),
        ("methods: [annealing]", "unknown method 'annealing'"),
        ("spaces: {}", "unknown search config key 'spaces'"),
    ])
    func badSearchConfigurationsAreRefusedInOneLineNamingTheKey(extra: String, fragment: String) {
        do {
            _ = try SearchConfigFile.parse(Self.common + extra + "\n")
            Issue.record("accepted: \(extra)")
        } catch {
            #expect("\(error)".contains(fragment), "\(error)")
            #expect(!"\(error)".contains("\n"))
        }
    }

    /// Runs `metatrain search`; its termination status and reason.
    static func search(_ arguments: [String], in directory: URL) throws -> (Int32, Process.TerminationReason) {
        let process = Process()
        process.executableURL = BuiltProducts.metatrain
        process.arguments = ["search"] + arguments
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("METATRAIN_") }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, process.terminationReason)
    }

    /// A `metatrain search` started and not waited for; its standard error goes to `stderr`.
    static func start(_ arguments: [String], stderr: URL) throws -> Process {
        let process = Process()
        process.executableURL = BuiltProducts.metatrain
        process.arguments = ["search"] + arguments
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("METATRAIN_") }
        process.standardOutput = FileHandle.nullDevice
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: stderr)
        try process.run()
        return process
    }

    static func records(_ directory: URL) throws -> [CandidateRecord] {
        let text = try String(contentsOf: directory.appendingPathComponent(SearchRun.recordsFile), encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(CandidateRecord.self, from: Data($0.utf8)) }
    }

    @Test func aSearchKilledAndResumedWritesTheSameHistoryAsOneNeverInterrupted() throws {
        let root = BuiltProducts.temporaryDirectory("search")
        defer { try? FileManager.default.removeItem(at: root) }
        let config = root.appendingPathComponent("search.yaml")
        try Self.yaml.write(to: config, atomically: true, encoding: .utf8)
        let whole = root.appendingPathComponent("whole"), killed = root.appendingPathComponent("killed")

        #expect(try Self.search(["--config", config.path, "--run-dir", whole.path], in: root).0 == 0)
        let expected = try Self.records(whole)
        #expect(expected.count == 8)
        #expect(Set(expected.map(\.method)) == [.evolution, .random])

        // Killed (SIGKILL) after the fifth record reached candidates.jsonl, before it was checkpointed.
        let (status, reason) = try Self.search(["--config", config.path, "--run-dir", killed.path, "--fault-kill-candidate", "5"], in: root)
        #expect(reason == .uncaughtSignal && status == SIGKILL)
        #expect(try Self.records(killed).count == 5)
        // Resuming without --resume is refused; with it, the search finishes.
        #expect(try Self.search(["--config", config.path, "--run-dir", killed.path], in: root).0 == 1)
        #expect(try Self.search(["--config", config.path, "--run-dir", killed.path, "--resume"], in: root).0 == 0)
        let resumed = try Self.records(killed)
        #expect(resumed.count == expected.count)
        for (a, b) in zip(resumed, expected) { #expect(a.sameOutcome(as: b), "\(a) vs \(b)") }

        // best.yaml is a run configuration that `metatrain train --config` reads.
        let best = try String(contentsOf: killed.appendingPathComponent(SearchRun.bestFile), encoding: .utf8)
        let parsed = try ConfigFile.parse(best)
        #expect(parsed.iterations == 50)
        #expect(best == (try String(contentsOf: whole.appendingPathComponent(SearchRun.bestFile), encoding: .utf8)))
    }

    @Test func aSecondSearchOnALiveSearchsDirectoryIsRefusedInOneLineNamingItsPid() throws {
        let root = BuiltProducts.temporaryDirectory("search-lock")
        defer { try? FileManager.default.removeItem(at: root) }
        // Long enough (60 candidates) that the first search is still training when it is stopped.
        let config = root.appendingPathComponent("search.yaml")
        try Self.yaml.replacingOccurrences(of: "candidates: 4", with: "candidates: 30").write(to: config, atomically: true, encoding: .utf8)
        let directory = root.appendingPathComponent("run")
        let first = try Self.start(["--config", config.path, "--run-dir", directory.path], stderr: root.appendingPathComponent("first.err"))
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL); first.waitUntilExit() } }
        // search.yaml is written once the directory is locked; then the first search is frozen.
        while first.isRunning && !FileManager.default.fileExists(atPath: directory.appendingPathComponent(SearchRun.configFile).path) {
            usleep(2_000)
        }
        kill(first.processIdentifier, SIGSTOP)
        #expect(first.isRunning, "the first search ended before the second started")

        for extra in [[], ["--resume"]] {
            let errors = root.appendingPathComponent("second.err")
            let second = try Self.start(["--config", config.path, "--run-dir", directory.path] + extra, stderr: errors)
            second.waitUntilExit()
            #expect(second.terminationStatus == 1, "\(extra)")
            let text = try String(contentsOf: errors, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(!text.contains("\n"), "\(text)")
            #expect(text.contains("is in use by another metatrain process (pid \(first.processIdentifier))"), "\(text)")
        }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        // The kernel released the lock with the process: resuming is allowed again (refused only
        // for want of --resume).
        let after = root.appendingPathComponent("after.err")
        let third = try Self.start(["--config", config.path, "--run-dir", directory.path], stderr: after)
        third.waitUntilExit()
        #expect(third.terminationStatus == 1)
        #expect(try String(contentsOf: after, encoding: .utf8).contains("holds a search already"))
    }
}
