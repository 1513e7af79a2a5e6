import Testing
import MetaTensor

/// Shape checks throw a `ShapeError` that names the operation and every shape involved, and
/// an operation on mismatched tensors stops the process with that message.
@Suite struct ShapeErrorTests {
    /// The error thrown by `body`, which must throw a `ShapeError`.
    func shapeError<T>(_ body: () throws -> T, sourceLocation: SourceLocation = #_sourceLocation) -> ShapeError? {
        do {
            _ = try body()
            Issue.record("expected a ShapeError", sourceLocation: sourceLocation)
        } catch let error as ShapeError {
            return error
        } catch {
            Issue.record("expected a ShapeError, got \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    func expectNames(_ error: ShapeError?, op: String, shapes: [[Int]], sourceLocation: SourceLocation = #_sourceLocation) {
        guard let error else { return }
        #expect(error.op == op, sourceLocation: sourceLocation)
        #expect(error.shapes == shapes, sourceLocation: sourceLocation)
        let text = error.description
        #expect(text.contains(op), "\(text)", sourceLocation: sourceLocation)
        for shape in shapes { #expect(text.contains("\(shape)"), "\(text) should name \(shape)", sourceLocation: sourceLocation) }
    }

    @Test func broadcastOfIncompatibleShapesNamesOpAndBothShapes() {
        expectNames(shapeError { try Shape.broadcast([2, 3], [4], op: "add") }, op: "add", shapes: [[2, 3], [4]])
        expectNames(shapeError { try Shape.broadcast([2, 1, 3], [5, 2], op: "multiply") },
                    op: "multiply", shapes: [[2, 1, 3], [5, 2]])
    }

    @Test func broadcastStridesToIncompatibleOrLowerRankNamesOpAndBothShapes() {
        expectNames(shapeError { try Shape.broadcastStrides([3], to: [2, 4], op: "broadcast") },
                    op: "broadcast", shapes: [[3], [2, 4]])
        expectNames(shapeError { try Shape.broadcastStrides([2, 3], to: [3], op: "sum(toShape:)") },
                    op: "sum(toShape:)", shapes: [[2, 3], [3]])
    }

    @Test func matmulGeometryRejectsMismatchesNamingBothShapes() {
        expectNames(shapeError { try MatmulGeometry([2, 3], [4, 5], transposeA: false, transposeB: false) },
                    op: "matmul", shapes: [[2, 3], [4, 5]])
        expectNames(shapeError { try MatmulGeometry([2, 3], [2, 5], transposeA: false, transposeB: true) },
                    op: "matmul", shapes: [[2, 3], [2, 5]])
        expectNames(shapeError { try MatmulGeometry([2, 3, 4], [3, 4, 5], transposeA: false, transposeB: false) },
                    op: "matmul", shapes: [[2, 3, 4], [3, 4, 5]])
        expectNames(shapeError { try MatmulGeometry([3], [3, 4], transposeA: false, transposeB: false) },
                    op: "matmul", shapes: [[3], [3, 4]])
    }

    @Test func matmulGeometryAcceptsTransposedAndSharedOperands() throws {
        let g = try MatmulGeometry([3, 2], [5, 3], transposeA: true, transposeB: true)
        #expect((g.m, g.k, g.n, g.batch) == (2, 3, 5, 1))
        let shared = try MatmulGeometry([4, 2, 3], [3, 5], transposeA: false, transposeB: false)
        #expect(shared.outputShape == [4, 2, 5] && shared.aBatched && !shared.bBatched && shared.batch == 4)
    }

    @Test func convolutionGeometryRejectsBadOperandsNamingBothShapes() {
        expectNames(shapeError { try Tensor<Double>.convolutionGeometry([1, 3, 8, 8], [4, 2, 3, 3], stride: 1, padding: 0) },
                    op: "conv2d", shapes: [[1, 3, 8, 8], [4, 2, 3, 3]])
        expectNames(shapeError { try Tensor<Double>.convolutionGeometry([3, 8, 8], [4, 3, 3, 3], stride: 1, padding: 0) },
                    op: "conv2d", shapes: [[3, 8, 8], [4, 3, 3, 3]])
        expectNames(shapeError { try Tensor<Double>.convolutionGeometry([1, 1, 2, 2], [1, 1, 5, 5], stride: 1, padding: 1) },
                    op: "conv2d", shapes: [[1, 1, 2, 2], [1, 1, 5, 5]])
        expectNames(shapeError { try Tensor<Double>.convolutionGeometry([1, 1, 4, 4], [1, 1, 3, 3], stride: 0, padding: 0) },
                    op: "conv2d", shapes: [[1, 1, 4, 4], [1, 1, 3, 3]])
    }

    @Test func axisAndCountChecksThrowForInvalidInput() {
        expectNames(shapeError { try Shape.axis(3, rank: 3, shape: [1, 2, 3], op: "slice") }, op: "slice", shapes: [[1, 2, 3]])
        expectNames(shapeError { try Shape.axis(-4, rank: 3, shape: [1, 2, 3], op: "slice") }, op: "slice", shapes: [[1, 2, 3]])
        expectNames(shapeError { try Shape.count([2, -1], op: "init") }, op: "init", shapes: [[2, -1]])
        #expect((try? Shape.axis(-1, rank: 3, shape: [1, 2, 3], op: "t")) == 2)
    }

    /// Adding tensors of incompatible shapes is a programming error: the process stops, and
    /// its message names both shapes (in release builds too).
    @Test func addingIncompatibleTensorsStopsTheProcessNamingBothShapes() async throws {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let a = Tensor<Double>(zeros: [2, 3]), b = Tensor<Double>(zeros: [4])
            _ = a + b
        }
        let stderr = String(decoding: try #require(result).standardErrorContent, as: UTF8.self)
        #expect(stderr.contains("[2, 3]"), "stderr: \(stderr)")
        #expect(stderr.contains("[4]"), "stderr: \(stderr)")
    }
}
