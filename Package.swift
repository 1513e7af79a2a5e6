// swift-tools-version:6.0
import PackageDescription

/// Targets are split by concern and depend downward only: each target imports only targets on
/// the lines below its own, and declares exactly the targets it imports (PackageTests checks).
///
///     metatrain        the command line: parses arguments, calls the libraries
///     MetaSearch       search of learners by evolution ─────── MetaCluster, MetaConfig, MetaCheckpoint, MetaAlgorithms, …
///     MetaBench        benchmarks ──────────────────────────── MetaTraining, MetaCluster, MetaAutodiff, …
///     MetaReport       a run as one HTML page ──────────────── MetaCheckpoint, MetaAlgorithms, CPNG, …
///     MetaFetch        data set downloads, verified ─────────── MetaTasks, CCurl
///     MetaAdapt        a checkpoint adapted to a user's data ─ MetaCheckpoint, MetaAlgorithms, MetaTasks, …
///     MetaTraining     the run machinery ───────────────────── MetaCluster, MetaCheckpoint, MetaTelemetry, …
///     MetaCluster      coordinator and worker event loops ──── MetaRuntime, MetaTransport, MetaConfig, …
///     MetaCheckpoint   checkpoints, run directories, export ── MetaConfig, MetaAlgorithms, MetaChecksum, …
///     MetaConfig       configurations as YAML ──────────────── MetaAlgorithms, Yams
///     MetaRuntime      protocol, scheduler (no sockets) ────── MetaNN, MetaChecksum, CZlib
///     MetaTransport    ZeroMQ sockets, CURVE ───────────────── CZeroMQ
///     MetaTelemetry    Prometheus, TensorBoard, log handlers ─ swift-log, swift-prometheus
///     MetaAlgorithms   learners, families, architectures ───── MetaOptim, MetaTasks, MetaRL, MetaNN, …
///     MetaRL           environments, policies, TRPO ─────────── MetaNN, MetaRandom
///     MetaOptim        optimizers ──────────────────────────── MetaNN
///     MetaTasks        task families, data sets, images ────── MetaRandom, MetaChecksum, CPNG, CJPEG, CZlib
///     MetaNN           parameters, layers, models ──────────── MetaAutodiff, MetaRandom
///     MetaAutodiff     reverse-mode autodiff ───────────────── MetaTensor
///     MetaRandom       counter-based random streams ────────── MetaTensor
///     MetaTensor       storage, shapes, kernels ────────────── CBLAS, swift-numerics
///     MetaChecksum     SHA-256
///
/// MetaTestKit (gradient checks, approximate comparison, built products, image files) serves the test targets only.
let package = Package(
    name: "metatrain",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "metatrain", targets: ["metatrain"]),
        .library(name: "MetaTensor", targets: ["MetaTensor"]),
        .library(name: "MetaAutodiff", targets: ["MetaAutodiff"]),
        .library(name: "MetaNN", targets: ["MetaNN"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
    ],
    targets: [
        // System libraries (Debian: libopenblas-dev, libzmq3-dev, libpng-dev, libjpeg62-turbo-dev, zlib1g-dev, libcurl4-openssl-dev;
        // scripts/install-deps.sh).
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZeroMQ", pkgConfig: "libzmq",
                       providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg",
                       providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        // HTTP(S) downloads; the header wraps the variadic curl_easy_setopt and curl_easy_getinfo.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),

        // Storage, shapes and CPU kernels. No I/O, no autodiff.
        .target(name: "MetaTensor", dependencies: [
            "CBLAS", .product(name: "RealModule", package: "swift-numerics"),
        ]),
        // Checksums (SHA-256) for checkpoints, manifests and embedded tables.
        .target(name: "MetaChecksum"),
        // Counter-based random streams keyed by (seed, iteration, task, purpose).
        .target(name: "MetaRandom", dependencies: ["MetaTensor"]),
        // Reverse-mode autodiff with differentiable derivative rules (higher order).
        .target(name: "MetaAutodiff", dependencies: ["MetaTensor"]),
        // Parameters, layers as pure functions, initialisers, losses, models.
        .target(name: "MetaNN", dependencies: ["MetaTensor", "MetaRandom", "MetaAutodiff"]),
        // Optimizers as init/update pairs with explicit state; gradient clipping.
        .target(name: "MetaOptim", dependencies: ["MetaTensor", "MetaNN"]),
        // Task samplers: sinusoids, Omniglot (zip archives, PNG), synthetic images, sequence episodes;
        // PNG and JPEG images decoded and resized as Omniglot's drawings are.
        // The Omniglot split table is compiled into the binary (no resource bundle beside the executable).
        .target(name: "MetaTasks", dependencies: ["CPNG", "CJPEG", "CZlib", "MetaTensor", "MetaChecksum", "MetaRandom"],
                resources: [.embedInCode("Resources/omniglot-split-v1.txt")]),
        // Reinforcement learning: the 2-D navigation environment, Gaussian policies, rollouts from
        // keyed streams, the linear feature baseline, policy gradients, conjugate gradient and the
        // TRPO outer step as a state machine of reductions (MAML for RL, Finn et al. 2017 §5.3).
        .target(name: "MetaRL", dependencies: ["MetaTensor", "MetaRandom", "MetaAutodiff", "MetaNN"]),
        // Learners as pure per-task steps, and the registries of learners, task families and architectures.
        .target(name: "MetaAlgorithms", dependencies: [
            "MetaTensor", "MetaRandom", "MetaAutodiff", "MetaNN", "MetaOptim", "MetaTasks", "MetaRL",
        ]),
        // Run configurations as YAML files (strict keys, ranges): parsing, validation, writing.
        .target(name: "MetaConfig", dependencies: ["MetaNN", "MetaAlgorithms", .product(name: "Yams", package: "Yams")]),
        // Run checkpoints (written atomically, verified on load), the checkpoint store and its
        // asynchronous writer, the locked run directory, checkpoints found from a path and their
        // summary, and safetensors export and import.
        .target(name: "MetaCheckpoint", dependencies: ["MetaTensor", "MetaChecksum", "MetaNN", "MetaOptim", "MetaAlgorithms", "MetaConfig"]),
        // The distributed runtime's socket-free core: wire protocol, peer state machines, the
        // scheduler, the Transport seam and an in-memory transport for tests.
        .target(name: "MetaRuntime", dependencies: ["CZlib", "MetaTensor", "MetaChecksum", "MetaNN"]),
        // ZeroMQ sockets, polling, CURVE keys and the ZAP allow-list handler. No protocol.
        .target(name: "MetaTransport", dependencies: ["CZeroMQ"]),
        // The distributed runtime: coordinator and worker event loops over MetaTransport.
        .target(name: "MetaCluster", dependencies: [
            "CZeroMQ", "MetaTensor", "MetaChecksum", "MetaNN", "MetaAlgorithms", "MetaConfig", "MetaRuntime", "MetaTransport",
        ]),
        // What a running process shows: Prometheus metrics over HTTP, TensorBoard event files, swift-log handlers (text, JSON).
        .target(name: "MetaTelemetry", dependencies: [
            .product(name: "Logging", package: "swift-log"), .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        // The run machinery: run directories claimed, the training loop (checkpoints, metrics.jsonl,
        // progress, validation), evaluation, local worker processes, process set-up.
        // BuildInfo.commit comes from the BuildCommit plugin (git, or METATRAIN_BUILD_COMMIT).
        .target(name: "MetaTraining", dependencies: [
            "MetaTensor", "MetaTasks", "MetaAlgorithms", "MetaConfig", "MetaCheckpoint", "MetaRuntime", "MetaCluster", "MetaTelemetry",
        ], plugins: ["BuildCommit"]),
        // Writes BuildCommit.swift (the git commit) before each build of the targets that use it.
        // Under Sources/ so that a build from Package.swift and Sources/ alone (deploy/Dockerfile) finds it.
        .plugin(name: "BuildCommit", capability: .buildTool(), path: "Sources/BuildCommitPlugin"),
        // A run directory's files read and rendered as one self-contained HTML page (inline SVG charts,
        // held-out tasks predicted with the newest checkpoint, images as PNG data URIs).
        .target(name: "MetaReport", dependencies: ["CPNG", "MetaTensor", "MetaNN", "MetaTasks", "MetaAlgorithms", "MetaCheckpoint"]),
        // `metatrain data fetch`: resumable HTTP(S) downloads (libcurl) with a progress bar, installed
        // only once the data set's content digest verifies.
        .target(name: "MetaFetch", dependencies: ["CCurl", "MetaTasks"]),
        // A checkpoint's model adapted to a user's own examples (image folders, CSV points) by its
        // learner's own adaptation, the one the evaluation protocol runs.
        .target(name: "MetaAdapt", dependencies: ["MetaTensor", "MetaNN", "MetaTasks", "MetaAlgorithms", "MetaCheckpoint"]),
        // Throughput and memory benchmarks: training workloads, kernels and per-op overhead, resident memory.
        .target(name: "MetaBench", dependencies: [
            "MetaTensor", "MetaAutodiff", "MetaAlgorithms", "MetaRuntime", "MetaCluster", "MetaTelemetry", "MetaTraining",
        ]),
        // Searches of learners (encoder architecture, learner, inner loop, rates) by regularized evolution
        // and random search: the space, genomes, mutation, the per-method state machine, a candidate's
        // short training and scoring, the search run in its directory, in this process or as a
        // cluster job (a batch of candidates per round on a coordinator's workers).
        .target(name: "MetaSearch", dependencies: [
            "MetaTensor", "MetaRandom", "MetaNN", "MetaAlgorithms", "MetaConfig", "MetaCheckpoint", "MetaRuntime", "MetaCluster",
            .product(name: "Yams", package: "Yams"),
        ]),
        // Gradient checks and approximate comparison, shared by the test targets.
        .target(name: "MetaTestKit", dependencies: ["CPNG", "CJPEG", "MetaTensor", "MetaAutodiff", "MetaRuntime"]),
        // The command-line tool.
        .executableTarget(name: "metatrain", dependencies: [
            "MetaTensor", "MetaAlgorithms", "MetaConfig", "MetaCheckpoint", "MetaRuntime", "MetaTransport", "MetaCluster",
            "MetaTelemetry", "MetaTraining", "MetaReport", "MetaAdapt", "MetaBench", "MetaFetch", "MetaSearch",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "MetaTensorTests", dependencies: ["MetaTensor", "MetaRandom", "MetaTestKit"]),
        .testTarget(name: "MetaRandomTests", dependencies: ["MetaTensor", "MetaRandom"]),
        .testTarget(name: "MetaAutodiffTests", dependencies: ["MetaTensor", "MetaRandom", "MetaAutodiff", "MetaNN", "MetaTestKit"]),
        .testTarget(name: "MetaNNTests", dependencies: ["MetaTensor", "MetaRandom", "MetaAutodiff", "MetaNN", "MetaTestKit"]),
        .testTarget(name: "MetaOptimTests", dependencies: ["MetaTensor", "MetaNN", "MetaOptim"]),
        .testTarget(name: "MetaTasksTests", dependencies: ["CZlib", "MetaTensor", "MetaChecksum", "MetaTasks", "MetaTestKit"]),
        .testTarget(name: "MetaAlgorithmsTests", dependencies: [
            "MetaTensor", "MetaRandom", "MetaAutodiff", "MetaNN", "MetaOptim", "MetaTasks", "MetaRL", "MetaAlgorithms", "MetaTestKit",
        ]),
        .testTarget(name: "MetaRLTests", dependencies: ["MetaTensor", "MetaAutodiff", "MetaNN", "MetaRL", "MetaTestKit"]),
        .testTarget(name: "MetaConfigTests", dependencies: ["MetaTasks", "MetaAlgorithms", "MetaConfig"]),
        .testTarget(name: "MetaCheckpointTests", dependencies: [
            "MetaTensor", "MetaChecksum", "MetaNN", "MetaOptim", "MetaAlgorithms", "MetaConfig", "MetaCheckpoint", "MetaTestKit",
        ]),
        // The test targets that run the built binary depend on the executable target so that it is built.
        .testTarget(name: "ConfigFuzzTests", dependencies: [
            "MetaTensor", "MetaChecksum", "MetaNN", "MetaOptim", "MetaAlgorithms", "MetaConfig", "MetaCheckpoint", "MetaTestKit",
            "metatrain",
        ]),
        // `metatrain report` end to end, down to a headless browser's layout.
        .testTarget(name: "ReportTests", dependencies: ["MetaTestKit", "metatrain"]),
        .testTarget(name: "ExportTests", dependencies: [
            "MetaTensor", "MetaNN", "MetaAlgorithms", "MetaCheckpoint", "MetaAdapt", "MetaTestKit", "metatrain",
        ]),
        .testTarget(name: "MetaChecksumTests", dependencies: ["MetaChecksum"]),
        .testTarget(name: "SystemLibraryTests", dependencies: ["CZeroMQ", "CBLAS", "CPNG"]),
        .testTarget(name: "MetaRuntimeTests", dependencies: ["MetaTensor", "MetaNN", "MetaRuntime", "MetaTestKit"]),
        .testTarget(name: "MetaTransportTests", dependencies: ["CZeroMQ", "MetaTransport"]),
        .testTarget(name: "MetaClusterTests", dependencies: [
            "MetaTensor", "MetaChecksum", "MetaNN", "MetaAlgorithms", "MetaConfig", "MetaRuntime", "MetaTransport", "MetaCluster",
        ]),
        .testTarget(name: "MetaTrainingTests", dependencies: [
            "MetaTraining", "MetaAlgorithms", "MetaConfig", "MetaCheckpoint", "MetaTestKit", "metatrain",
        ]),
        // Adaptation on real image files and CSV files, against the evaluation protocol on the same tasks.
        .testTarget(name: "MetaAdaptTests", dependencies: [
            "MetaTensor", "MetaAutodiff", "MetaNN", "MetaTasks", "MetaAlgorithms", "MetaCheckpoint", "MetaAdapt", "MetaTestKit",
        ]),
        .testTarget(name: "MetaReportTests", dependencies: [
            "MetaTensor", "MetaAutodiff", "MetaNN", "MetaTasks", "MetaAlgorithms", "MetaReport", "MetaTestKit",
        ]),
        // The search's pure parts, `metatrain search` killed and resumed, and searches on worker processes.
        .testTarget(name: "MetaSearchTests", dependencies: [
            "MetaRandom", "MetaAlgorithms", "MetaConfig", "MetaRuntime", "MetaSearch", "MetaTestKit", "metatrain",
        ]),
        .testTarget(name: "MetaBenchTests", dependencies: ["MetaNN", "MetaAlgorithms", "MetaBench"]),
        .testTarget(name: "MetaTelemetryTests", dependencies: ["MetaTelemetry", .product(name: "Prometheus", package: "swift-prometheus")]),
        // deploy/: compose and Kubernetes files against their schemas, the Dockerfile against the binary.
        .testTarget(name: "DeployTests", dependencies: ["MetaConfig", "MetaTestKit", "metatrain", .product(name: "Yams", package: "Yams")]),
        // Real coordinator and worker processes over real sockets.
        .testTarget(name: "ClusterIntegrationTests", dependencies: [
            "CZeroMQ", "MetaTensor", "MetaNN", "MetaCheckpoint", "MetaRuntime", "MetaTransport", "MetaTestKit", "metatrain",
            .product(name: "Yams", package: "Yams"),
        ]),
        // `data fetch` against a local HTTP server with Range support (the script is a resource); no internet.
        .testTarget(name: "MetaFetchTests", dependencies: ["MetaFetch", "MetaTestKit", "metatrain"],
                    resources: [.copy("range_server.py")]),
        // This manifest against the sources: every target declares exactly the targets it imports.
        .testTarget(name: "PackageTests"),
    ],
    swiftLanguageModes: [.v6]
)
