import ArgumentParser
import Foundation
import MetaFetch
import MetaTraining

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "Data sets: download and verify.",
        subcommands: [Fetch.self])

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a data set's official files, resuming partial downloads, and install them once their content digest verifies.",
            discussion: "omniglot: images_background.zip and images_evaluation.zip from github.com/brendenlake/omniglot "
                + "(MIT licence, Brenden Lake), checked by the SHA-256 of their PNGs' manifest.")

        @Argument(help: "The data set: \(DatasetSource.all.map(\.name).joined(separator: ", ")).")
        var name: String

        @Option(name: .long, help: "The folder to put the files in (default: the folder training reads, $METATRAIN_OMNIGLOT_DIR or data/omniglot).")
        var to: String?

        @Option(name: .long, help: "The base URL of a mirror holding the same files (default: $\(DatasetFetch.baseURLVariable), else the official address).")
        var from: String?

        func validate() throws {
            guard DatasetSource.named(name) != nil else {
                throw ValidationError("unknown data set '\(name)'; expected \(DatasetSource.all.map(\.name).joined(separator: ", "))")
            }
            if let from, !(from.hasPrefix("http://") || from.hasPrefix("https://")) {
                throw ValidationError("--from must be an http:// or https:// URL, got '\(from)'")
            }
        }

        func run() throws {
            let fetch = DatasetFetch(DatasetSource.named(name)!, from: from, to: to)
            let log = { (line: String) in FileHandle.standardError.write(Data("data fetch: \(line)\n".utf8)) }
            let outcome: DatasetFetch.Outcome
            do {
                outcome = try fetch.run(log: log) { file in DownloadProgress(label: file) }
            } catch let error as FetchError {
                throw RunError(error.description)
            }
            switch outcome {
            case .alreadyPresent:
                print("\(name): \(fetch.source.files.joined(separator: " and ")) already in \(fetch.directory), content digest verified "
                      + "(\(fetch.source.contentDigest))")
            case .fetched(let files):
                print("\(name): installed \(files.joined(separator: " and ")) in \(fetch.directory), content digest verified "
                      + "(\(fetch.source.contentDigest))")
            }
        }
    }
}
