import Foundation
import Testing
import MetaAdapt
import MetaTestKit

@Suite struct PointTableTests {
    static func file(_ text: String) throws -> URL {
        let dir = BuiltProducts.temporaryDirectory("points")
        let url = dir.appendingPathComponent("points.csv")
        try Data(text.utf8).write(to: url)
        return url
    }

    @Test func readsRowsSkippingHeaderCommentsAndBlankLines() throws {
        let url = try Self.file("x, y\n# a comment\n\n1.5, -2\n-3e-1,4\n")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let table = try PointTable.read(url, option: "--support", columns: [2])
        #expect(table == PointTable(x: [1.5, -0.3], y: [-2, 4]))
    }

    @Test func queryRowsMayHoldXAlone() throws {
        let url = try Self.file("0\n1\n2\n")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        #expect(try PointTable.read(url, option: "--query", columns: [1, 2]) == PointTable(x: [0, 1, 2], y: nil))
    }

    @Test func aBadNumberNamesTheFileAndLine() throws {
        let url = try Self.file("x,y\n1,2\n3,abc\n")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let error = try #require(throws: AdaptError.self) { try PointTable.read(url, option: "--support", columns: [2]) }
        #expect(error.description == "\(url.path):3: '3,abc' is not a row of numbers")
    }

    @Test func supportRowsNeedBothXAndY() throws {
        let url = try Self.file("1\n2\n")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let error = try #require(throws: AdaptError.self) { try PointTable.read(url, option: "--support", columns: [2]) }
        #expect(error.description == "\(url.path):1: 1 fields; expected x,y")
    }

    @Test func rowsOfDifferentWidthsAreRefused() throws {
        let url = try Self.file("1,2\n3\n")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let error = try #require(throws: AdaptError.self) { try PointTable.read(url, option: "--query", columns: [1, 2]) }
        #expect(error.description == "\(url.path):2: 1 fields where the rows above have 2")
    }

    @Test func aFolderGivenForACSVSaysWhatIsExpected() throws {
        let dir = BuiltProducts.temporaryDirectory("points-folder")
        defer { try? FileManager.default.removeItem(at: dir) }
        let error = try #require(throws: AdaptError.self) { try PointTable.read(dir, option: "--support", columns: [2]) }
        #expect(error.description == "--support \(dir.path) is a folder; this model regresses y on x: give a CSV file of x,y rows")
    }
}
