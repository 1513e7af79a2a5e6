import MetaTensor

/// A decoded 8-bit grayscale image, what ``PNGDecoder`` and ``JPEGDecoder`` produce.
public struct GrayImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// `width × height` bytes, row-major, 0 = black, 255 = white.
    public let pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        require(width >= 1 && height >= 1 && pixels.count == width * height,
                "GrayImage: \(pixels.count) pixels for \(width)×\(height)")
        self.width = width; self.height = height; self.pixels = pixels
    }

    /// Decodes a whole PNG or JPEG file, recognised by its signature (`89 50 4E 47` or `FF D8 FF`).
    /// - Throws: ``ImageDecodingError`` in one line: neither format, or what the decoder said.
    public static func decode(_ bytes: [UInt8]) throws -> GrayImage {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) {
            do { return try PNGDecoder.decodeGray(bytes) } catch let e as PNGDecoder.DecodeError {
                throw ImageDecodingError("not a valid PNG (\(e.message))")
            }
        }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
            do { return try JPEGDecoder.decodeGray(bytes) } catch let e as JPEGDecoder.DecodeError {
                throw ImageDecodingError("not a valid JPEG (\(e.message))")
            }
        }
        throw ImageDecodingError("neither a PNG nor a JPEG file")
    }
}

/// Why bytes are not an image this build reads.
public struct ImageDecodingError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
