import Foundation
import CPNG
import CJPEG

/// Real image files written for tests: PNG through libpng's simplified API, JPEG through libjpeg.
public enum ImageFiles {
    /// How ``writePNG(gray:width:height:as:to:)`` stores the pixels.
    public enum PNGLayout: Sendable, CaseIterable {
        /// 8-bit gray.
        case gray8
        /// 8-bit RGB with red = green = blue = the gray value.
        case rgb8
        /// 8-bit RGBA, opaque.
        case rgba8
        /// 16-bit linear gray (libpng converts from and to sRGB).
        case gray16
    }

    public struct WriteError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Writes `gray` (`width × height` bytes, 0 = black) as a PNG file.
    public static func writePNG(gray: [UInt8], width: Int, height: Int, as layout: PNGLayout = .gray8, to url: URL) throws {
        precondition(gray.count == width * height)
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width); image.height = UInt32(height)
        let ok: Int32
        switch layout {
        case .gray8:
            image.format = UInt32(PNG_FORMAT_GRAY)
            ok = png_image_write_to_file(&image, url.path, 0, gray, 0, nil)
        case .rgb8:
            image.format = UInt32(PNG_FORMAT_FLAG_COLOR)
            let rgb: [UInt8] = gray.flatMap { [$0, $0, $0] }
            ok = png_image_write_to_file(&image, url.path, 0, rgb, 0, nil)
        case .rgba8:
            // (An array literal mixing $0 and 255 passed straight to `const void *` does not infer
            // [UInt8]: name the type.)
            let rgba: [UInt8] = gray.flatMap { [$0, $0, $0, 255] }
            return try writePNG(rgba: rgba, width: width, height: height, to: url)
        case .gray16:
            image.format = UInt32(PNG_FORMAT_FLAG_LINEAR)
            // sRGB 8-bit to linear 16-bit, so black and white stay exact.
            let linear = gray.map { v -> UInt16 in
                let c = Double(v) / 255
                let l = c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
                return UInt16((l * 65535).rounded())
            }
            ok = png_image_write_to_file(&image, url.path, 0, linear, 0, nil)
        }
        png_image_free(&image)
        guard ok != 0 else { throw WriteError(description: "cannot write \(url.path) as PNG") }
    }

    /// Writes `rgba` (`width × height × 4` bytes, straight alpha) as an 8-bit RGBA PNG file.
    public static func writePNG(rgba: [UInt8], width: Int, height: Int, to url: URL) throws {
        precondition(rgba.count == width * height * 4)
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width); image.height = UInt32(height)
        image.format = UInt32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)
        let ok = png_image_write_to_file(&image, url.path, 0, rgba, 0, nil)
        png_image_free(&image)
        guard ok != 0 else { throw WriteError(description: "cannot write \(url.path) as PNG") }
    }

    /// The JPEG bytes of `pixels` (`width × height × components`, components 1 = gray or 3 = RGB).
    public static func jpeg(_ pixels: [UInt8], width: Int, height: Int, components: Int = 1, quality: Int = 95) throws -> [UInt8] {
        precondition(pixels.count == width * height * components)
        var out: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        var message = [CChar](repeating: 0, count: 256)
        let ok = cjpeg_encode(pixels, Int32(width), Int32(height), Int32(components), Int32(quality), &out, &size,
                              &message, message.count)
        guard ok != 0, let out else {
            throw WriteError(description: String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        defer { cjpeg_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: Int(size)))
    }
}
