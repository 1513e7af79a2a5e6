extension OmniglotSplit {
    /// SHA-256 of ``v1Table``'s UTF-8 bytes, pinned in the source so that ``verify()`` catches
    /// any change to the table file.
    static let v1Checksum = "59328fbe83c5305be0966a88c0c5d155fb6007ab7907e45dfb18fc1cabe13b9d"

    /// omniglot-split-v1: one line per character, `"<split> <archive>/<alphabet>/<character>\n"`,
    /// from `Resources/omniglot-split-v1.txt`.
    ///
    /// SwiftPM compiles the file into the binary as a byte array (`.embedInCode`, exposed as
    /// `PackageResources`), so the executable stays one self-contained file: a resource bundle
    /// (`.process`/`.copy` with `Bundle.module`) would have to be shipped next to it. Bytes that
    /// are not UTF-8 decode to U+FFFD, which changes the checksum.
    static var v1Table: String { String(decoding: PackageResources.omniglot_split_v1_txt, as: UTF8.self) }
}
