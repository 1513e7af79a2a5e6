import Foundation
import Testing
import MetaTasks
import MetaTestKit

/// Images of any size and format become the same inputs as the training drawings.
@Suite struct ImageDecodingTests {
    static func randomGray(_ count: Int, seed: UInt64) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    /// A black-and-white drawing like Omniglot's (0 ink, 255 paper).
    static func binaryDrawing(side: Int, seed: UInt64) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        return (0..<(side * side)).map { _ in Int.random(in: 0..<5, using: &rng) == 0 ? 0 : 255 }
    }

    @Test func areaResizingIsTheIdentityAtTheSameSizeAndUndoesPixelDuplication() {
        let side = 28
        let gray = Self.randomGray(side * side, seed: 1)
        let ink = gray.map { 255 - $0 }
        #expect(OmniglotDataset.inkImage(GrayImage(width: side, height: side, pixels: gray)) == ink)
        // Every pixel repeated 2×2, and 3× along rows only (a stretched, non-square image).
        let doubled = (0..<(2 * side)).flatMap { y in (0..<(2 * side)).map { x in gray[(y / 2) * side + x / 2] } }
        #expect(OmniglotDataset.inkImage(GrayImage(width: 2 * side, height: 2 * side, pixels: doubled)) == ink)
        let wide = (0..<side).flatMap { y in (0..<(3 * side)).map { x in gray[y * side + x / 3] } }
        #expect(OmniglotDataset.inkImage(GrayImage(width: 3 * side, height: side, pixels: wide)) == ink)
    }

    @Test func resizingCommutesWithQuarterTurns() {
        for (n, seed) in [(105, UInt64(2)), (61, 3), (28, 4)] {
            let gray = Self.randomGray(n * n, seed: seed)
            let resized = OmniglotDataset.inkImage(GrayImage(width: n, height: n, pixels: gray))
            for turns in 1..<4 {
                let turned = OmniglotTasks.rotated(gray, quarterTurns: turns, side: n)
                #expect(OmniglotDataset.inkImage(GrayImage(width: n, height: n, pixels: turned))
                        == OmniglotTasks.rotated(resized, quarterTurns: turns, side: 28), "\(n)×\(n), \(turns) turns")
            }
        }
    }

    @Test func everyPNGLayoutOfABlackAndWhiteDrawingDecodesToTheSameGray() throws {
        let dir = BuiltProducts.temporaryDirectory("png-layouts")
        defer { try? FileManager.default.removeItem(at: dir) }
        let drawing = Self.binaryDrawing(side: 40, seed: 5)
        for layout in ImageFiles.PNGLayout.allCases {
            let url = dir.appendingPathComponent("\(layout).png")
            try ImageFiles.writePNG(gray: drawing, width: 40, height: 40, as: layout, to: url)
            let image = try GrayImage.decode([UInt8](try Data(contentsOf: url)))
            #expect(image == GrayImage(width: 40, height: 40, pixels: drawing), "\(layout)")
        }
    }

    @Test func aJPEGDecodesToItsLuminanceWithinTheCompressionError() throws {
        let side = 48
        let gray = (0..<(side * side)).map { UInt8(($0 % side) * 255 / (side - 1)) }   // a smooth ramp
        let decoded = try GrayImage.decode(try ImageFiles.jpeg(gray, width: side, height: side, quality: 95))
        #expect(decoded.width == side && decoded.height == side)
        let error = zip(decoded.pixels, gray).map { abs(Int($0) - Int($1)) }
        #expect(error.max()! <= 6, "largest error \(error.max()!)")
        // Colour with red = green = blue: the luminance is the gray value.
        let colour = try GrayImage.decode(try ImageFiles.jpeg(gray.flatMap { [$0, $0, $0] }, width: side, height: side,
                                                              components: 3, quality: 95))
        #expect(zip(colour.pixels, gray).allSatisfy { abs(Int($0) - Int($1)) <= 6 })
        // Pure red has the luminance 0.299 · 255 ≈ 76.
        let red = try GrayImage.decode(try ImageFiles.jpeg([UInt8](repeating: 0, count: 64 * 3).enumerated().map { $0.offset % 3 == 0 ? 255 : 0 },
                                                           width: 8, height: 8, components: 3, quality: 100))
        #expect(red.pixels.allSatisfy { abs(Int($0) - 76) <= 2 }, "\(red.pixels.prefix(4))")
    }

    @Test func damagedOrUnknownFilesAreOneLineErrors() throws {
        var error = try #require(throws: ImageDecodingError.self) { try GrayImage.decode([0xFF, 0xD8, 0xFF, 0x00, 0x01, 0x02]) }
        #expect(error.description.hasPrefix("not a valid JPEG ("))
        error = try #require(throws: ImageDecodingError.self) { try GrayImage.decode([0x89, 0x50, 0x4E, 0x47, 0x00]) }
        #expect(error.description.hasPrefix("not a valid PNG ("))
        error = try #require(throws: ImageDecodingError.self) { try GrayImage.decode(Array("GIF89a".utf8)) }
        #expect(error.description == "neither a PNG nor a JPEG file")
    }
}

extension ImageDecodingTests {
    @Test func transparentPixelsOfAPNGArePaper() throws {
        let dir = BuiltProducts.temporaryDirectory("png-alpha")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("alpha.png")
        // Black ink at full opacity on a fully transparent black background.
        let side = 16
        let ink = (0..<(side * side)).map { $0 % 5 == 0 }
        try ImageFiles.writePNG(rgba: ink.flatMap { [0, 0, 0, $0 ? 255 : 0] }, width: side, height: side, to: url)
        let image = try GrayImage.decode([UInt8](try Data(contentsOf: url)))
        #expect(image.pixels == ink.map { $0 ? 0 : 255 })
    }
}
