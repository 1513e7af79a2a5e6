// swift-tools-version:6.0
import PackageDescription

/// Targets are split by concern and depend downward only:
/// CBLAS ← MetaTensor ← MetaAutodiff ← MetaNN ← MetaOptim / MetaAlgorithms ← MetaCluster ← MetaTraining ← MetaBench ← metatrain;
/// MetaAlgorithms ← MetaReport ← metatrain.
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
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
    ],
    targets: [
        // System libraries (Debian: libopenblas-dev, libzmq3-dev, libpng-dev, zlib1g-dev; scripts/install-deps.sh).
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZeroMQ", pkgConfig: "libzmq",
                       providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),

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
        .target(name: "MetaNN", dependencies: ["MetaAutodiff", "MetaRandom"]),
        // Optimizers as init/update pairs with explicit state; gradient clipping.
        .target(name: "MetaOptim", dependencies: ["MetaNN"]),
        // Task families (sinusoid regression, ...).
        .target(name: "MetaTasks", dependencies: ["MetaTensor", "MetaRandom", "MetaChecksum", "CZlib", "CPNG"]),
        // Meta-learning algorithms as pure per-task step functions.
        .target(name: "MetaAlgorithms", dependencies: ["MetaNN", "MetaOptim", "MetaTasks"]),
        // Run configurations as YAML files (strict keys) and run checkpoints.
        .target(name: "MetaConfig", dependencies: ["MetaAlgorithms", "MetaChecksum", .product(name: "Yams", package: "Yams")]),
        // The distributed runtime's socket-free core: wire protocol, peer state machines, the
        // scheduler, the Transport seam and an in-memory transport for tests.
        .target(name: "MetaRuntime", dependencies: ["MetaTensor", "MetaNN", "MetaChecksum", "CZlib"]),
        // ZeroMQ sockets, polling, CURVE keys and the ZAP allow-list handler. No protocol.
        .target(name: "MetaTransport", dependencies: ["CZeroMQ"]),
        // The distributed runtime: coordinator and worker event loops over MetaTransport.
        .target(name: "MetaCluster", dependencies: ["MetaRuntime", "MetaTransport", "MetaAlgorithms", "MetaConfig", "MetaChecksum"]),
        // What a running process shows: Prometheus metrics over HTTP, swift-log handlers (text, JSON).
        .target(name: "MetaTelemetry", dependencies: [
            .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        // The run machinery: run directories claimed, the training loop (checkpoints, metrics.jsonl,
        // progress, validation), evaluation, local worker processes, process set-up.
        .target(name: "MetaTraining", dependencies: [
            "MetaTensor", "MetaTasks", "MetaAlgorithms", "MetaConfig", "MetaRuntime", "MetaCluster", "MetaTelemetry",
        ]),
        // A run directory's files read and rendered as one self-contained HTML page (inline SVG charts).
        .target(name: "MetaReport", dependencies: ["MetaAlgorithms"]),
        // Throughput and memory benchmarks: training workloads, kernels and per-op overhead, resident memory.
        .target(name: "MetaBench", dependencies: [
            "MetaTensor", "MetaAutodiff", "MetaAlgorithms", "MetaRuntime", "MetaCluster", "MetaTelemetry", "MetaTraining",
        ]),
        // Gradient checks and approximate comparison, shared by the test targets.
        .target(name: "MetaTestKit", dependencies: ["MetaAutodiff", "MetaNN", "MetaRuntime"]),
        // The command-line tool.
        .executableTarget(name: "metatrain", dependencies: [
            "MetaTensor", "MetaAutodiff", "MetaNN", "MetaOptim", "MetaRandom",
            "MetaTasks", "MetaAlgorithms", "MetaConfig", "MetaCluster", "MetaTransport", "MetaTelemetry", "MetaReport",
            "MetaRuntime", "MetaTraining", "MetaBench", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "MetaTensorTests", dependencies: ["MetaTensor", "MetaTestKit"]),
        .testTarget(name: "MetaRandomTests", dependencies: ["MetaRandom"]),
        .testTarget(name: "MetaAutodiffTests", dependencies: ["MetaAutodiff", "MetaTestKit"]),
        .testTarget(name: "MetaNNTests", dependencies: ["MetaNN", "MetaTestKit"]),
        .testTarget(name: "MetaOptimTests", dependencies: ["MetaOptim", "MetaTestKit"]),
        .testTarget(name: "MetaTasksTests", dependencies: ["MetaTasks", "MetaTestKit", "CZlib"]),
        .testTarget(name: "MetaAlgorithmsTests", dependencies: ["MetaAlgorithms", "MetaTestKit"]),
        .testTarget(name: "MetaConfigTests", dependencies: ["MetaConfig", "MetaChecksum", "MetaTestKit"]),
        .testTarget(name: "ConfigFuzzTests", dependencies: ["metatrain", "MetaConfig", "MetaAlgorithms", "MetaOptim", "MetaChecksum", "MetaTestKit"]),
        .testTarget(name: "ReportTests", dependencies: ["metatrain", "MetaTestKit"]),
        .testTarget(name: "ExportTests", dependencies: ["MetaConfig", "MetaTestKit", "metatrain"]),
        .testTarget(name: "MetaChecksumTests", dependencies: ["MetaChecksum"]),
        .testTarget(name: "SystemLibraryTests", dependencies: ["CZeroMQ", "CBLAS", "CPNG"]),
        .testTarget(name: "MetaRuntimeTests", dependencies: ["MetaRuntime", "MetaTestKit"]),
        .testTarget(name: "MetaTransportTests", dependencies: ["MetaTransport"]),
        .testTarget(name: "MetaClusterTests", dependencies: ["MetaCluster", "MetaRuntime", "MetaTransport", "MetaAlgorithms", "MetaConfig", "MetaTestKit"]),
        .testTarget(name: "MetaTrainingTests", dependencies: ["MetaTraining", "MetaAlgorithms", "MetaConfig", "MetaTestKit"]),
        .testTarget(name: "MetaReportTests", dependencies: ["MetaReport", "MetaTestKit"]),
        .testTarget(name: "MetaBenchTests", dependencies: ["MetaBench"]),
        .testTarget(name: "MetaTelemetryTests", dependencies: ["MetaTelemetry", .product(name: "Prometheus", package: "swift-prometheus")]),
        // deploy/: compose and Kubernetes files against their schemas, the Dockerfile against the binary.
        .testTarget(name: "DeployTests", dependencies: ["metatrain", "MetaConfig", "MetaTestKit", .product(name: "Yams", package: "Yams")]),
        // Real coordinator and worker processes over real sockets (depends on the executable so it is built).
        .testTarget(name: "ClusterIntegrationTests", dependencies: ["metatrain", "MetaConfig", "MetaRuntime", "MetaTransport", "MetaTestKit", "MetaTensor", "MetaNN", "CZeroMQ",
                                                                 .product(name: "Yams", package: "Yams")]),
    ],
    swiftLanguageModes: [.v6]
)
