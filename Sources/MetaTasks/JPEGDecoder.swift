import CJPEG

/// Decodes JPEG images to 8-bit grayscale with libjpeg (Debian's libjpeg62-turbo).
///
/// Contract: any baseline or progressive JPEG, gray or YCbCr colour, decodes to
/// `width × height` bytes, row-major: libjpeg's luminance (Y of YCbCr, Rec. 601 weights) for a
/// colour image. Invalid data, colour spaces libjpeg cannot turn into gray (CMYK), and images of
/// more than `maxPixels` pixels throw a ``JPEGDecoder/DecodeError`` carrying libjpeg's message;
/// malformed input never traps (libjpeg's fatal errors return through the C shim's `longjmp`).
public enum JPEGDecoder {
    /// A JPEG that libjpeg could not decode; `message` is libjpeg's.
    public struct DecodeError: Error, CustomStringConvertible, Sendable, Equatable {
        public let message: String
        public var description: String { "JPEG decoding failed: \(message)" }
    }

    /// Decodes `bytes` (a whole JPEG file) to 8-bit gray.
    public static func decodeGray(_ bytes: [UInt8], maxPixels: Int = 1 << 26) throws -> GrayImage {
        guard !bytes.isEmpty else { throw DecodeError(message: "empty input") }
        var pixels: UnsafeMutablePointer<UInt8>?
        var width: Int32 = 0, height: Int32 = 0
        var message = [CChar](repeating: 0, count: 256)
        let ok = bytes.withUnsafeBufferPointer { b in
            cjpeg_decode_gray(b.baseAddress, UInt(b.count), maxPixels, &pixels, &width, &height, &message, message.count)
        }
        guard ok != 0, let pixels else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw DecodeError(message: text.isEmpty ? "libjpeg error" : text)
        }
        defer { cjpeg_free(pixels) }
        let count = Int(width) * Int(height)
        return GrayImage(width: Int(width), height: Int(height), pixels: Array(UnsafeBufferPointer(start: pixels, count: count)))
    }
}
