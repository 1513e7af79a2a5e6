import MetaTensor
import MetaRuntime
import MetaCluster

/// This build's identity, sent in every hello: results are bit-identical across processes
/// of the same build, BLAS kernels and numeric fingerprint.
public enum BuildInfo {
    /// The release version.
    public static let version = "0.5.0"
    /// The git commit built (12 hex digits, `-dirty` when tracked files differed from it), or
    /// `METATRAIN_BUILD_COMMIT` at build time, or `unknown`: written by the BuildCommit plugin.
    /// Not part of ``identity``: workers of the same version and numerics may differ in commit.
    public static let commit = BuildCommit.hash
    /// What `metatrain --version` prints: `metatrain VERSION (commit COMMIT)`.
    public static var versionLine: String { "metatrain \(version) (commit \(commit))" }
    /// The build's name in hellos and logs: `metatrain VERSION swift-6`.
    public static var id: String { "metatrain \(version) swift-6" }
    /// The identity a coordinator or worker of this build announces.
    public static var identity: BuildIdentity {
        BuildIdentity(buildID: id, blasKernel: BLASRuntime.coreName, fingerprint: NumericFingerprint.value)
    }
}
