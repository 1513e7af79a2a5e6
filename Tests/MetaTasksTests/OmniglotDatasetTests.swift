import Foundation
import Testing
import MetaTasks

/// Errors that need no data set.
@Suite struct OmniglotDatasetErrorTests {
    @Test func missingDirectoryGivesOneClearError() throws {
        let error = try #require(throws: OmniglotError.self) { try OmniglotDataset(directory: "/nonexistent/omniglot") }
        #expect(error.kind == .missingArchive)
        #expect(error.description == "Omniglot: expected images_background.zip or an images_background/ folder in /nonexistent/omniglot (the official Omniglot archives)")
    }

    @Test func damagedArchiveNamesTheArchive() throws {
        let dir = try OmniglotFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("this is not a zip file".utf8).write(to: dir.appendingPathComponent("images_background.zip"))
        let error = try #require(throws: OmniglotError.self) { try OmniglotDataset(directory: dir.path) }
        #expect(error.kind == .damagedArchive)
        #expect(error.description.contains("\(dir.path)/images_background.zip is damaged"))
    }
}

/// Tests on the real archives. They are skipped (with this message) when the data set is
/// absent: set METATRAIN_OMNIGLOT_DIR or place the archives at ../shared/datasets/omniglot.
@Suite(.enabled(if: OmniglotFixture.available, OmniglotFixture.skipMessage))
struct OmniglotDatasetTests {
    @Test func loadsEveryCharacterAndImage() throws {
        let data = try OmniglotFixture.dataset()
        print("Omniglot: loaded \(data.imageCount) images of \(data.characters.count) characters from \(data.directory) in \(String(format: "%.3f", data.loadSeconds)) s")
        #expect(data.characters.count == 1623)
        #expect(data.imageCount == 32460)
        #expect(data.characters.map(\.path) == OmniglotSplit.v1.paths)
        #expect(Set(data.characters.map(\.id)) == Set(1...1623))
        #expect(data.characters.filter { $0.archive == "images_background" }.count == 964)
        #expect(Set(data.characters.map(\.alphabet)).count == 50)
        #expect(data.split == OmniglotSplit.v1)
    }

    /// The stored images are ``OmniglotDataset/inkImage(_:side:)`` of the archives' PNGs: the
    /// one conversion `metatrain adapt` applies to a user's images.
    @Test func storedImagesAreInkImagesOfTheArchivesDrawings() throws {
        let data = try OmniglotFixture.dataset()
        let archives = try Dictionary(uniqueKeysWithValues: OmniglotDataset.archives.map {
            ($0, try ZipArchive(path: data.directory + "/" + $0 + ".zip"))
        })
        for character in stride(from: 0, to: data.characters.count, by: 97) {
            let c = data.characters[character]
            for drawing in [0, 7, 19] {
                let archive = try #require(archives[c.archive])
                let entry = try #require(archive.entry(named: "\(c.path)/" + String(format: "%04d_%02d.png", c.id, drawing + 1)))
                let image = try PNGDecoder.decodeGray(try archive.contents(of: entry))
                #expect(OmniglotDataset.inkImage(image) == data.image(character: character, drawing: drawing), "\(c.path) \(drawing)")
            }
        }
    }

    @Test func splitSizesAndMembership() throws {
        let data = try OmniglotFixture.dataset()
        let train = data.characterIndices(in: .train), validation = data.characterIndices(in: .validation)
        let test = data.characterIndices(in: .test)
        #expect((train.count, validation.count, test.count) == (1100, 100, 423))
        #expect(Set(train).isDisjoint(with: test) && Set(train).isDisjoint(with: validation) && Set(validation).isDisjoint(with: test))
        #expect(test.allSatisfy { data.characters[$0].archive == "images_evaluation" })
        #expect(data.split.computedChecksum == OmniglotSplitTests.publishedChecksum)
    }

    /// The stored images are ink-high: background 0, strokes up to 255, about 10–20% ink.
    @Test func imagesAreInvertedWithInkHigh() throws {
        let data = try OmniglotFixture.dataset()
        var total = 0.0, blankCorners = 0, full = 0
        for c in stride(from: 0, to: data.characters.count, by: 7) {
            for d in [0, 19] {
                let image = data.image(character: c, drawing: d)
                #expect(image.count == 784)
                total += image.reduce(0.0) { $0 + Double($1) / 255 } / 784
                if image[0] == 0 && image[27] == 0 && image[783 - 27] == 0 && image[783] == 0 { blankCorners += 1 }
                full += image.filter { $0 == 255 }.count
            }
        }
        let samples = Double((data.characters.count + 6) / 7 * 2)
        let meanInk = total / samples
        #expect(meanInk > 0.05 && meanInk < 0.3, "mean ink \(meanInk)")
        #expect(Double(blankCorners) > 0.95 * samples)
        #expect(full > 0)
    }

