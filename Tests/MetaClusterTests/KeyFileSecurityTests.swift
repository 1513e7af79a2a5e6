import Foundation
import Testing
import MetaTransport
import MetaCluster

/// Coordinator and worker security from key file paths: plain without them, CURVE with them,
/// and one-line errors for files that are missing, garbled or open to others.
@Suite struct KeyFileSecurityTests {
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("metatrain-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func withoutKeyFilesBothSidesArePlain() throws {
        guard case .plain = try CoordinatorSecurity.fromKeyFiles(curveSecret: nil, allow: nil) else {
            Issue.record("the coordinator is not plain"); return
        }
        guard case .plain = try WorkerSecurity.fromKeyFiles(curveSecret: nil, serverKey: nil) else {
            Issue.record("the worker is not plain"); return
        }
    }

    @Test func aSecretWithoutItsCounterpartIsRefused() {
        let coordinator = #expect(throws: ZMQError.self) { try CoordinatorSecurity.fromKeyFiles(curveSecret: "c.key", allow: nil) }
        #expect(coordinator?.code == EINVAL)
        #expect(coordinator?.description == "--curve-secret and --allow go together")
        let worker = #expect(throws: ZMQError.self) { try WorkerSecurity.fromKeyFiles(curveSecret: nil, serverKey: "c.pub") }
        #expect(worker?.code == EINVAL)
        #expect(worker?.description == "--curve-secret and --server-key go together")
    }

    @Test func keyFilesGiveCurveWithTheirKeysAndTheAllowList() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let allowed = dir.appendingPathComponent("allowed")
        let coordinatorKeys = try CurveKeyPair.generate(), workerKeys = try CurveKeyPair.generate()
        let coordinatorFiles = try coordinatorKeys.writeFiles(directory: dir, name: "coordinator")
        let workerFiles = try workerKeys.writeFiles(directory: allowed, name: "worker-1")

        let coordinator = try CoordinatorSecurity.fromKeyFiles(curveSecret: coordinatorFiles.secret.path, allow: allowed.path)
        guard case .curve(let server, let allowedWorkers) = coordinator else { Issue.record("the coordinator is not CURVE"); return }
        #expect(server == coordinatorKeys)
        #expect(allowedWorkers == [workerKeys.publicKey])

        let worker = try WorkerSecurity.fromKeyFiles(curveSecret: workerFiles.secret.path, serverKey: coordinatorFiles.public.path)
        guard case .curve(let client, let serverPublicKey) = worker else { Issue.record("the worker is not CURVE"); return }
        #expect(client == workerKeys)
        #expect(serverPublicKey == coordinatorKeys.publicKey)
    }

    @Test func aSecretKeyFileOpenToOthersIsRefusedOnEitherSide() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = try CurveKeyPair.generate().writeFiles(directory: dir, name: "k")
        #expect(chmod(files.secret.path, 0o644) == 0)

        let coordinator = #expect(throws: ZMQError.self) {
            try CoordinatorSecurity.fromKeyFiles(curveSecret: files.secret.path, allow: files.public.path)
        }
        #expect(coordinator?.code == EACCES)
        #expect(coordinator?.description.contains("run 'chmod 600 \(files.secret.path)'") == true, "\(String(describing: coordinator))")
        let worker = #expect(throws: ZMQError.self) {
            try WorkerSecurity.fromKeyFiles(curveSecret: files.secret.path, serverKey: files.public.path)
        }
        #expect(worker?.code == EACCES)
    }

    @Test func garbledOrMissingFilesAreNamed() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = try CurveKeyPair.generate().writeFiles(directory: dir, name: "k")
        let garbled = dir.appendingPathComponent("garbled.pub")
        try Data("public-key = not-a-key\n".utf8).write(to: garbled)
        let missing = dir.appendingPathComponent("missing.pub").path

        let serverKey = #expect(throws: ZMQError.self) {
            try WorkerSecurity.fromKeyFiles(curveSecret: files.secret.path, serverKey: garbled.path)
        }
        #expect(serverKey?.description.hasPrefix("\(garbled.path): ") == true, "\(String(describing: serverKey))")
        let secret = #expect(throws: ZMQError.self) { try WorkerSecurity.fromKeyFiles(curveSecret: missing, serverKey: files.public.path) }
        #expect(secret?.description.hasPrefix("cannot read key file \(missing): ") == true, "\(String(describing: secret))")
        let allowList = #expect(throws: ZMQError.self) {
            try CoordinatorSecurity.fromKeyFiles(curveSecret: files.secret.path, allow: missing)
        }
        #expect(allowList?.description.hasPrefix("allow-list \(missing) does not exist") == true, "\(String(describing: allowList))")
    }
}
