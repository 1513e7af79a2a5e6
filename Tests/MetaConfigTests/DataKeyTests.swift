import Testing
import MetaAlgorithms
import MetaConfig

/// A configuration names its data by content (`data_sha256`), never by folder: the folder is
/// each process's own setting, so it can enter neither the job nor its hash.
@Suite struct DataKeyTests {
    static let digest = "8745d3284205c70953ebeacd9061b7dfdadc5961afab7b71a1553c9aa5bcb1af"

    @Test(arguments: ["omniglot-5w1s-maml", "omniglot-5w1s-protonet", "omniglot-5class-mann"])
    func presetsNameNoDataFolder(_ name: String) {
        let yaml = ConfigFile.yaml(RunConfiguration.presets[name]!)
        #expect(!yaml.contains("  data:"), "\(yaml)")
    }

    @Test(arguments: ["tasks", "evaluation_tasks"])
    func aDataFolderKeyIsRefusedSayingWhatToSetInstead(_ section: String) {
        let error = #expect(throws: ConfigError.self) {
            try ConfigFile.parse("preset: omniglot-5w1s-maml\n\(section): {data: /srv/omniglot}")
        }
        #expect(error?.description == "config key '\(section).data': the data folder is each process's own setting, not part of the run; "
                + "remove the key and set METATRAIN_OMNIGLOT_DIR (default: data/omniglot under the working directory)")
    }

    @Test func aPinnedDigestAppliesWhereItIsWrittenAndIsWrittenBack() throws {
        let c = try ConfigFile.parse("preset: omniglot-5w1s-protonet\ntasks: {data_sha256: \(Self.digest)}")
        #expect(c.family.spec.dataDigest == Self.digest)
        #expect(c.evaluationFamily?.spec.dataDigest == nil)
        let yaml = ConfigFile.yaml(c)
        #expect(yaml.components(separatedBy: "  data_sha256: \"\(Self.digest)\"").count == 2, "\(yaml)")
        #expect(try ConfigFile.parse(yaml) == c)
        #expect(c != RunConfiguration.presets["omniglot-5w1s-protonet"]!)

        var both = c
        both.evaluationFamily = c.evaluationFamily?.pinned(toData: Self.digest)
        #expect(try ConfigFile.parse(ConfigFile.yaml(both)) == both)
    }

    @Test func pinningChangesOnlyTheDigestAndFamiliesWithoutDataIgnoreIt() {
        let preset = RunConfiguration.presets["omniglot-5w1s-maml"]!
        let pinned = preset.family.pinned(toData: Self.digest)
        #expect(pinned.spec.dataDigest == Self.digest)
        #expect(pinned.integer("ways") == 5 && pinned.integer("queries") == 1)
        let sine = RunConfiguration.presets["sine-maml"]!.family
        #expect(sine.pinned(toData: Self.digest) == sine)
        #expect(sine.spec.dataDigest == nil)
    }

    @Test(arguments: ["abc", String(repeating: "G", count: 64), String(repeating: "A", count: 64)])
    func aMalformedDigestIsRefused(_ value: String) {
        let error = #expect(throws: ConfigError.self) { try ConfigFile.parse("preset: omniglot-5w1s-maml\ntasks: {data_sha256: \(value)}") }
        #expect(error?.description.hasPrefix("config key 'tasks.data_sha256': expected the data's SHA-256 content digest") == true)
    }
}
