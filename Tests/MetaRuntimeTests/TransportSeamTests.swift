import Testing
import MetaRuntime

/// Parts and the in-memory transport: the rules every transport follows.
@Suite struct TransportSeamTests {
    @Test func aFrameIsCutIntoPartsAndJoinedBackExactly() throws {
        for size in [0, 1, WireCodec.partBytes - 1, WireCodec.partBytes, WireCodec.partBytes + 1, 5 * WireCodec.partBytes + 17] {
            let frame = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let parts = WireCodec.parts(of: frame)
            #expect(parts.allSatisfy { $0.count <= WireCodec.partBytes })
            #expect(parts.count <= WireCodec.maxParts(maxMessageBytes: max(size, 1)))
            var assembler = MessageAssembler(maxBytes: max(size, 1))
            for p in parts { assembler.add(p) }
            #expect(try assembler.finish().get() == frame)
        }
    }

    @Test func aMessageOfTooManyPartsIsDroppedWhileReadingAndKeepsNothing() {
        var assembler = MessageAssembler(maxBytes: 1 << 20, maxParts: 16)
        let part = [UInt8](repeating: 7, count: 1000)
        for _ in 0..<2000 { assembler.add(part) }
        guard case .failure(let dropped) = assembler.finish() else { Issue.record("accepted 2000 parts"); return }
        #expect(dropped.reason.contains("more than 16 parts"))
        #expect(dropped.reason.contains("2000 parts dropped"))
    }

    @Test func aPartOverTheLimitOrAWholeOverTheLimitIsDropped() {
        var big = MessageAssembler(maxBytes: 1 << 30)
        big.add([UInt8](repeating: 0, count: WireCodec.maxPartBytes + 1))
        #expect((try? big.finish().get()) == nil)
        var long = MessageAssembler(maxBytes: 100, maxParts: 100)
        for _ in 0..<3 { long.add([UInt8](repeating: 0, count: 40)) }
        #expect((try? long.finish().get()) == nil)
        #expect((try? MessageAssembler(maxBytes: 10).finish().get()) == nil)
    }

    @Test func inMemoryTransportDeliversBothWaysAndReportsGonePeers() throws {
        let network = InMemoryNetwork()
        let coordinator = network.coordinator()
        let worker = network.worker()
        #expect(worker.send([1, 2, 3], to: []) == .sent)
        let got = coordinator.receive(timeout: 1, limit: 10)
        #expect(got == [.message(from: worker.id, frame: [1, 2, 3])])
        #expect(coordinator.send([4], to: worker.id) == .sent)
        #expect(worker.receive(timeout: 1, limit: 10) == [.message(from: [], frame: [4])])
        let old = worker.id
        try worker.reconnect()
        #expect(worker.id != old)
        #expect(coordinator.send([5], to: old) == .noRoute)
        #expect(coordinator.receive(timeout: 0.01, limit: 10).isEmpty)
    }

    @Test func inMemoryTransportDropsAMessageOfTooManyParts() {
        let network = InMemoryNetwork()
        let coordinator = network.coordinator()
        coordinator.maxMessageBytes = 1 << 20
        let hostile = network.worker()
        _ = hostile.sendParts(Array(repeating: [UInt8](repeating: 1, count: 1024), count: 2000))
        let got = coordinator.receive(timeout: 1, limit: 10)
        guard case .malformed(let from, let reason)? = got.first else { Issue.record("not dropped: \(got.count)"); return }
        #expect(from == hostile.id)
        #expect(reason.contains("parts"))
    }
}
