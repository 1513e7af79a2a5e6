import ArgumentParser
import Foundation
import MetaTransport
import MetaTraining

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

        func validate() throws {
            guard !name.isEmpty, !name.contains("/"), !name.hasPrefix(".") else {
                throw ValidationError("--name is a plain file name without '/' or a leading '.', got '\(name)'")
            }
        }

        func run() throws {
            let keys: CurveKeyPair
            do { keys = try CurveKeyPair.generate() } catch { throw RunError(error.description) }
            let files: (secret: URL, public: URL)
            do { files = try keys.writeFiles(directory: URL(fileURLWithPath: out), name: name) } catch { throw RunError(error.description) }
            let (secret, pub) = files
            print("wrote \(secret.path) (secret: keep it on the machine it identifies) and \(pub.path)")
            print("public key: \(keys.publicKey)")
        }
    }
}
