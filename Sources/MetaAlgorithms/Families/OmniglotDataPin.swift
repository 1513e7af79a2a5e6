import MetaTasks

/// How the Omniglot task families name their data in a configuration: by content, never by
/// folder.
///
/// The folder is each process's own setting (``OmniglotDataset/localDirectory``:
/// `METATRAIN_OMNIGLOT_DIR`, else `data/omniglot`), so a coordinator and workers whose archives
/// sit at different paths run the same job. What a run records instead is the data's content
/// digest, `data_sha256` (``OmniglotDataset/contentDigest``): the trainer pins it once the data
/// is loaded, so it is part of the job a coordinator sends, of its hash and of every checkpoint,
/// and a process whose data has another digest stops with one line naming both. A
/// configuration file may pin it too; `data:` (a folder) is refused with what to use instead.
enum OmniglotDataPin {
    /// The configuration key of the pinned digest.
    static let key = "data_sha256"
    /// The key that once named a folder; refused.
    static let folderKey = "data"

    /// The digest pinned in `section`; refuses a `data` key and anything but 64 lowercase
    /// hexadecimal digits. Never carried over from a base (`evaluation_tasks:` over `tasks:`),
    /// so that a configuration written out reads back to the same pins.
    static func read(_ section: any ConfigSection) throws -> String? {
        if section.contains(folderKey) {
            throw ConfigurationProblem("config key '\(section.path)\(folderKey)': the data folder is each process's own setting, not part "
                                       + "of the run; remove the key and set \(OmniglotDataset.environmentVariable) (default: "
                                       + "\(OmniglotDataset.defaultDirectory) under the working directory)")
        }
        guard let digest = try section.string(key) else { return nil }
        guard digest.count == 64, digest.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            throw ConfigurationProblem("config key '\(section.path)\(key)': expected the data's SHA-256 content digest, 64 lowercase "
                                       + "hexadecimal digits (\(OmniglotDataset.officialContentDigest) for the official archives)")
        }
        return digest
    }

    /// The entry written back for `digest`: none when nothing is pinned.
    static func entries(_ digest: String?) -> [(key: String, value: ConfigValue)] {
        digest.map { [(key, .string($0))] } ?? []
    }

    /// The data set in this process's folder, checked against `digest` when one is pinned.
    /// - Throws: ``OmniglotError`` when the data is missing or damaged, or has another digest.
    static func dataset(pinned digest: String?) throws -> OmniglotDataset {
        let dataset = try OmniglotDataset.shared(directory: OmniglotDataset.localDirectory)
        try dataset.checkContent(digest)
        return dataset
    }
}