    /// One image against an independent computation: decode the PNG, invert, average each
    /// 3.75×3.75 source area in Double.
    @Test func resizeIsExactAreaAveraging() throws {
        let data = try OmniglotFixture.dataset()
        let zip = try ZipArchive(path: OmniglotFixture.directory + "/images_evaluation.zip")
        for (c, d) in [(1200, 0), (1622, 19), (1400, 7)] {
            let ch = data.characters[c]
            let entry = try #require(zip.entry(named: "\(ch.path)/\(String(format: "%04d", ch.id))_\(String(format: "%02d", d + 1)).png"))
            let gray = try PNGDecoder.decodeGray(zip.contents(of: entry))
            #expect(gray.width == 105 && gray.height == 105)
            #expect(data.image(character: c, drawing: d) == referenceResize(gray.pixels), "\(ch.path) drawing \(d)")
        }
    }

    @Test func missingSecondArchiveIsNamed() throws {
        let dir = try OmniglotFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/images_background.zip",
                                                   withDestinationPath: OmniglotFixture.directory + "/images_background.zip")
        let error = try #require(throws: OmniglotError.self) { try OmniglotDataset(directory: dir.path) }
        #expect(error.description == "Omniglot: expected images_evaluation.zip or an images_evaluation/ folder in \(dir.path) (the official Omniglot archives)")
    }

    @Test func damagedEntryNamesTheArchiveAndTheEntry() throws {
        let dir = try OmniglotFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: OmniglotFixture.directory + "/images_evaluation.zip")))
        let zip = try ZipArchive(bytes: bytes, name: "x")
        let victim = try #require(zip.entries.first { $0.name.hasSuffix(".png") })
        bytes[victim.localHeaderOffset + 30 + victim.name.utf8.count + victim.compressedSize / 2] ^= 0x5A
        try Data(bytes).write(to: dir.appendingPathComponent("images_evaluation.zip"))
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/images_background.zip",
                                                   withDestinationPath: OmniglotFixture.directory + "/images_background.zip")
        let error = try #require(throws: OmniglotError.self) { try OmniglotDataset(directory: dir.path) }
        #expect(error.kind == .damagedArchive)
        #expect(error.description.contains("images_evaluation.zip is damaged: entry \(victim.name): "))
    }

    /// Unzipped folders give the same pixels as the zips. (Two alphabets only, under a
    /// split of their own, to keep the test short: writing 32,460 files takes long.)
    @Test func unzippedFoldersGiveTheSameData() throws {
        let data = try OmniglotFixture.dataset()
        let dir = try OmniglotFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let alphabets = ["images_background/Alphabet_of_the_Magi/", "images_evaluation/ULOG/"]
        for archive in OmniglotDataset.archives {
            let zip = try ZipArchive(path: OmniglotFixture.directory + "/\(archive).zip")
            var made = Set<String>()
            for entry in zip.entries where !entry.isDirectory && alphabets.contains(where: { entry.name.hasPrefix($0) }) {
                let url = dir.appendingPathComponent(entry.name)
                let folder = url.deletingLastPathComponent()
                if made.insert(folder.path).inserted { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
                try writeFile(url.path, zip.contents(of: entry))
            }
        }
        let chosen = data.characters.indices.filter { c in alphabets.contains { data.characters[c].path.hasPrefix($0) } }
        let table = chosen.map { "\(data.characters[$0].archive == "images_background" ? "train" : "test") \(data.characters[$0].path)\n" }.joined()
        let split = OmniglotSplit(name: "two-alphabets", table: table,
                                  checksum: OmniglotSplit(name: "", table: table, checksum: "").computedChecksum)
        let folders = try OmniglotDataset(directory: dir.path, split: split)
        #expect(folders.characters == chosen.map { data.characters[$0] })
        #expect(folders.characters.count == 20 + 26)
        var mismatches = 0
        for (i, c) in chosen.enumerated() {
            for d in 0..<20 where folders.image(character: i, drawing: d) != data.image(character: c, drawing: d) { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    /// The official downloads are deflate-compressed (with folder entries); the stored
    /// archives here are rewritten that way and must give the same pixels.
    @Test func deflatedArchiveGivesTheSameData() throws {
        let data = try OmniglotFixture.dataset()
        let dir = try OmniglotFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/images_background.zip",
                                                   withDestinationPath: OmniglotFixture.directory + "/images_background.zip")
        let source = try ZipArchive(path: OmniglotFixture.directory + "/images_evaluation.zip")
        var builder = ZipBuilder()
        var folders = Set<String>()
        for entry in source.entries where !entry.isDirectory {
            var folder = ""
            for part in entry.name.split(separator: "/").dropLast() {
                folder += part + "/"
                if folders.insert(folder).inserted { builder.items.append(.init(name: folder, contents: [], deflate: false)) }
            }
            builder.items.append(.init(name: entry.name, contents: try source.contents(of: entry), deflate: true))
        }
        try Data(builder.bytes()).write(to: dir.appendingPathComponent("images_evaluation.zip"))
        let deflated = try ZipArchive(path: dir.path + "/images_evaluation.zip")
        #expect(deflated.entries.filter { $0.method == 8 }.count == 13180)
        let loaded = try OmniglotDataset(directory: dir.path)
        print("Omniglot: loaded with a deflate-compressed images_evaluation.zip in \(String(format: "%.3f", loaded.loadSeconds)) s")
        var mismatches = 0
        for c in data.characterIndices(in: .test) {
            for d in 0..<20 where loaded.image(character: c, drawing: d) != data.image(character: c, drawing: d) { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }
}
