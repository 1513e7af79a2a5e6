import Foundation
import Testing
import MetaTasks

/// The shipped split needs no data set: it is checked against its recorded checksum and
/// against the checksum `sha256sum` gives for the table text (so the in-repo SHA-256 is
/// checked too).
@Suite struct OmniglotSplitTests {
    /// `sha256sum` of the table as written by scripts/generate-omniglot-split.py.
    static let publishedChecksum = "59328fbe83c5305be0966a88c0c5d155fb6007ab7907e45dfb18fc1cabe13b9d"

    @Test func v1MatchesItsChecksum() throws {
        let split = OmniglotSplit.v1
        #expect(split.name == "omniglot-split-v1")
        #expect(split.checksum == Self.publishedChecksum)
        #expect(split.computedChecksum == Self.publishedChecksum)
        try split.verify()
    }

    @Test func v1HasTheVinyalsAndMAMLSizes() {
        let split = OmniglotSplit.v1
        #expect(split.paths.count == 1623)
        #expect(split.paths(in: .train).count == 1100)
        #expect(split.paths(in: .validation).count == 100)
        #expect(split.paths(in: .test).count == 423)
        #expect(Set(split.paths).count == 1623)
        // Train first, then validation, then test, in (archive, alphabet, character) order.
        #expect(split.assignments == Array(repeating: .train, count: 1100) + Array(repeating: .validation, count: 100)
                + Array(repeating: .test, count: 423))
        let keys = split.paths.map { Array($0.utf8) }
        #expect(zip(keys, keys.dropFirst()).allSatisfy { $0.lexicographicallyPrecedes($1) })
        #expect(split.paths(in: .test).allSatisfy { $0.hasPrefix("images_evaluation/") })
        #expect(split.paths(in: .validation).allSatisfy { $0.hasPrefix("images_evaluation/") })
        #expect(split.paths(in: .train).filter { $0.hasPrefix("images_background/") }.count == 964)
        #expect(split.paths(in: .test).first == "images_evaluation/Gurmukhi/character42")
        #expect(split.paths(in: .validation).first == "images_evaluation/Ge_ez/character13")
    }

    @Test func anEditedTableFailsVerification() {
        let v1 = OmniglotSplit.v1
        let edited = OmniglotSplit(name: v1.name, table: v1.table.replacingFirst("train ", with: "test "), checksum: v1.checksum)
        let error = #expect(throws: OmniglotError.self) { try edited.verify() }
        #expect(error?.kind == .splitTable)
        #expect(error?.description.contains("SHA-256") == true)

        let malformed = OmniglotSplit(name: "x", table: "train a/b/c\nbogus line here\n", checksum: "")
        let error2 = #expect(throws: OmniglotError.self) { try malformed.verify() }
        #expect(error2?.description.contains("malformed line \"bogus line here\"") == true)
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
