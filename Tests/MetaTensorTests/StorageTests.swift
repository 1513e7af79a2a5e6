import Testing
import Foundation
import MetaTensor

/// Construction, reshaping (views), conversion between scalar types and copy-on-write.
@Suite struct StorageTests {
    @Test func reshapedInfersMinusOneAndSharesStorage() {
        let x = randomTensor([2, 3, 4], seed: 1)
        let y = x.reshaped([-1, 4])
        #expect(y.shape == [6, 4])
        #expect(y.scalars == x.scalars)
        #expect(y.sharesStorage(with: x))
        #expect(x.reshaped([2, -1]).shape == [2, 12])
        #expect(x.reshaped([-1]).shape == [24])
        #expect(x.reshaped([4, 3, -1]).shape == [4, 3, 2])
        #expect(Tensor<Double>(shape: [1, 1], scalars: [5]).reshaped([]).shape == [])
        #expect(Tensor<Double>(5).reshaped([1, 1, 1]).shape == [1, 1, 1])
    }

    @Test func initializersFillTheirShapes() {
        #expect(Tensor<Double>(zeros: [2, 3]).scalars == [Double](repeating: 0, count: 6))
        #expect(Tensor<Float>(repeating: 2.5, shape: [3]).scalars == [2.5, 2.5, 2.5])
        let s = Tensor<Double>(4)
        #expect(s.shape == [] && s.rank == 0 && s.count == 1 && s.scalar == 4)
        let t = Tensor<Double>(shape: [2, 2], scalars: [1, 2, 3, 4])
        #expect(t[1, 0] == 3 && t.count == 4 && t.rank == 2)
        #expect(Tensor<Double>(zeros: [3, 0]).count == 0)
    }

    @Test func convertingFloatToDoubleIsExactAndBack() {
        let f = Tensor<Float>(shape: [2, 3], scalars: [0.1, -2.5, 3e-8, 1e30, -0, 7])
        let d = Tensor<Double>(converting: f)
        #expect(d.shape == f.shape)
        #expect(d.scalars == f.scalars.map { Double($0) })
        #expect(Tensor<Float>(converting: d) == f)
    }

    @Test func convertingDoubleToFloatRoundsToNearest() {
        let values: [Double] = [0.1, 1.0 / 3.0, -1e-40, 1e300]  // the last two: subnormal and overflow in Float
        let d = Tensor<Double>(shape: [4], scalars: values)
        let f = Tensor<Float>(converting: d)
        #expect(f.scalars == values.map { Float($0) })
        #expect(f.scalars[3] == .infinity)
        #expect(d.converted(to: Float.self) == f)
    }

    @Test func convertedToTheSameTypeDoesNotCopy() {
        let d = randomTensor([3], seed: 2)
        #expect(d.converted(to: Double.self).sharesStorage(with: d))
    }

    @Test func mutatingACopyLeavesTheOriginalUnchanged() {
        let original = Tensor<Double>(shape: [3], scalars: [1, 2, 3])
        var copy = original
        #expect(copy.sharesStorage(with: original))
        copy.withUnsafeMutableBufferPointer { $0[0] = 100 }
        #expect(original.scalars == [1, 2, 3])
        #expect(copy.scalars == [100, 2, 3])
        #expect(!copy.sharesStorage(with: original))
    }

    @Test func mutatingAReshapedViewLeavesTheOriginalUnchanged() {
        let original = Tensor<Double>(shape: [2, 2], scalars: [1, 2, 3, 4])
        var view = original.reshaped([4])
        view.withUnsafeMutableBufferPointer { $0[3] = -1 }
        #expect(original.scalars == [1, 2, 3, 4])
        #expect(view.scalars == [1, 2, 3, -1])
    }

    @Test func mutatingAUniqueTensorWritesInPlace() {
        var x = Tensor<Double>(shape: [2], scalars: [1, 2])
        x.withUnsafeMutableBufferPointer { $0[1] = 5 }
        x.withUnsafeMutableBufferPointer { $0[0] += 1 }
        #expect(x.scalars == [2, 5])
    }

    @Test func equalityComparesShapeAndEveryElement() {
        let a = Tensor<Double>(shape: [2, 2], scalars: [1, 2, 3, 4])
        #expect(a == Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]))
        #expect(a != a.reshaped([4]))
        #expect(a != Tensor(shape: [2, 2], scalars: [1, 2, 3, 5]))
    }
}

/// Tensor buffers come from per-thread size-class caches; reuse must never show through.
@Suite struct BufferPoolTests {
    @Test func aFreedBufferIsReusedForTheNextTensorOfItsSizeClass() {
        var first: UnsafeRawPointer? = nil
        do {
            let a = Tensor<Float>(repeating: 1, shape: [1000])
            first = a.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress!) }
        }
        // 900 floats round up to the same 4 KiB class as 1000.
        let b = Tensor<Float>(repeating: 2, shape: [900])
        #expect(b.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress!) } == first)
        #expect(b.scalars == [Float](repeating: 2, count: 900))
    }

    @Test func tensorsFreedOnAnotherThreadStayCorrect() {
        // Built here, released on another thread (whose cache takes the buffers), then that
        // thread builds tensors of the same sizes from them.
        final class Box: @unchecked Sendable { var tensors: [Tensor<Double>]?; var ok = true }
        for round in 0..<10 {
            let box = Box()
            box.tensors = (0..<8).map { Tensor<Double>(repeating: Double(round * 8 + $0), shape: [300 + $0]) }
            let done = DispatchSemaphore(value: 0)
            let thread = Thread {
                box.tensors = nil
                let again = (0..<8).map { Tensor<Double>(repeating: -1, shape: [300 + $0]) }
                box.ok = again.allSatisfy { $0.scalars.allSatisfy { $0 == -1 } }
                done.signal()
            }
            thread.start()
            done.wait()
            #expect(box.ok, "round \(round)")
        }
    }

    @Test func smallAndLargeTensorsBypassThePoolAndStillWork() {
        let small = Tensor<Float>(repeating: 3, shape: [5])
        let large = Tensor<Float>(repeating: 4, shape: [(64 << 20) / 4 + 1])   // above the largest class
        #expect(small.scalars == [3, 3, 3, 3, 3])
        #expect(large.withUnsafeBufferPointer { $0[$0.count - 1] } == 4)
    }
}
