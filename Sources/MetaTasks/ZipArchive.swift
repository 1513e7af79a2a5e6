import Foundation
import CZlib

/// A read-only zip archive held in memory: the entries listed by its central directory and
/// their contents, decompressed on request.
///
/// Contract:
/// - Reads the end-of-central-directory record (searched backwards over the optional
///   comment), the central directory and each entry's local header. Entries are listed in
///   central-directory order; directory entries (names ending in `/`) are listed too.
/// - Supports the methods *stored* (0) and *deflate* (8, inflated with zlib's raw inflate).
///   The contents of every entry read are checked against the size and CRC-32 recorded in
///   the central directory.
/// - Rejects, with a ``ZipArchiveError`` that names the archive and (where it applies) the
///   entry: truncated data, bad signatures, offsets or sizes outside the file, inconsistent
///   counts, CRC mismatches, other compression methods, encrypted entries, multi-disk
///   archives and zip64 archives. Malformed input never traps and never allocates more than
///   a bounded multiple of the archive's size.
public struct ZipArchive: Sendable {
    /// One file or folder of the archive, as described by its central-directory record.
    public struct Entry: Sendable, Hashable {
        /// The path inside the archive, `/`-separated (decoded as UTF-8).
        public let name: String
        /// 0 (stored) or 8 (deflate).
        public let method: UInt16
        public let crc32: UInt32
        public let compressedSize: Int
        public let uncompressedSize: Int
        /// Offset of the entry's local header from the start of the archive.
        public let localHeaderOffset: Int
        /// Whether the name ends in `/` (a folder entry, no contents).
        public var isDirectory: Bool { name.hasSuffix("/") }
        let nameBytes: [UInt8]
    }

    /// The name used in error messages (the file's path when read from disk).
    public let name: String
    /// The entries in central-directory order.
    public let entries: [Entry]
    private let bytes: [UInt8]

