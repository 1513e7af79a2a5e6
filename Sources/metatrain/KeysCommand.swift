import ArgumentParser
import Foundation
import MetaTransport

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "CURVE keys for encrypted, authenticated clusters.",
        subcommands: [Generate.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write NAME.key (secret, mode 0600) and NAME.pub (public) into a directory.")

        @Option(name: .long, help: "The directory to write into (created if missing).")
        var out: String = "."

        @Option(name: .long, help: "The key pair's name, e.g. coordinator or worker-1.")
        var name: String

        func run() throws {
            let keys: CurveKeyPair
            do { keys = try CurveKeyPair.generate() } catch { throw RunError(error.description) }
            let dir = URL(fileURLWithPath: out)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let secret = dir.appendingPathComponent("\(name).key"), pub = dir.appendingPathComponent("\(name).pub")
            for url in [secret, pub] where FileManager.default.fileExists(atPath: url.path) {
                throw RunError("\(url.path) exists; remove it or choose another --name")
            }
            guard FileManager.default.createFile(atPath: secret.path, contents: Data(keys.fileText(includingSecret: true).utf8),
                                                 attributes: [.posixPermissions: 0o600]),
                  FileManager.default.createFile(atPath: pub.path, contents: Data(keys.fileText(includingSecret: false).utf8)) else {
                throw RunError("cannot write the key files into \(dir.path)")
            }
            print("wrote \(secret.path) (secret: keep it on the machine it identifies) and \(pub.path)")
            print("public key: \(keys.publicKey)")
        }
    }
}
