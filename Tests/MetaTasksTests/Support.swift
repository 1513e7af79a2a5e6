import Foundation
import Testing
import CZlib
import MetaTasks

/// Where the Omniglot archives are: `$METATRAIN_OMNIGLOT_DIR`, or `../shared/datasets/omniglot`
/// relative to the package root (found from this file's path).
enum OmniglotFixture {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let directory = OmniglotDataset.directory(
        default: packageRoot.appendingPathComponent("../shared/datasets/omniglot").standardizedFileURL.path)

    /// Whether both archives (zip or folder) are present; tests that need the data are skipped otherwise.
    static let available: Bool = OmniglotDataset.archives.allSatisfy { archive in
        let fm = FileManager.default
        return fm.fileExists(atPath: directory + "/" + archive + ".zip") || fm.fileExists(atPath: directory + "/" + archive)
    }

    /// Why the tests that need the data are skipped when it is absent.
    static let skipMessage: Comment = """
        Omniglot archives not found in \(directory): expected images_background.zip and \
        images_evaluation.zip (or their unzipped folders); set METATRAIN_OMNIGLOT_DIR to their directory
        """

    /// The data set, loaded once per test process (throws, failing the test, if it is damaged).
    static func dataset() throws -> OmniglotDataset { try OmniglotDataset.shared(directory: directory) }

    /// A fresh empty temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("metatrain-omniglot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// zlib helpers for building test inputs.
enum Zlib {
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(CZlib.crc32(0, $0.baseAddress, uInt($0.count))) }
    }

    /// Raw deflate (no zlib header), as zip's method 8 stores it.
    static func rawDeflate(_ input: [UInt8]) -> [UInt8] { deflate(input, windowBits: -15) }

    /// A zlib stream (header + deflate + Adler-32), as PNG's IDAT holds it.
    static func zlibCompress(_ input: [UInt8]) -> [UInt8] { deflate(input, windowBits: 15) }

    private static func deflate(_ input: [UInt8], windowBits: Int32) -> [UInt8] {
        var stream = z_stream()
        precondition(deflateInit2_(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY,
                                   zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 16)
        var input = input
        let status = input.withUnsafeMutableBufferPointer { inp in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = inp.baseAddress; stream.avail_in = uInt(inp.count)
                stream.next_out = out.baseAddress; stream.avail_out = uInt(out.count)
                return CZlib.deflate(&stream, Z_FINISH)
            }
        }
        precondition(status == Z_STREAM_END)
        return Array(output.prefix(Int(stream.total_out)))
    }
}

/// Little-endian byte writer.
struct ByteWriter {
    var bytes: [UInt8] = []
    mutating func u16(_ v: UInt16) { bytes += [UInt8(v & 0xff), UInt8(v >> 8)] }
    mutating func u32(_ v: UInt32) { for i in 0..<4 { bytes.append(UInt8((v >> (8 * UInt32(i))) & 0xff)) } }
    mutating func raw(_ b: [UInt8]) { bytes += b }
}

/// Builds zip archives byte by byte (no data descriptors, no zip64).
struct ZipBuilder {
    struct Item { var name: String; var contents: [UInt8]; var deflate: Bool }
    var items: [Item] = []
    var comment: [UInt8] = []

    /// The archive's bytes; `method` overrides the recorded method of every entry when set.
    func bytes(method: UInt16? = nil) -> [UInt8] {
        var out = ByteWriter(), central = ByteWriter()
        for item in items {
            let name = Array(item.name.utf8)
            let data = item.deflate ? Zlib.rawDeflate(item.contents) : item.contents
            let m: UInt16 = method ?? (item.deflate ? 8 : 0)
            let crc = Zlib.crc32(item.contents)
            let offset = UInt32(out.bytes.count)
            out.u32(0x0403_4b50); out.u16(20); out.u16(0); out.u16(m); out.u16(0); out.u16(0x21)
            out.u32(crc); out.u32(UInt32(data.count)); out.u32(UInt32(item.contents.count))
            out.u16(UInt16(name.count)); out.u16(0); out.raw(name); out.raw(data)
            central.u32(0x0201_4b50); central.u16(0x031e); central.u16(20); central.u16(0); central.u16(m)
            central.u16(0); central.u16(0x21)
            central.u32(crc); central.u32(UInt32(data.count)); central.u32(UInt32(item.contents.count))
            central.u16(UInt16(name.count)); central.u16(0); central.u16(0); central.u16(0); central.u16(0)
            central.u32(0); central.u32(offset); central.raw(name)
        }
        let cdOffset = UInt32(out.bytes.count)
        out.raw(central.bytes)
        out.u32(0x0605_4b50); out.u16(0); out.u16(0); out.u16(UInt16(items.count)); out.u16(UInt16(items.count))
        out.u32(UInt32(central.bytes.count)); out.u32(cdOffset); out.u16(UInt16(comment.count)); out.raw(comment)
        return out.bytes
    }
}

func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)] }

/// Writes a PNG by hand: signature, IHDR, one IDAT (scanlines with filter 0), IEND.
enum PNGBuilder {
    /// A grayscale PNG of `bitDepth` 1 or 8 from `rows` of sample values (0/1 for depth 1).
    static func gray(_ rows: [[UInt8]], bitDepth: UInt8) -> [UInt8] {
        let width = rows[0].count, height = rows.count
        var raw: [UInt8] = []
        for row in rows {
            raw.append(0)  // filter type None
            if bitDepth == 8 {
                raw += row
            } else {
                var packed = [UInt8](repeating: 0, count: (width + 7) / 8)
                for (x, v) in row.enumerated() where v != 0 { packed[x / 8] |= 0x80 >> UInt8(x % 8) }
                raw += packed
            }
        }
        var ihdr = be32(UInt32(width))
        ihdr += be32(UInt32(height))
        ihdr += [bitDepth, 0, 0, 0, 0]
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png += chunk("IHDR", ihdr)
        png += chunk("IDAT", Zlib.zlibCompress(raw))
        png += chunk("IEND", [])
        return png
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + data
        var out = be32(UInt32(data.count))
        out += typed
        out += be32(Zlib.crc32(typed))
        return out
    }
}

/// An independent reference for the loader's resize: invert 105×105 gray and average each
/// 3.75×3.75 source area in Double, rounded to a byte.
func referenceResize(_ gray: [UInt8]) -> [UInt8] {
    func overlap(_ o: Int, _ i: Int) -> Double {
        max(0, min(Double(o + 1) * 3.75, Double(i + 1)) - max(Double(o) * 3.75, Double(i)))
    }
    var out = [UInt8](repeating: 0, count: 784)
    for oy in 0..<28 {
        for ox in 0..<28 {
            var sum = 0.0
            for y in 0..<105 where overlap(oy, y) > 0 {
                for x in 0..<105 where overlap(ox, x) > 0 {
                    sum += overlap(oy, y) * overlap(ox, x) * Double(255 - Int(gray[y * 105 + x]))
                }
            }
            out[oy * 28 + ox] = UInt8((sum / (3.75 * 3.75)).rounded())
        }
    }
    return out
}

/// Writes a small file with stdio: Foundation's `Data.write` costs milliseconds per file
/// on Linux, too slow for the 13,180 files of an unzipped archive.
func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    guard let file = fopen(path, "wb") else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
    defer { fclose(file) }
    guard fwrite(bytes, 1, bytes.count, file) == bytes.count else {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
    }
}
