import Foundation
import Testing
import MetaTasks

/// The shipped split needs no data set: it is checked against its recorded checksum and
/// against the checksum `sha256sum` gives for the table text (so the in-repo SHA-256 is
/// checked too).
@Suite struct OmniglotSplitTests {
    /// `sha256sum` of the table as written by scripts/generate-omniglot-split.py.
    static let publishedChecksum = "59328fbe83c5305be0966a88c0c5d155fb6007ab7907e45dfb18fc1cabe13b9d"

    /// The table file in the source tree, which the build compiles into the binary.
    static let tableFile = OmniglotFixture.packageRoot.appendingPathComponent("Sources/MetaTasks/Resources/omniglot-split-v1.txt")

    @Test func v1MatchesItsChecksum() throws {
        let split = OmniglotSplit.v1
        #expect(split.name == "omniglot-split-v1")
        #expect(split.checksum == Self.publishedChecksum)
        #expect(split.computedChecksum == Self.publishedChecksum)
        try split.verify()
    }

    @Test func v1IsTheTableFileByteForByte() throws {
        let file = try #require(FileManager.default.contents(atPath: Self.tableFile.path), "\(Self.tableFile.path) not readable")
        #expect(Array(OmniglotSplit.v1.table.utf8) == Array(file))
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

    @Test func v1StartsAndEndsEachPartWithTheDocumentedCharacters() {
        let split = OmniglotSplit.v1
        let ends = TaskSplit.allCases.map { part in
            let paths = split.paths(in: part)
            return "\(part): \(paths.first ?? "none") … \(paths.last ?? "none")"
        }
        #expect(ends == [
            "train: images_background/Alphabet_of_the_Magi/character01 … images_evaluation/Ge_ez/character12",
            "validation: images_evaluation/Ge_ez/character13 … images_evaluation/Gurmukhi/character41",
            "test: images_evaluation/Gurmukhi/character42 … images_evaluation/ULOG/character26",
        ])
        #expect(split.paths[963] == "images_background/Tifinagh/character55", "the last background character")
        #expect(split.paths[964] == "images_evaluation/Angelic/character01", "the first evaluation character")
    }

    /// The alphabets of each part with their numbers of characters, in table order, as the type's
    /// documentation and the README list them.
    @Test func v1AssignsTheDocumentedAlphabetsToEachPart() {
        let split = OmniglotSplit.v1
        func alphabets(_ part: TaskSplit, in archive: String) -> [String] {
            var counts: [(String, Int)] = []
            for path in split.paths(in: part) where path.hasPrefix(archive + "/") {
                let alphabet = String(path.split(separator: "/")[1])
                if counts.last?.0 == alphabet { counts[counts.count - 1].1 += 1 } else { counts.append((alphabet, 1)) }
            }
            return counts.map { "\($0) \($1)" }
        }
        #expect(alphabets(.train, in: "images_background").count == 30)
        #expect(alphabets(.train, in: "images_evaluation")
                == ["Angelic 20", "Atemayar_Qelisayer 26", "Atlantean 26", "Aurek-Besh 26", "Avesta 26", "Ge_ez 12"])
        #expect(alphabets(.validation, in: "images_background").isEmpty)
        #expect(alphabets(.validation, in: "images_evaluation") == ["Ge_ez 14", "Glagolitic 45", "Gurmukhi 41"])
        #expect(alphabets(.test, in: "images_background").isEmpty)
        #expect(alphabets(.test, in: "images_evaluation") == [
            "Gurmukhi 4", "Kannada 41", "Keble 26", "Malayalam 47", "Manipuri 40", "Mongolian 30",
            "Old_Church_Slavonic_(Cyrillic) 45", "Oriya 46", "Sylheti 28", "Syriac_(Serto) 23", "Tengwar 25", "Tibetan 42", "ULOG 26",
        ])
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

    @Test func aTableWithTheSameLinesInAnotherOrderFailsVerification() {
        let v1 = OmniglotSplit.v1
        var lines = v1.table.split(separator: "\n").map(String.init)
        lines.swapAt(0, 1)
        let reordered = OmniglotSplit(name: v1.name, table: lines.joined(separator: "\n") + "\n", checksum: v1.checksum)
        #expect(Set(reordered.paths) == Set(v1.paths), "the same characters, each in the same part")
        let error = #expect(throws: OmniglotError.self) { try reordered.verify() }
        #expect(error?.kind == .splitTable)
        #expect(error?.description.contains("expected \(v1.checksum)") == true)
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
