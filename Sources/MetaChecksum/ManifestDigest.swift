/// The digest of a set of files by their content and paths, independent of how they are
/// packed (zip archives or folders): the SHA-256 of their `sha256sum` manifest.
///
/// The manifest has one line `<sha256 hex>  <path>\n` per file (two spaces, as `sha256sum`
/// prints), the lines sorted by the paths' UTF-8 bytes (what `LC_ALL=C sort` does). So for a
/// folder tree the digest equals
///
///     find DIRS -type f -name '*.png' | LC_ALL=C sort | xargs -d '\n' sha256sum | sha256sum
///
/// run where DIRS are (paths relative to there). Paths must not contain a line break or a
/// backslash (`sha256sum` would escape them); the data sets it identifies have neither.
public enum ManifestDigest {
    /// The digest of files given as (path, SHA-256 hex of the content), in any order: 64
    /// lowercase hexadecimal digits.
    public static func hexDigest(_ files: [(path: String, sha256: String)]) -> String {
        let sorted = files.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        var manifest: [UInt8] = []
        manifest.reserveCapacity(sorted.reduce(0) { $0 + $1.path.utf8.count + 67 })
        for file in sorted {
            manifest += file.sha256.utf8
            manifest += [0x20, 0x20]
            manifest += file.path.utf8
            manifest.append(0x0A)
        }
        return SHA256.hexDigest(manifest)
    }
}
