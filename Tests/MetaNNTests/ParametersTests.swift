import Testing
import MetaTensor
import MetaNN

@Suite struct ParametersTests {
    static func sample() -> Parameters<Tensor<Double>> {
        Parameters([
            ("block1.conv.weight", Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])),
            ("block1.conv.bias", Tensor(shape: [2], scalars: [5, 6])),
            ("block10.norm.scale", Tensor(shape: [1], scalars: [7])),
            ("head.weight", Tensor(shape: [], scalars: [8])),
        ])
    }

    @Test func keepsInsertionOrderAndCounts() {
        let p = Self.sample()
        #expect(p.names == ["block1.conv.weight", "block1.conv.bias", "block10.norm.scale", "head.weight"])
        #expect(p.count == 4)
        #expect(p.scalarCount == 8)
    }

    @Test func subscriptReadsAndWritesByName() {
        var p = Self.sample()
        #expect(p["block1.conv.bias"].scalars == [5, 6])
        p["block1.conv.bias"] = Tensor(shape: [2], scalars: [-1, -2])
        #expect(p["block1.conv.bias"].scalars == [-1, -2])
        #expect(p.values[1].scalars == [-1, -2])
        #expect(p.names == Self.sample().names)
        #expect(Self.sample()["block1.conv.bias"].scalars == [5, 6])   // value semantics
        #expect(p.contains("head.weight"))
        #expect(!p.contains("head"))
        #expect(!p.contains("head.bias"))
    }

    @Test func mapKeepsNamesAndTransformsValues() {
        let p = Self.sample()
        let doubled = p.map { $0 * 2 }
        #expect(doubled.names == p.names)
        #expect(doubled.layout == p.layout)
        #expect(doubled["block1.conv.weight"].scalars == [2, 4, 6, 8])
        let shapes = p.map(\.shape)
        #expect(shapes["block1.conv.weight"] == [2, 2])
        let labelled = p.mapWithNames { name, t in "\(name):\(t.count)" }
        #expect(labelled.values == ["block1.conv.weight:4", "block1.conv.bias:2", "block10.norm.scale:1", "head.weight:1"])
    }

    @Test func zipCombinesPositionByPosition() {
        let p = Self.sample()
        let sum = p.zip(p.map { $0 * 10 }) { $0 + $1 }
        #expect(sum["block1.conv.bias"].scalars == [55, 66])
        #expect(sum.names == p.names)
        // A set rebuilt from the same names (a fresh layout) is compatible.
        let rebuilt = Parameters(Array(zip(p.names, p.values)))
        #expect(p.zip(rebuilt) { $0 == $1 }.values.allSatisfy { $0 })
    }

    @Test func subtreeSelectsWholePathComponentsOnly() {
        let p = Self.sample()
        #expect(p.subtree("block1").map(\.0) == ["block1.conv.weight", "block1.conv.bias"])   // not block10
        #expect(p.subtree("block1.conv").map(\.0) == ["block1.conv.weight", "block1.conv.bias"])
        #expect(p.subtree("block10").map(\.1.scalars) == [[7]])
        #expect(p.subtree("head.weight").isEmpty)
        #expect(p.subtree("nothing").isEmpty)
    }

    @Test func equalityComparesNamesOrderAndValues() {
        let p = Self.sample()
        #expect(p == Self.sample())
        var q = p; q["head.weight"] = Tensor(9)
        #expect(p != q)
        let reordered = Parameters(Array(zip(p.names, p.values).reversed()))
        #expect(p != reordered)
        #expect(ParameterLayout(names: ["a", "b"]) == ParameterLayout(names: ["a", "b"]))
        #expect(ParameterLayout(names: ["a", "b"]) != ParameterLayout(names: ["b", "a"]))
    }
}
