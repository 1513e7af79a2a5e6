import Testing
import CZeroMQ
import CBLAS
import CPNG

/// The system libraries bind, link and are the versions the project relies on.
@Suite struct SystemLibraryTests {
    @Test func zeroMQIsAtLeast4_3WithCurve() {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        #expect(major > 4 || (major == 4 && minor >= 3), "libzmq \(major).\(minor).\(patch)")
        #expect(zmq_has("curve") == 1)
    }

    @Test func zeroMQCarriesAMessageBetweenTwoSockets() throws {
        // A real PAIR round trip over inproc: the binding works end to end.
        let context = zmq_ctx_new()
        defer { zmq_ctx_term(context) }
        let a = zmq_socket(context, ZMQ_PAIR), b = zmq_socket(context, ZMQ_PAIR)
        var linger: Int32 = 0
        zmq_setsockopt(a, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
        zmq_setsockopt(b, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
        defer { zmq_close(a); zmq_close(b) }
        #expect(zmq_bind(a, "inproc://metatrain-test") == 0)
        #expect(zmq_connect(b, "inproc://metatrain-test") == 0)
        let payload: [UInt8] = Array("hello".utf8)
        #expect(zmq_send(a, payload, payload.count, 0) == Int32(payload.count))
        var buffer = [UInt8](repeating: 0, count: 16)
        let received = zmq_recv(b, &buffer, buffer.count, 0)
        #expect(received == Int32(payload.count))
        #expect(Array(buffer.prefix(Int(max(received, 0)))) == payload)
    }

    @Test func openBLASReportsItsKernelsAndMultiplies() {
        #expect(openblas_get_corename() != nil)
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [5, 6, 7, 8]
        var c = [Float](repeating: 0, count: 4)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 2, 2, 2, 1, a, 2, b, 2, 0, &c, 2)
        #expect(c == [19, 22, 43, 50])
    }

    @Test func libpngIsVersion1_6() {
        #expect(png_access_version_number() >= 10600)
    }
}
