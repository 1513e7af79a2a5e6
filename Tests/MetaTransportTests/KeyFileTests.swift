import Foundation
import Testing
import MetaTransport

/// Secret key files are private from their creation and refused when they are not.
@Suite struct KeyFileTests {
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func mode(_ url: URL) -> mode_t {
        var info = stat()
        return stat(url.path, &info) == 0 ? info.st_mode & 0o777 : 0
    }

    @Test func keyFilesAreWrittenWithTheirFinalModesAndNoTemporaryFileRemains() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let keys = try CurveKeyPair.generate()
        let files = try keys.writeFiles(directory: dir, name: "coordinator")
        #expect(Self.mode(files.secret) == 0o600)
        #expect(Self.mode(files.public) == 0o644)
        #expect(try CurveKeyPair.read(path: files.secret.path) == keys)
        #expect(try CurveKeyPair.read(path: files.public.path).secretKey == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["coordinator.key", "coordinator.pub"])
    }

    @Test func writingNeverReplacesAnExistingKeyFile() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try CurveKeyPair.generate()
        let files = try first.writeFiles(directory: dir, name: "w")
        #expect(throws: ZMQError.self) { try CurveKeyPair.generate().writeFiles(directory: dir, name: "w") }
        #expect(try CurveKeyPair.read(path: files.secret.path) == first)
    }

    @Test func aSecretKeyFileOpenToGroupOrOthersIsRefusedNamingTheChmod() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = try CurveKeyPair.generate().writeFiles(directory: dir, name: "worker")
        for mode: mode_t in [0o640, 0o604, 0o610, 0o644] {
            #expect(chmod(files.secret.path, mode) == 0)
            do {
                _ = try CurveKeyPair.read(path: files.secret.path)
                Issue.record("a secret key file with mode \(String(mode, radix: 8)) was accepted")
            } catch {
                #expect(error.description.contains("chmod 600 \(files.secret.path)"), "\(error)")
                #expect(error.description.contains(String(mode, radix: 8)), "\(error)")
                #expect(!error.description.contains("\n"))
            }
        }
        #expect(chmod(files.secret.path, 0o400) == 0)
        #expect(try CurveKeyPair.read(path: files.secret.path).secretKey != nil)
        // A public key file is meant to be shared.
        #expect(chmod(files.public.path, 0o666) == 0)
        #expect(try CurveKeyPair.read(path: files.public.path).secretKey == nil)
    }
}
