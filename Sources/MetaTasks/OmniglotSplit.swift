import MetaChecksum

/// A fixed, versioned assignment of Omniglot's 1,623 characters to training, validation and
/// test, shipped as a table file compiled into the binary, with its SHA-256 pinned in the source.
///
/// ## omniglot-split-v1 (``v1``)
///
/// All 1,623 characters of the official archives are ordered by (archive:
/// `images_background` then `images_evaluation`; alphabet folder name; character folder
/// name), names compared as UTF-8 bytes. The first 1,100 are **train**, the next 100
/// **validation**, the last 423 **test**:
///
/// | split      | characters | alphabets                                                                 |
/// |------------|-----------:|---------------------------------------------------------------------------|
/// | train      | 1,100      | all 30 background alphabets (964), then the evaluation alphabets Angelic, Atemayar_Qelisayer, Atlantean, Aurek-Besh, Avesta (124) and Ge_ez character01–12 |
/// | validation | 100        | Ge_ez character13–26, Glagolitic (45), Gurmukhi character01–41              |
/// | test       | 423        | Gurmukhi character42–45, then Kannada, Keble, Malayalam, Manipuri, Mongolian, Old_Church_Slavonic_(Cyrillic), Oriya, Sylheti, Syriac_(Serto), Tengwar, Tibetan, ULOG (whole alphabets) |
///
/// The sizes are those of Vinyals et al. 2016 and Finn et al. 2017 (MAML): 1,200 characters
/// for meta-training, of which MAML's code holds out 100 for validation (1,100 + 100), and
/// 423 for testing; with the 90° rotation augmentation each character gives 4 classes.
/// Test characters come from evaluation alphabets only, and 12 of the 13 test alphabets are
/// entirely in test (Gurmukhi is shared between validation and test).
///
/// How it differs from other splits:
/// - **MAML's reference code** (cbfinn/maml, `data_generator.py`) lists all character
///   folders of both archives in `os.listdir` order, shuffles them with Python's
///   `random.seed(1)`, and takes 1,100 / 100 / 423. Its membership depends on the file
///   system's listing order and Python's generator, so it is not reproducible exactly, and
///   it mixes alphabets across splits. Membership here differs from it (and from any other
///   implementation); only the sizes agree.
/// - **Vinyals et al.'s split** as published by Snell et al. (prototypical-networks,
///   `data/omniglot/splits/vinyals/`) assigns whole alphabets and is not ordered by
///   archive: its validation set is five background alphabets (Hebrew, Mkhedruli_(Georgian),
///   Armenian, Early_Aramaic, Bengali; 172 characters). Here every background alphabet is
///   in train, and validation and test hold evaluation alphabets only.
/// - **Lake et al.'s background/evaluation split** (964 / 659 characters, 30 / 20 alphabets)
///   is the archives' own; here 136 evaluation characters join training.
///
/// The table is `"<split> <archive>/<alphabet>/<character>\n"` per character in the order
/// above (generated once by `scripts/generate-omniglot-split.py`, committed as
/// `Sources/MetaTasks/Resources/omniglot-split-v1.txt` and compiled into the binary, see
/// `OmniglotSplit+V1.swift`); its SHA-256 is
/// `59328fbe83c5305be0966a88c0c5d155fb6007ab7907e45dfb18fc1cabe13b9d`, and ``verify()``
/// refuses any other table. A change of membership is a new version with a new name and a
/// new file, never an edit of v1.
public struct OmniglotSplit: Sendable, Equatable {
    /// The split's versioned name, e.g. `omniglot-split-v1`.
    public let name: String
    /// The SHA-256 recorded for the table (64 lowercase hex digits).
    public let checksum: String
    /// The table the split was built from.
    public let table: String
    /// Every character's path `<archive>/<alphabet>/<character>`, in table order.
    public let paths: [String]
    /// The part each character of ``paths`` belongs to.
    public let assignments: [TaskSplit]
    private let malformedLine: String?

    /// The split shipped with metatrain; see the type's documentation.
    public static let v1 = OmniglotSplit(name: "omniglot-split-v1", table: v1Table, checksum: v1Checksum)

    /// A split read from a table of lines `"<split> <path>"` (`split` one of train,
    /// validation, test). Call ``verify()`` before use: it checks the format and checksum.
    public init(name: String, table: String, checksum: String) {
        self.name = name; self.table = table; self.checksum = checksum
        var paths: [String] = [], assignments: [TaskSplit] = [], malformed: String?
        for line in table.split(separator: "\n", omittingEmptySubsequences: true) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 2, let part = TaskSplit(rawValue: String(fields[0])), !fields[1].isEmpty else {
                if malformed == nil { malformed = String(line) }
                continue
            }
            paths.append(String(fields[1])); assignments.append(part)
        }
        self.paths = paths; self.assignments = assignments; self.malformedLine = malformed
    }

    /// SHA-256 of the table's UTF-8 bytes, computed now.
    public var computedChecksum: String { SHA256.hexDigest(table.utf8) }

    /// The paths of the characters in `part`, in table order.
    public func paths(in part: TaskSplit) -> [String] {
        zip(paths, assignments).filter { $0.1 == part }.map(\.0)
    }

    /// Throws unless the table is well formed, names each character once and matches its checksum.
    public func verify() throws {
        if let malformedLine {
            throw OmniglotError(.splitTable, "split \(name): malformed line \"\(malformedLine)\" (expected \"<train|validation|test> <archive>/<alphabet>/<character>\")")
        }
        if Set(paths).count != paths.count {
            throw OmniglotError(.splitTable, "split \(name): a character is listed more than once")
        }
        let actual = computedChecksum
        guard actual == checksum else {
            throw OmniglotError(.splitTable, "split \(name): the table's SHA-256 is \(actual), expected \(checksum) (the shipped table was modified)")
        }
    }
}
