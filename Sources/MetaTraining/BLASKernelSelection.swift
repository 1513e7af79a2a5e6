import Foundation
import MetaTensor

/// Makes sure OpenBLAS runs the kernels this CPU supports (see `BLASRuntime`).
public enum BLASKernelSelection {
    /// Set in the re-executed process's environment, so it never re-executes again.
    public static let reexecMarker = "METATRAIN_BLAS_REEXEC"

    /// When OpenBLAS chose generic kernels although the CPU supports better ones, and the user
    /// has not set `OPENBLAS_CORETYPE`, re-executes this process once with it set. Returns
    /// when nothing needs to change (or re-execution is impossible). Call it first thing in
    /// `main`, before any state worth keeping exists: a re-execution replaces the process.
    public static func ensureOptimizedKernels() {
        let env = ProcessInfo.processInfo.environment
        guard env["OPENBLAS_CORETYPE"] == nil, env[reexecMarker] == nil,
              let recommended = BLASRuntime.recommendedCoreType(cpuFlags: cpuFlags()),
              BLASRuntime.coreName.lowercased() != recommended.lowercased() else { return }
        setenv("OPENBLAS_CORETYPE", recommended, 1)
        setenv(reexecMarker, "1", 1)
        let args = CommandLine.arguments
        var cArgs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        execv("/proc/self/exe", &cArgs)
        // execv returned: keep going with the kernels we have.
        for p in cArgs { free(p) }
    }

    /// This CPU's feature flags, from `/proc/cpuinfo` (empty when it cannot be read).
    public static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return [] }
        return cpuFlags(cpuinfo: text)
    }

    /// The flags of the first `flags` line of a `/proc/cpuinfo` text (empty when it has none).
    public static func cpuFlags(cpuinfo text: String) -> Set<String> {
        for line in text.split(separator: "\n") where line.hasPrefix("flags") {
            return Set(line.split(separator: ":").last?.split(separator: " ").map(String.init) ?? [])
        }
        return []
    }
}
