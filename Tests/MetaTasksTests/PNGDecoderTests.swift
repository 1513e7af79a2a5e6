import Testing
import MetaTasks

@Suite struct PNGDecoderTests {
    @Test func decodesAnEightBitGrayPNG() throws {
        let rows: [[UInt8]] = [[0, 10, 20, 30, 40], [50, 100, 150, 200, 250], [255, 254, 1, 2, 128]]
        let image = try PNGDecoder.decodeGray(PNGBuilder.gray(rows, bitDepth: 8))
        #expect(image.width == 5 && image.height == 3)
        #expect(image.pixels == rows.flatMap { $0 })
    }

    @Test func decodesAOneBitGrayPNGToBlackAndWhite() throws {
        // Omniglot's PNGs are 1-bit: 0 is black (ink), 1 is white.
        let rows: [[UInt8]] = [[1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1], [0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0]]
        let image = try PNGDecoder.decodeGray(PNGBuilder.gray(rows, bitDepth: 1))
        #expect(image.width == 11 && image.height == 2)
        #expect(image.pixels == rows.flatMap { $0 }.map { $0 == 1 ? 255 : 0 })
    }

    @Test func garbageThrowsWithLibpngsMessage() {
        for bytes in [[UInt8](), Array("not a png at all".utf8), [UInt8](repeating: 0, count: 64)] {
            let error = #expect(throws: PNGDecoder.DecodeError.self) { try PNGDecoder.decodeGray(bytes) }
            #expect(error?.message.isEmpty == false)
        }
    }

    @Test func truncatedOrDamagedPNGThrows() throws {
        let png = PNGBuilder.gray([[1, 2, 3], [4, 5, 6]], bitDepth: 8)
        for length in [8, 20, 33, png.count - 20] {
            #expect(throws: PNGDecoder.DecodeError.self, "prefix of \(length) bytes") {
                try PNGDecoder.decodeGray(Array(png.prefix(length)))
            }
        }
        var damaged = png
        damaged[16] ^= 0xFF  // width in IHDR: the chunk CRC no longer matches
        #expect(throws: PNGDecoder.DecodeError.self) { try PNGDecoder.decodeGray(damaged) }
    }

    @Test func oversizedImageIsRefusedBeforeAllocating() throws {
        let png = PNGBuilder.gray([[1, 2, 3], [4, 5, 6]], bitDepth: 8)
        let error = try #require(throws: PNGDecoder.DecodeError.self) { try PNGDecoder.decodeGray(png, maxPixels: 5) }
        #expect(error.message.contains("exceeds"))
    }
}
