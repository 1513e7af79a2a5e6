import ArgumentParser
import Foundation
import MetaCluster
import MetaConfig
import MetaRuntime
import MetaSearch
import MetaTelemetry
import MetaTraining

/// `metatrain search --config search.yaml [--workers N | --bind ENDPOINT] [--resume]`: a search
/// of learners by regularized evolution and random search (``SearchRun``), in this process or as
/// a cluster job (``SearchJob``) on local worker processes or workers that connect to `--bind`.
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search encoder architectures and learners by regularized evolution against random search at the same budget.",
        discussion: """
            Each candidate (encoder blocks, filters, kernel, downsampling, normalization; learner, inner steps, \
            inner and outer learning rates) is meta-trained briefly and scored on the validation split. The run \
            directory holds search.yaml, candidates.jsonl (one record per candidate: genome, fitness, wall time), \
            search-state.json (checkpointed atomically after each candidate) and best.yaml (the fittest candidate \
            at the base's full budget: metatrain train --config best.yaml). The history is a function of the \
            configuration and the seed: a search killed and resumed gives the same records, on 0, 1 or N workers.

            With --workers N (local worker processes) or --bind ENDPOINT (workers started with metatrain worker \
            --connect ENDPOINT), candidates train on workers, evolution.in_flight candidates per method at a time; \
            a lost worker's candidate is trained again elsewhere. A --bind endpoint that other machines can reach \
            takes CURVE (--curve-secret and --allow, as metatrain coordinator) or --insecure.


            """ + EnvironmentOptions.help(for: "search"))

    @Option(name: .long, help: "The search configuration (YAML; see examples/search-omniglot.yaml).")
    var config: String

    @Option(name: .long, help: "The search's directory (default: runs/search-NAME).")
    var runDir: String?

    @Option(name: .long, help: "The search seed (default: the configuration's).")
    var seed: UInt64?

    @Flag(name: .long, help: "Continue the search in the run directory from its last checkpointed candidate.")
    var resume = false

    @OptionGroup var compute: ComputeOptions

    @Option(name: .long, help: "Worker processes on this machine that train the candidates (0: train them in this process). The history is the same for any count.")
    var workers: Int = 0

    @Option(name: .long, help: "Serve the search to workers that connect here (metatrain worker --connect ENDPOINT), e.g. tcp://0.0.0.0:5555 with --curve-secret and --allow, or tcp://127.0.0.1:5555 or ipc://PATH.")
    var bind: String?

    @OptionGroup var security: CoordinatorSecurityOptions

    @Option(name: .long, help: "With --bind: workers to wait for before the first candidate.")
    var minWorkers: Int = 1

    @Option(name: .long, help: "Seconds a worker may take for one candidate before it is also given to another worker (3 such periods in a row drop the worker).")
    var candidateDeadline: Double = 1800

    @OptionGroup var heartbeat: HeartbeatOptions

    @Option(name: .long, help: .hidden)
    var faultKillCandidate: Int?

    func validate() throws {
        guard workers >= 0 && workers <= 256 else { throw ValidationError("--workers must be between 0 and 256, got \(workers)") }
        if workers > 0 && bind != nil { throw ValidationError("--workers starts local workers, --bind serves remote ones: pass one of them") }
        guard minWorkers >= 1 && minWorkers <= 1024 else { throw ValidationError("--min-workers must be between 1 and 1024, got \(minWorkers)") }
        guard candidateDeadline >= 1 && candidateDeadline <= 604_800 else {
            throw ValidationError("--candidate-deadline must be between 1 and 604800 seconds, got \(candidateDeadline)")
        }
        if security.isSet && bind == nil {
            throw ValidationError("--curve-secret, --allow and --insecure secure the endpoint of --bind: pass --bind too")
        }
        if let bind, !bind.contains("://") { throw ValidationError("--bind takes an endpoint like tcp://127.0.0.1:5555, got '\(bind)'") }
        if let seed, seed > UInt64(ConfigLimits.seed.upperBound) {
            throw ValidationError("--seed must be between \(ConfigLimits.seed.lowerBound) and \(ConfigLimits.seed.upperBound), got \(seed)")
        }
    }

    func run() throws {
        compute.apply()
        let text: String
        do { text = try String(contentsOfFile: config, encoding: .utf8) } catch {
            throw RunError("cannot read --config \(config): \(error.localizedDescription)")
        }
        do {
            var search = try SearchConfigFile.parse(text)
            if let seed { search.seed = seed }
            let directory = URL(fileURLWithPath: runDir ?? "runs/search-\(search.name)")
            var run = SearchRun(configuration: search, configurationText: text, directory: directory, faultKillAfter: faultKillCandidate)
            let states: [SearchState]
            if workers > 0 || bind != nil {
                states = try runOnWorkers(&run, search: search, text: text)
            } else {
                states = try run.run(resume: resume)
            }
            for s in states {
                if let b = s.best { print("\(s.method.rawValue): best fitness \(String(format: "%.4f", b.fitness)) (candidate \(b.index)): \(b.genome)") }
            }
            print("wrote \(directory.appendingPathComponent(SearchRun.bestFile).path): metatrain train --config it to retrain the best at full budget")
        } catch let e as SearchError {
            throw RunError(e.description)
        } catch let e as ExitCode {
            throw e
        } catch let e as RunError {
            throw e
        } catch {
            throw RunError.taskFamily(error)
        }
    }

    /// Runs the search on a coordinator's workers: `--workers N` local ones on a private ipc
    /// endpoint, or those that connect to `--bind`.
    func runOnWorkers(_ run: inout SearchRun, search: SearchConfiguration, text: String) throws -> [SearchState] {
        StopSignal.install()
        let log = logLine("search coordinator")
        var channel: PrivateEndpoint?
        defer { channel?.remove() }
        let endpoint: String
        var transport = CoordinatorSecurity.plain
        if let bind {
            transport = try security.security()
            if let refusal = transport.refusal(toBind: bind, insecure: security.insecure) { throw RunError(refusal) }
            if let warning = transport.warning(forBinding: bind) { log(warning) }
            endpoint = bind
        } else {
            do { channel = try PrivateEndpoint() } catch { throw RunError("\(error)") }
            endpoint = channel!.endpoint
        }
        let (job, maxItems) = SearchJob.message(search, configurationText: text)
        var options = Coordinator.Options(bind: endpoint, minWorkers: bind == nil ? workers : minWorkers, heartbeat: heartbeat.settings,
                                          security: transport, identity: BuildInfo.identity,
                                          deadlines: ShardDeadlines(floor: candidateDeadline, cap: candidateDeadline), log: log)
        var cluster: LocalCluster?
        options.failWhen = { cluster?.allExited }
        let coordinator = Coordinator(job: job, maxItems: maxItems, options: options)
        let bound: String
        do { bound = try coordinator.bind() } catch { throw RunError("search coordinator: \(error.description)") }
        log("serving the search at \(bound); waiting for \(options.minWorkers) worker(s)")
        if workers > 0 {
            cluster = try LocalCluster(workers: workers, endpoint: bound, threads: compute.threads, heartbeat: heartbeat.settings)
        }
        run.coordinator = coordinator
        var finished = false
        defer {
            coordinator.shutdown(reason: finished ? "the search finished" : "the search coordinator stopped", finished: finished)
            cluster?.wait()
        }
        let states = try run.run(resume: resume)
        finished = true
        return states
    }
}
