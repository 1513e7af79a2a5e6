import CPNG

/// Decodes PNG images to 8-bit grayscale through libpng's simplified API.
///
/// Contract: any valid PNG (any bit depth, gray or colour, with or without alpha) decodes to
/// `width × height` bytes, row-major, one byte per pixel (`PNG_FORMAT_GRAY`: colour is
/// converted to gray (luminance) as libpng's simplified API does, and an image with an alpha
/// channel is composited onto white; a 1-bit gray image gives 0 and 255). Invalid data, and images of more than `maxPixels` pixels, throw a
/// ``PNGDecoder/DecodeError`` carrying libpng's message; malformed input never traps.
public enum PNGDecoder {
    /// A decoded grayscale image (``MetaTasks/GrayImage``).
    public typealias GrayImage = MetaTasks.GrayImage

    /// A PNG that libpng could not decode; `message` is libpng's.
    public struct DecodeError: Error, CustomStringConvertible, Sendable, Equatable {
        public let message: String
        public var description: String { "PNG decoding failed: \(message)" }
    }

    /// Decodes `bytes` (a whole PNG file) to 8-bit gray.
    public static func decodeGray(_ bytes: [UInt8], maxPixels: Int = 1 << 26) throws -> GrayImage {
        try bytes.withUnsafeBytes { try decodeGray($0, maxPixels: maxPixels) }
    }

    /// Decodes `bytes` (a whole PNG file) to 8-bit gray.
    public static func decodeGray(_ bytes: UnsafeRawBufferPointer, maxPixels: Int = 1 << 26) throws -> GrayImage {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { throw DecodeError(message: "empty input") }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_memory(&image, base, bytes.count) != 0 else {
            defer { png_image_free(&image) }
            throw DecodeError(message: message(of: &image))
        }
        image.format = UInt32(PNG_FORMAT_GRAY)
        let width = Int(image.width), height = Int(image.height)
        guard width > 0, height > 0, width <= maxPixels / height else {
            png_image_free(&image)
            throw DecodeError(message: "image of \(width)×\(height) pixels exceeds the limit of \(maxPixels) pixels")
        }
        let size = cpng_image_size(&image)
        guard size == width * height else {
            png_image_free(&image)
            throw DecodeError(message: "unexpected buffer size \(size) for a \(width)×\(height) gray image")
        }
        var failure: String?
        let pixels = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            // Transparent pixels are composited onto white paper (without a background, libpng
            // composites onto the buffer's previous contents).
            var paper = png_color(red: 255, green: 255, blue: 255)
            if png_image_finish_read(&image, &paper, buffer.baseAddress, 0, nil) != 0 {
                initialized = size
            } else {
                failure = message(of: &image)
                initialized = 0
            }
        }
        // finish_read frees libpng's state on success and on failure; free again is a no-op.
        png_image_free(&image)
        if let failure { throw DecodeError(message: failure) }
        return GrayImage(width: width, height: height, pixels: pixels)
    }

    private static func message(of image: inout png_image) -> String {
        let text = withUnsafeBytes(of: &image.message) { raw -> String in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
        return text.isEmpty ? "libpng error" : text
    }
}
