import Foundation
import Testing
import MetaTasks

@Suite struct ZipArchiveTests {
    static let stored: [UInt8] = Array("hello, zip\n".utf8)
    static let compressible: [UInt8] = (0..<600).map { UInt8(($0 * 7 / 13) % 251) }
    static let sample = ZipBuilder(items: [
        .init(name: "a.txt", contents: stored, deflate: false),
        .init(name: "dir/", contents: [], deflate: false),
        .init(name: "dir/b.bin", contents: compressible, deflate: true),
    ])
    static let original: [String: [UInt8]] = ["a.txt": stored, "dir/": [], "dir/b.bin": compressible]

    @Test func readsStoredAndDeflateEntries() throws {
        let bytes = Self.sample.bytes()
        let zip = try ZipArchive(bytes: bytes, name: "sample.zip")
        #expect(zip.entries.map(\.name) == ["a.txt", "dir/", "dir/b.bin"])
        #expect(zip.entries.map(\.method) == [0, 0, 8])
        #expect(zip.entries.map(\.isDirectory) == [false, true, false])
        let b = try #require(zip.entry(named: "dir/b.bin"))
        #expect(b.compressedSize < b.uncompressedSize)  // really deflated
        for entry in zip.entries { #expect(try zip.contents(of: entry) == Self.original[entry.name]) }
    }

    @Test func readsFromDiskAndAcceptsAComment() throws {
        var builder = Self.sample
        builder.comment = Array("a comment with PK\u{5}\u{6} inside".utf8)
        let dir = try OmniglotFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("c.zip").path
        try Data(builder.bytes()).write(to: URL(fileURLWithPath: path))
        let zip = try ZipArchive(path: path)
        #expect(zip.name == path)
        #expect(try zip.contents(of: zip.entries[2]) == Self.compressible)
    }

    @Test func missingFileThrows() {
        #expect(throws: ZipArchiveError.self) { try ZipArchive(path: "/nonexistent/metatrain/x.zip") }
    }

    @Test func everyTruncationThrows() {
        let bytes = Self.sample.bytes()
        for length in 0..<bytes.count {
            #expect(throws: ZipArchiveError.self, "prefix of \(length) bytes") {
                try ZipArchive(bytes: Array(bytes.prefix(length)), name: "cut.zip")
            }
        }
    }

    /// Flipping any byte either throws (on opening or on reading an entry) or leaves every
    /// entry's name and contents intact (fields the reader does not use): never wrong data,
    /// never a crash.
    @Test(arguments: [UInt8(0x01), 0x80, 0xFF])
    func everyByteFlipThrowsOrReadsTheOriginal(mask: UInt8) {
        let bytes = Self.sample.bytes()
        var thrown = 0
        for position in 0..<bytes.count {
            var damaged = bytes
            damaged[position] ^= mask
            guard let zip = try? ZipArchive(bytes: damaged, name: "flip.zip") else { thrown += 1; continue }
            for entry in zip.entries {
                do {
                    let contents = try zip.contents(of: entry)
                    #expect(Self.original[entry.name] == contents, "flip at \(position) gave wrong data for \(entry.name)")
                } catch {
                    #expect(error is ZipArchiveError)
                    thrown += 1
                }
            }
        }
        #expect(thrown > bytes.count / 2)
    }

    @Test func badSignatureIsNamed() throws {
        var bytes = Self.sample.bytes()
        bytes[0] = 0x50; bytes[1] = 0x50  // local header of a.txt
        let zip = try ZipArchive(bytes: bytes, name: "sig.zip")
        let error = try #require(throws: ZipArchiveError.self) { try zip.contents(of: zip.entries[0]) }
        #expect(error.kind == .badSignature)
        #expect(error.description.hasPrefix("sig.zip: entry a.txt: "))
        #expect(throws: ZipArchiveError.self) { try ZipArchive(bytes: Array(repeating: 0x41, count: 100), name: "text.zip") }
    }

    @Test func offsetsOutOfRangeThrow() throws {
        var bytes = Self.sample.bytes()
        let eocd = bytes.count - 22
        bytes.replaceSubrange((eocd + 16)..<(eocd + 20), with: le32(UInt32(bytes.count + 1000)))
        let error = try #require(throws: ZipArchiveError.self) { try ZipArchive(bytes: bytes, name: "far.zip") }
        #expect(error.kind == .outOfRange)
    }

    @Test func crcMismatchIsDetected() throws {
        var bytes = Self.sample.bytes()
        bytes[30 + 5] ^= 0x20  // first data byte of a.txt: "hello" → "Hello"
        let zip = try ZipArchive(bytes: bytes, name: "crc.zip")
        let error = try #require(throws: ZipArchiveError.self) { try zip.contents(of: zip.entries[0]) }
        #expect(error.kind == .crcMismatch)
        #expect(error.entry == "a.txt")
        #expect(error.description.contains("CRC-32 mismatch"))
    }

    @Test func unsupportedMethodIsRejected() throws {
        let zip = try ZipArchive(bytes: Self.sample.bytes(method: 12), name: "bzip2.zip")
        let error = try #require(throws: ZipArchiveError.self) { try zip.contents(of: zip.entries[0]) }
        #expect(error.kind == .unsupported)
        #expect(error.description.contains("compression method 12"))
    }

    @Test func zip64IsRejectedClearly() throws {
        var bytes = Self.sample.bytes()
        let eocd = bytes.count - 22
        bytes.replaceSubrange((eocd + 10)..<(eocd + 12), with: le16Bytes(0xFFFF))
        bytes.replaceSubrange((eocd + 8)..<(eocd + 10), with: le16Bytes(0xFFFF))
        let error = try #require(throws: ZipArchiveError.self) { try ZipArchive(bytes: bytes, name: "z64.zip") }
        #expect(error.kind == .unsupported)
        #expect(error.description.contains("zip64"))
    }

    @Test func corruptDeflateDataThrows() throws {
        var bytes = Self.sample.bytes()
        let zip = try ZipArchive(bytes: bytes, name: "ok.zip")
        let b = zip.entries[2]
        let start = b.localHeaderOffset + 30 + "dir/b.bin".utf8.count
        for i in start..<(start + b.compressedSize) { bytes[i] = 0xFF }
        let damaged = try ZipArchive(bytes: bytes, name: "bad.zip")
        let error = try #require(throws: ZipArchiveError.self) { try damaged.contents(of: damaged.entries[2]) }
        #expect(error.entry == "dir/b.bin")
    }

    private func le16Bytes(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
    private func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * UInt32($0))) & 0xff) } }
}