    /// Reads and parses the zip file at `path`.
    public init(path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw ZipArchiveError(.unreadable, archive: path, "cannot read the file (\(error.localizedDescription))")
        }
        try self.init(bytes: [UInt8](data), name: path)
    }

    /// Parses an archive held in memory; `name` identifies it in error messages.
    public init(bytes: [UInt8], name: String) throws {
        self.bytes = bytes
        self.name = name
        self.entries = try Self.readCentralDirectory(bytes, archive: name)
    }

    /// The first entry called `name`, if any.
    public func entry(named name: String) -> Entry? { entries.first { $0.name == name } }

    /// The decompressed, CRC-checked contents of `entry` (which must come from this archive).
    public func contents(of entry: Entry) throws -> [UInt8] {
        let fail = { (kind: ZipArchiveError.Kind, message: String) in
            ZipArchiveError(kind, archive: self.name, entry: entry.name, message)
        }
        let start = try dataOffset(of: entry)
        guard entry.compressedSize <= bytes.count - start else {
            throw fail(.truncated, "compressed data (\(entry.compressedSize) bytes at offset \(start)) runs past the end of the archive (\(bytes.count) bytes)")
        }
        let output: [UInt8]
        switch entry.method {
        case 0:
            guard entry.compressedSize == entry.uncompressedSize else {
                throw fail(.inconsistent, "stored entry has compressed size \(entry.compressedSize) but uncompressed size \(entry.uncompressedSize)")
            }
            output = Array(bytes[start..<(start + entry.compressedSize)])
        case 8:
            output = try bytes.withUnsafeBufferPointer { buffer in
                try Self.inflate(UnsafeBufferPointer(rebasing: buffer[start..<(start + entry.compressedSize)]),
                                 expectedSize: entry.uncompressedSize, fail: fail)
            }
        default:
            throw fail(.unsupported, "compression method \(entry.method) is not supported (only 0 stored and 8 deflate)")
        }
        let crc = Self.crc32(output)
        guard crc == entry.crc32 else {
            throw fail(.crcMismatch, "CRC-32 mismatch: the central directory records \(hex(entry.crc32)), the data gives \(hex(crc))")
        }
        return output
    }

    // MARK: - Parsing

    private static let eocdSignature: UInt32 = 0x0605_4b50
    private static let zip64LocatorSignature: UInt32 = 0x0706_4b50
    private static let centralSignature: UInt32 = 0x0201_4b50
    private static let localSignature: UInt32 = 0x0403_4b50

    private static func readCentralDirectory(_ b: [UInt8], archive: String) throws -> [Entry] {
        func fail(_ kind: ZipArchiveError.Kind, _ message: String) -> ZipArchiveError {
            ZipArchiveError(kind, archive: archive, message)
        }
        guard b.count >= 22 else {
            throw fail(.truncated, "\(b.count) bytes is too short for a zip archive (no end-of-central-directory record)")
        }
        // The record is 22 bytes followed by a comment of at most 65,535 bytes; it must end the file.
        var eocd = -1
        let lowest = max(0, b.count - 22 - 0xFFFF)
        var candidate = b.count - 22
        while candidate >= lowest {
            if u32(b, candidate) == eocdSignature && candidate + 22 + Int(u16(b, candidate + 20)) == b.count {
                eocd = candidate; break
            }
            candidate -= 1
        }
        guard eocd >= 0 else {
            throw fail(.badSignature, "no end-of-central-directory record at the end of the file (not a zip archive, or truncated)")
        }
        let disk = u16(b, eocd + 4), cdDisk = u16(b, eocd + 6)
        let entriesOnDisk = u16(b, eocd + 8), totalEntries = u16(b, eocd + 10)
        let cdSize = u32(b, eocd + 12), cdOffset = u32(b, eocd + 16)
        if totalEntries == 0xFFFF || entriesOnDisk == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF
            || (eocd >= 20 && u32(b, eocd - 20) == zip64LocatorSignature) {
            throw fail(.unsupported, "zip64 archives are not supported")
        }
        guard disk == 0 && cdDisk == 0 && entriesOnDisk == totalEntries else {
            throw fail(.unsupported, "multi-disk (split) archives are not supported")
        }
        let count = Int(totalEntries), cdStart = Int(cdOffset), cdLength = Int(cdSize)
        guard cdStart <= eocd && cdLength <= eocd - cdStart else {
            throw fail(.outOfRange, "the central directory (offset \(cdStart), \(cdLength) bytes) lies outside the archive's \(eocd) bytes before its end record")
        }
        var entries: [Entry] = []
        entries.reserveCapacity(count)
        var p = cdStart
        let end = cdStart + cdLength
        for index in 0..<count {
            guard end - p >= 46 else {
                throw fail(.truncated, "central-directory record \(index + 1) of \(count) is cut off at offset \(p)")
            }
            guard u32(b, p) == centralSignature else {
                throw fail(.badSignature, "bad signature for central-directory record \(index + 1) of \(count) at offset \(p)")
            }
            let flags = u16(b, p + 8), method = u16(b, p + 10)
            let crc = u32(b, p + 16), csize = u32(b, p + 20), usize = u32(b, p + 24)
            let nameLength = Int(u16(b, p + 28)), extraLength = Int(u16(b, p + 30)), commentLength = Int(u16(b, p + 32))
            let startDisk = u16(b, p + 34), localOffset = u32(b, p + 42)
            let recordLength = 46 + nameLength + extraLength + commentLength
            guard end - p >= recordLength else {
                throw fail(.truncated, "central-directory record \(index + 1) of \(count) at offset \(p) runs past the central directory")
            }
            let nameBytes = Array(b[(p + 46)..<(p + 46 + nameLength)])
            let name = String(decoding: nameBytes, as: UTF8.self)
            func entryFail(_ kind: ZipArchiveError.Kind, _ message: String) -> ZipArchiveError {
                ZipArchiveError(kind, archive: archive, entry: name, message)
            }
            if csize == 0xFFFF_FFFF || usize == 0xFFFF_FFFF || localOffset == 0xFFFF_FFFF || startDisk == 0xFFFF {
                throw entryFail(.unsupported, "zip64 entries are not supported")
            }
            guard startDisk == 0 else { throw entryFail(.unsupported, "entry starts on disk \(startDisk) (multi-disk archives are not supported)") }
            guard flags & 0x1 == 0 else { throw entryFail(.unsupported, "encrypted entries are not supported") }
            guard Int(localOffset) < cdStart else {
                throw entryFail(.outOfRange, "local header offset \(localOffset) is not before the central directory (offset \(cdStart))")
            }
            // Deflate expands at most ~1032:1; a larger claim is a corrupt header, not data.
            guard Int(usize) <= Int(csize) &* 1032 &+ 64 else {
                throw entryFail(.inconsistent, "uncompressed size \(usize) is impossible for \(csize) compressed bytes")
            }
            entries.append(Entry(name: name, method: method, crc32: crc, compressedSize: Int(csize),
                                 uncompressedSize: Int(usize), localHeaderOffset: Int(localOffset),
                                 nameBytes: nameBytes))
            p += recordLength
        }
        guard p == end else {
            throw fail(.inconsistent, "the central directory holds \(p - cdStart) bytes of records for \(count) entries, but its size is recorded as \(cdLength)")
        }
        return entries
    }

    /// Validates the local header of `entry` and returns the offset of its data.
    private func dataOffset(of entry: Entry) throws -> Int {
        func fail(_ kind: ZipArchiveError.Kind, _ message: String) -> ZipArchiveError {
            ZipArchiveError(kind, archive: name, entry: entry.name, message)
        }
        let p = entry.localHeaderOffset
        guard p >= 0, p <= bytes.count - 30 else {
            throw fail(.outOfRange, "local header offset \(p) is outside the archive (\(bytes.count) bytes)")
        }
        guard Self.u32(bytes, p) == Self.localSignature else {
            throw fail(.badSignature, "bad local header signature at offset \(p)")
        }
        let method = Self.u16(bytes, p + 8)
        let nameLength = Int(Self.u16(bytes, p + 26)), extraLength = Int(Self.u16(bytes, p + 28))
        guard method == entry.method else {
            throw fail(.inconsistent, "local header says method \(method), the central directory says \(entry.method)")
        }
        let start = p + 30 + nameLength + extraLength
        guard start <= bytes.count else {
            throw fail(.truncated, "local header at offset \(p) runs past the end of the archive")
        }
        guard bytes[(p + 30)..<(p + 30 + nameLength)].elementsEqual(entry.nameBytes) else {
            throw fail(.inconsistent, "local header name differs from the central directory's")
        }
        return start
    }

    // MARK: - zlib

    /// Raw-inflates `input` into exactly `expectedSize` bytes.
    private static func inflate(_ input: UnsafeBufferPointer<UInt8>, expectedSize: Int,
                                fail: (ZipArchiveError.Kind, String) -> ZipArchiveError) throws -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw fail(.corruptData, "zlib could not initialise inflate")
        }
        defer { inflateEnd(&stream) }
        // One spare byte reveals data that inflates to more than the recorded size.
        var output = [UInt8](repeating: 0, count: expectedSize + 1)
        let status: Int32 = output.withUnsafeMutableBufferPointer { out in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = uInt(input.count)
            stream.next_out = out.baseAddress
            stream.avail_out = uInt(out.count)
            return CZlib.inflate(&stream, Z_FINISH)
        }
        let produced = Int(stream.total_out)
        switch status {
        case Z_STREAM_END where produced == expectedSize:
            output.removeLast()
            return output
        case Z_STREAM_END:
            throw fail(.inconsistent, "inflates to \(produced) bytes, the central directory records \(expectedSize)")
        case Z_BUF_ERROR where stream.avail_out == 0:
            throw fail(.inconsistent, "inflates to more than the \(expectedSize) bytes the central directory records")
        case Z_BUF_ERROR:
            throw fail(.truncated, "deflate stream ends early (after \(produced) of \(expectedSize) bytes)")
        default:
            let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
            throw fail(.corruptData, "corrupt deflate data: \(message)")
        }
    }

    /// zlib's CRC-32 of `data`.
    static func crc32(_ data: [UInt8]) -> UInt32 {
        data.withUnsafeBufferPointer { buffer in
            var crc = CZlib.crc32(0, nil, 0)
            var offset = 0
            while offset < buffer.count {
                let n = min(buffer.count - offset, 1 << 30)
                crc = CZlib.crc32(crc, buffer.baseAddress! + offset, uInt(n))
                offset += n
            }
            return UInt32(truncatingIfNeeded: crc)
        }
    }

    // MARK: - Little-endian fields (callers check bounds first)

    private static func u16(_ b: [UInt8], _ i: Int) -> UInt16 { UInt16(b[i]) | UInt16(b[i + 1]) << 8 }
    private static func u32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }
}

private func hex(_ v: UInt32) -> String {
    let digits = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}
