import Foundation
import CPNG

/// Encodes 8-bit grayscale images as PNG through libpng's simplified API, for images embedded
/// in the report as `data:image/png;base64,…` URIs.
///
/// Contract: `pixels` holds `width × height` bytes, row-major, 0 = black, 255 = white; the
/// result is a whole PNG file that MetaTasks' `PNGDecoder` (or any PNG reader) decodes
/// back to the same bytes. Sizes that do not match, and libpng failures, throw an
/// ``EncodeError`` carrying what went wrong.
public enum PNGEncoder {
    /// An image that could not be encoded.
    public struct EncodeError: Error, CustomStringConvertible, Sendable, Equatable {
        public let message: String
        public var description: String { "PNG encoding failed: \(message)" }
    }

    /// The PNG file of a `width × height` gray image.
    public static func encodeGray(width: Int, height: Int, pixels: [UInt8]) throws -> [UInt8] {
        guard width > 0, height > 0, width <= Int(Int32.max) / height else {
            throw EncodeError(message: "image of \(width)×\(height) pixels has no valid size")
        }
        guard pixels.count == width * height else {
            throw EncodeError(message: "\(pixels.count) bytes for a \(width)×\(height) image, expected \(width * height)")
        }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = UInt32(PNG_FORMAT_GRAY)
        return try pixels.withUnsafeBytes { raw -> [UInt8] in
            // First the size libpng needs, then the write into a buffer of that size.
            var size: png_alloc_size_t = 0
            guard png_image_write_to_memory(&image, nil, &size, 0, raw.baseAddress, Int32(width), nil) != 0, size > 0 else {
                defer { png_image_free(&image) }
                throw EncodeError(message: message(of: &image))
            }
            var failure: String?
            let bytes = [UInt8](unsafeUninitializedCapacity: Int(size)) { buffer, initialized in
                var written = size
                if png_image_write_to_memory(&image, buffer.baseAddress, &written, 0, raw.baseAddress, Int32(width), nil) != 0 {
                    initialized = Int(written)
                } else {
                    failure = message(of: &image)
                    initialized = 0
                }
            }
            png_image_free(&image)
            if let failure { throw EncodeError(message: failure) }
            return bytes
        }
    }

    /// The `data:` URI of a gray image's PNG, for an `<img src>`.
    public static func dataURI(width: Int, height: Int, pixels: [UInt8]) throws -> String {
        "data:image/png;base64," + Data(try encodeGray(width: width, height: height, pixels: pixels)).base64EncodedString()
    }

    private static func message(of image: inout png_image) -> String {
        let text = withUnsafeBytes(of: &image.message) { raw -> String in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return text.isEmpty ? "libpng error" : text
    }
}
