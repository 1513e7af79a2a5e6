import Testing
import MetaRuntime

@Suite struct WireCodecTests {
    @Test func everyMessageKindRoundTripsAndReencodesToTheSameBytes() throws {
        #expect(Set(Fixtures.messages.map(\.kind)) == Set(MessageKind.allCases))
        for message in Fixtures.messages {
            let frame = WireCodec.encode(message)
            let decoded = try WireCodec.decode(frame, maxBytes: Fixtures.limit)
            #expect(decoded == message)
            #expect(WireCodec.encode(decoded) == frame)
        }
    }

    @Test func encodingIsDeterministic() {
        for message in Fixtures.messages { #expect(WireCodec.encode(message) == WireCodec.encode(message)) }
    }

    @Test func helloHasThePinnedByteLayout() {
        // Changing this is a protocol change: bump WireCodec.protocolVersion.
        let identity = BuildIdentity(buildID: "b1", blasKernel: "k", fingerprint: "f")
        let frame = WireCodec.encode(.hello(HelloMessage(protocolVersion: 3, identity: identity, workerName: "w", threads: 2)))
        #expect(frame == [
            0x4D, 0x54, 0x57, 0x31,  // "MTW1"
            0x03, 0x00,  // protocol version 3
            0x01,  // hello
            0x00,  // flags
            0x19, 0x00, 0x00, 0x00,  // body length 25
            0x03, 0x00,  // protocolVersion
            0x02, 0x00, 0x00, 0x00, 0x62, 0x31,  // buildID "b1"
            0x01, 0x00, 0x00, 0x00, 0x6B,  // blasKernel "k"
            0x01, 0x00, 0x00, 0x00, 0x66,  // fingerprint "f"
            0x01, 0x00, 0x00, 0x00, 0x77,  // workerName "w"
            0x02, 0x00,  // threads
            0x8F, 0x22, 0x84, 0x2E,  // CRC-32 (zlib.crc32 of the bytes above)
        ])
    }

    @Test func stringsOverTheirCapsDoNotDecode() {
        let longName = Fixtures.frame(type: MessageKind.shutdown.rawValue,
                                      body: Fixtures.le32(UInt32(WireCodec.maxTextBytes + 1))
                                        + [UInt8](repeating: 0x61, count: WireCodec.maxTextBytes + 1) + [0])
        #expect(Fixtures.errorKind(longName, maxBytes: .max) == .invalidValue)
        // A sender clips instead of producing such a frame.
        let clipped = ShutdownMessage(reason: String(repeating: "é", count: WireCodec.maxTextBytes))
        #expect(clipped.reason.utf8.count <= WireCodec.maxTextBytes)
        #expect(Fixtures.errorKind(WireCodec.encode(.shutdown(clipped)), maxBytes: .max) == nil)
        let hello = HelloMessage(identity: BuildIdentity(buildID: String(repeating: "b", count: 150_000)), workerName: "w", threads: 1)
        #expect(hello.buildID.utf8.count <= BuildIdentity.maxFieldBytes)
    }

    @Test func largeParameterBlobsRoundTrip() throws {
        let parameters = Fixtures.bytes(4 << 20, seed: 3)
        let assignment = Message.assignment(AssignmentMessage(iteration: 5, parameterVersion: 9,
                                                              taskIndices: Array(0..<1000), parameters: parameters))
        let frame = WireCodec.encode(assignment)
        #expect(frame.count == 16 + 8 + 8 + 4 + 2 + 4 + 4 + 4000 + 4 + parameters.count)
        #expect(try WireCodec.decode(frame, maxBytes: frame.count) == assignment)

        let result = Message.result(ResultMessage(iteration: 5, parameterVersion: 9, tasks: (0..<3).map {
            Fixtures.outcome($0, gradient: Array(parameters[0..<(1 << 20)]))
        }))
        #expect(try WireCodec.decode(WireCodec.encode(result), maxBytes: Fixtures.limit) == result)
    }

    @Test func crc32MatchesTheStandardCheckValueAndABitwiseReference() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
        func reference(_ bytes: [UInt8]) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for b in bytes {
                crc ^= UInt32(b)
                for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            }
            return ~crc
        }
        for n in 0..<40 {
            let data = Fixtures.bytes(n, seed: UInt64(n))
            #expect(CRC32.checksum(data) == reference(data))
            #expect(CRC32.checksum(data + [9, 9], range: 0..<n) == reference(data))
        }
    }

    @Test func everyTruncationOfAValidFrameThrows() {
        for message in Fixtures.messages {
            let frame = WireCodec.encode(message)
            for n in 0..<frame.count {
                #expect(Fixtures.errorKind(Array(frame[0..<n])) != nil, "prefix \(n) of \(message.kind)")
            }
        }
    }

    @Test func anotherProtocolVersionGivesTheDistinctError() throws {
        var frame = WireCodec.encode(.hello(Fixtures.hello))
        frame[4] = 2
        for candidate in [frame, Fixtures.resealed(frame), Array(frame[0..<6])] {
            do {
                _ = try WireCodec.decode(candidate, maxBytes: Fixtures.limit)
                Issue.record("a version 2 frame decoded")
            } catch {
                #expect(error.kind == .unsupportedVersion)
                #expect(error.foundVersion == 2)
                // One line naming both versions and what to do.
                #expect(error.description.contains("protocol version 2") && error.description.contains("speaks 3")
                        && error.description.contains("upgrade") && !error.description.contains("\n"))
                #expect(error.rejectReason == .protocolVersion)
            }
        }
        #expect(WireError(.checksumMismatch, "x").rejectReason == .malformed)
    }

    @Test func bodyLengthOfFourGigabytesInATwentyByteFrameIsRejected() {
        let frame = Fixtures.frame(type: MessageKind.shutdown.rawValue, body: [0, 0, 0, 0], bodyLength: .max)
        #expect(frame.count == 20)
        #expect(Fixtures.errorKind(frame, maxBytes: 1 << 20) == .tooLarge)
        #expect(Fixtures.errorKind(frame, maxBytes: .max) == .truncated)
    }

    @Test func oversizedLengthsInsideTheBodyAreRejected() {
        let huge = Fixtures.le32(.max)
        // Capped strings: the cap is checked first.
        #expect(Fixtures.errorKind(Fixtures.frame(type: MessageKind.shutdown.rawValue, body: huge), maxBytes: .max) == .invalidValue)
        #expect(Fixtures.errorKind(Fixtures.frame(type: MessageKind.hello.rawValue, body: [1, 0] + Fixtures.le32(0xFFFF_FFF0) + [0x61]),
                                   maxBytes: .max) == .invalidValue)
        let frames: [[UInt8]] = [
            Fixtures.frame(type: MessageKind.job.rawValue, body: [UInt8](repeating: 0, count: 32) + huge),  // string length
            Fixtures.frame(type: MessageKind.assignment.rawValue,
                           body: Fixtures.le64(1) + Fixtures.le64(1) + Fixtures.le32(0) + [0, 0] + huge),  // payload count
            Fixtures.frame(type: MessageKind.assignment.rawValue,
                           body: Fixtures.le64(1) + Fixtures.le64(1) + Fixtures.le32(0) + [0, 0] + Fixtures.le32(0) + huge),  // count
            Fixtures.frame(type: MessageKind.assignment.rawValue,
                           body: Fixtures.le64(1) + Fixtures.le64(1) + Fixtures.le32(0) + [0, 0] + Fixtures.le32(0)
                               + Fixtures.le32(0) + huge),  // blob length
            Fixtures.frame(type: MessageKind.result.rawValue,
                           body: Fixtures.le64(1) + Fixtures.le64(1) + Fixtures.le32(0) + Fixtures.le32(1 << 30)
                               + [UInt8](repeating: 0, count: 64)),
            Fixtures.frame(type: MessageKind.result.rawValue,  // an item's scalar count
                           body: Fixtures.le64(1) + Fixtures.le64(1) + Fixtures.le32(0) + Fixtures.le32(1) + Fixtures.le32(0)
                               + Fixtures.le64(0) + Fixtures.le64(0) + Fixtures.le32(0) + Fixtures.le64(0) + huge),
        ]
        for frame in frames {
            #expect(Fixtures.errorKind(frame, maxBytes: .max) == .truncated)
        }
    }

    @Test func framesLargerThanTheLimitAreRejected() {
        let frame = WireCodec.encode(.shutdown(ShutdownMessage(reason: String(repeating: "x", count: 100))))
        #expect(Fixtures.errorKind(frame, maxBytes: frame.count) == nil)
        #expect(Fixtures.errorKind(frame, maxBytes: frame.count - 1) == .tooLarge)
        #expect(Fixtures.errorKind(frame, maxBytes: 0) == .tooLarge)
        #expect(Fixtures.errorKind(frame, maxBytes: -1) == .tooLarge)
    }

    @Test(arguments: [Double.nan, .infinity, -.infinity, .signalingNaN])
    func resultsWithNonFiniteLossOrMetricAreRejected(_ bad: Double) {
        for (loss, metric) in [(bad, 0.5), (0.5, bad)] {
            let good = Fixtures.outcome(1)
            let bad = ResultMessage.TaskOutcome(index: 2, loss: loss, metric: metric, metaGradient: [1], computeSeconds: 0.1)
            let frame = WireCodec.encode(.result(ResultMessage(iteration: 1, parameterVersion: 1, tasks: [good, bad])))
            #expect(Fixtures.errorKind(frame) == .nonFinite)
        }
    }

    @Test(arguments: [Double.nan, .infinity, -.infinity])
    func payloadsAndScalarsWithNonFiniteValuesAreRejected(_ bad: Double) {
        let assignment = AssignmentMessage(iteration: 1, parameterVersion: 1, round: 1, work: 1, payload: [0.5, bad],
                                           taskIndices: [0], parameters: [])
        #expect(Fixtures.errorKind(WireCodec.encode(.assignment(assignment))) == .nonFinite)
        let outcome = ResultMessage.TaskOutcome(index: 0, loss: 1, metric: 1, metaGradient: [], computeSeconds: 0, scalars: [1, bad])
        #expect(Fixtures.errorKind(WireCodec.encode(.result(ResultMessage(iteration: 1, parameterVersion: 1, tasks: [outcome]))))
                == .nonFinite)
    }

    @Test func resultsWithANegativeOrNonFiniteComputeTimeAreRejected() {
        for seconds in [-1.0, .nan, .infinity] {
            let outcome = ResultMessage.TaskOutcome(index: 0, loss: 1, metric: 1, metaGradient: [], computeSeconds: seconds)
            let frame = WireCodec.encode(.result(ResultMessage(iteration: 1, parameterVersion: 1, tasks: [outcome])))
            #expect(Fixtures.errorKind(frame) == .invalidValue)
        }
    }

    @Test func structuralDamageIsReportedByKind() {
        let valid = WireCodec.encode(.shutdown(ShutdownMessage(reason: "done")))
        var badMagic = valid; badMagic[0] = UInt8(ascii: "X")
        var flipped = valid; flipped[14] ^= 0x01
        var badCRC = valid; badCRC[valid.count - 1] ^= 0x80
        let cases: [([UInt8], WireError.Kind)] = [
            (Fixtures.resealed(badMagic), .badMagic),
            (flipped, .checksumMismatch),
            (badCRC, .checksumMismatch),
            (valid + [0], .trailingBytes),
            (Fixtures.frame(type: 0, body: []), .unknownMessageType),
            (Fixtures.frame(type: 9, body: []), .unknownMessageType),
            (Fixtures.frame(type: MessageKind.shutdown.rawValue, body: Fixtures.le32(0), flags: 1), .badFlags),
            (Fixtures.frame(type: MessageKind.shutdown.rawValue, body: Fixtures.le32(0) + [0, 0]), .trailingBytes),
            (Fixtures.frame(type: MessageKind.shutdown.rawValue, body: Fixtures.le32(0) + [2]), .invalidValue),
            (Fixtures.frame(type: MessageKind.shutdown.rawValue, body: Fixtures.le32(0)), .truncated),
            (Fixtures.frame(type: MessageKind.shutdown.rawValue, body: Fixtures.le32(2) + [0xC3, 0x28]), .invalidUTF8),
            (Fixtures.frame(type: MessageKind.shutdown.rawValue, body: Fixtures.le32(3) + [0xED, 0xA0, 0x80]), .invalidUTF8),
            (Fixtures.frame(type: MessageKind.heartbeat.rawValue, body: Fixtures.le64(1) + [2]), .invalidValue),
            (Fixtures.frame(type: MessageKind.reject.rawValue, body: [0] + Fixtures.le32(0)), .invalidValue),
            (Fixtures.frame(type: MessageKind.reject.rawValue, body: [7] + Fixtures.le32(0)), .invalidValue),
            (Fixtures.frame(type: MessageKind.ready.rawValue, body: [UInt8](repeating: 1, count: 31)), .truncated),
            (Fixtures.frame(type: MessageKind.ready.rawValue, body: [UInt8](repeating: 1, count: 33)), .trailingBytes),
        ]
        for (frame, kind) in cases {
            #expect(Fixtures.errorKind(frame) == kind)
        }
    }

    @Test func maxMessageBytesAdmitsAFullAssignmentAndAFullResult() throws {
        let parameterBytes = 10_000, tasks = 8
        let limit = WireCodec.maxMessageBytes(parameterBytes: parameterBytes, tasks: tasks)
        let parameters = Fixtures.bytes(parameterBytes, seed: 4)
        let assignment = WireCodec.encode(.assignment(AssignmentMessage(
            iteration: 1, parameterVersion: 1, taskIndices: (0..<UInt32(tasks)).map { $0 }, parameters: parameters)))
        let result = WireCodec.encode(.result(ResultMessage(iteration: 1, parameterVersion: 1, tasks: (0..<UInt32(tasks)).map {
            Fixtures.outcome($0, gradient: parameters)
        })))
        #expect(assignment.count <= limit && result.count <= limit)
        #expect(result.count + (1 << 20) <= limit)
        #expect(Fixtures.errorKind(result, maxBytes: limit) == nil)
        #expect(WireCodec.maxMessageBytes(parameterBytes: .max, tasks: 100) == .max)

        // With a payload and scalars per item (the learner's bounds), both still fit, and
        // the limit is no larger than they need plus the margin.
        let values = 3_000, scalars = 2
        let wide = WireCodec.maxMessageBytes(parameterBytes: parameterBytes, tasks: tasks, payloadValues: values, scalarsPerTask: scalars)
        let carrying = WireCodec.encode(.assignment(AssignmentMessage(
            iteration: 1, parameterVersion: 1, round: 2, work: 3, payload: [Double](repeating: 1, count: values),
            taskIndices: (0..<UInt32(tasks)).map { $0 }, parameters: parameters)))
        let scored = WireCodec.encode(.result(ResultMessage(iteration: 1, parameterVersion: 1, round: 2, tasks: (0..<UInt32(tasks)).map {
            ResultMessage.TaskOutcome(index: $0, loss: 0, metric: 0, metaGradient: parameters, computeSeconds: 0,
                                      scalars: [Double](repeating: 1, count: scalars))
        })))
        #expect(carrying.count <= wide && scored.count <= wide)
        #expect(max(carrying.count, scored.count) + (1 << 20) == wide)
        #expect(wide == limit + tasks * 8 * scalars)
        #expect(WireCodec.maxMessageBytes(parameterBytes: 0, tasks: 0) > 1 << 20)
    }

    @Test func jobHashIsTheSHA256OfTheConfiguration() {
        #expect(JobHash(configurationYAML: "").description == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Fixtures.job.hashMatchesConfiguration)
        var tampered = Fixtures.job
        tampered.configurationYAML += "# changed\n"
        #expect(!tampered.hashMatchesConfiguration)
        #expect(JobHash(bytes: [UInt8](repeating: 0, count: 31)) == nil)
        #expect(JobHash(bytes: [UInt8](repeating: 0, count: 33)) == nil)
    }
}
