import Foundation
import Testing
import MetaTestKit

/// The archives the test server serves copies of: ../shared/datasets/omniglot from the package root.
enum FetchFixture {
    static let omniglot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("../shared/datasets/omniglot").standardizedFileURL
    static let available = FileManager.default.fileExists(atPath: omniglot.appendingPathComponent("images_background.zip").path)
}

/// `metatrain data fetch omniglot` end to end: the real binary against a local HTTP server
/// (range_server.py) serving copies of the archives. Nothing reaches the internet.
@Suite(.serialized, .enabled(if: FetchFixture.available, "skipped: the Omniglot archives are not at ../shared/datasets/omniglot"))
struct DataFetchTests {
    static let omniglot = FetchFixture.omniglot
    static let archives = ["images_background.zip", "images_evaluation.zip"]
    static let official = "8745d3284205c70953ebeacd9061b7dfdadc5961afab7b71a1553c9aa5bcb1af"

    /// range_server.py serving `root`, stopped when released.
    final class Server {
        let process = Process()
        let log: URL
        let url: String

        init(root: URL, in dir: URL, flags: [String] = []) throws {
            let script = try #require(Bundle.module.url(forResource: "range_server", withExtension: "py"))
            log = dir.appendingPathComponent("server-\(UUID().uuidString.prefix(6)).log")
            let portFile = dir.appendingPathComponent("port-\(UUID().uuidString.prefix(6))")
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", script.path, "--root", root.path, "--port-file", portFile.path, "--log", log.path] + flags
            try process.run()
            let deadline = Date().addingTimeInterval(30)
            while !FileManager.default.fileExists(atPath: portFile.path) && Date() < deadline && process.isRunning { usleep(20_000) }
            let port = try #require(try? String(contentsOf: portFile, encoding: .utf8), "the test server did not start")
            url = "http://127.0.0.1:\(port)"
        }

        /// The requests served so far, one line each: `GET /PATH range=RANGE status=STATUS`.
        var requests: [String] {
            ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }

        deinit {
            // SIGKILL: a child started from a test thread inherits its blocked SIGTERM.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Runs `metatrain data fetch omniglot ARGS` with METATRAIN_DATA_URL unset.
    static func fetch(_ arguments: [String], in dir: URL) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = BuiltProducts.metatrain
        process.arguments = ["data", "fetch", "omniglot"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["METATRAIN_DATA_URL"] = nil
        process.environment = environment
        let out = dir.appendingPathComponent("fetch-\(UUID().uuidString.prefix(6)).out"), err = out.appendingPathExtension("err")
        for file in [out, err] { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, try String(contentsOf: out, encoding: .utf8), try String(contentsOf: err, encoding: .utf8))
    }

    static func bytes(_ url: URL) -> Data? { FileManager.default.contents(atPath: url.path) }

    static func files(in dir: URL) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted() }

    /// The `Error:` lines of a failed command's standard error.
    static func errorLines(_ stderr: String) -> [Substring] { stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") } }

    @Test func aFullFetchFollowsARedirectVerifiesAndInstallsBothArchivesThenFindsThemInPlace() throws {
        let dir = BuiltProducts.temporaryDirectory("fetch-full")
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try Server(root: Self.omniglot, in: dir)
        let target = dir.appendingPathComponent("data/omniglot")
        let run = try Self.fetch(["--to", target.path, "--from", server.url + "/redirect"], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(Self.files(in: target) == Self.archives)
        for name in Self.archives {
            #expect(Self.bytes(target.appendingPathComponent(name)) == Self.bytes(Self.omniglot.appendingPathComponent(name)))
        }
        #expect(run.stdout.contains("installed images_background.zip and images_evaluation.zip in \(target.path), content digest verified (\(Self.official))"))
        #expect(run.stderr.contains("images_background.zip [####################]  8.39 MB / 8.39 MB  100%"), "\(run.stderr)")
        #expect(server.requests.contains("GET /redirect/images_background.zip range=- status=302"), "\(server.requests)")

        let served = server.requests.count
        let again = try Self.fetch(["--to", target.path, "--from", server.url], in: dir)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("already in \(target.path), content digest verified"))
        #expect(server.requests.count == served)
    }

    @Test func aFetchResumesATruncatedPartFileWithARangeRequest() throws {
        let dir = BuiltProducts.temporaryDirectory("fetch-resume")
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try Server(root: Self.omniglot, in: dir)
        let target = dir.appendingPathComponent("omniglot")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        let original = try #require(Self.bytes(Self.omniglot.appendingPathComponent("images_background.zip")))
        try original.prefix(3_000_000).write(to: target.appendingPathComponent("images_background.zip.part"))
        let run = try Self.fetch(["--to", target.path, "--from", server.url], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(server.requests.contains("GET /images_background.zip range=bytes=3000000- status=206"), "\(server.requests)")
        #expect(server.requests.contains("GET /images_evaluation.zip range=- status=200"), "\(server.requests)")
        #expect(run.stderr.contains("resuming images_background.zip from byte 3000000"), "\(run.stderr)")
        #expect(Self.bytes(target.appendingPathComponent("images_background.zip")) == original)
        #expect(Self.files(in: target) == Self.archives)
    }

    @Test func aServerThatIgnoresTheRangeGivesACleanRestart() throws {
        let dir = BuiltProducts.temporaryDirectory("fetch-norange")
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try Server(root: Self.omniglot, in: dir, flags: ["--ignore-range"])
        let target = dir.appendingPathComponent("omniglot")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        let original = try #require(Self.bytes(Self.omniglot.appendingPathComponent("images_evaluation.zip")))
        try original.prefix(1_000_000).write(to: target.appendingPathComponent("images_evaluation.zip.part"))
        let run = try Self.fetch(["--to", target.path, "--from", server.url], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(server.requests.contains("GET /images_evaluation.zip range=bytes=1000000- status=200"), "\(server.requests)")
        #expect(run.stderr.contains("the server ignored the range request for images_evaluation.zip"), "\(run.stderr)")
        #expect(Self.bytes(target.appendingPathComponent("images_evaluation.zip")) == original)
    }

    @Test func alteredBytesGiveOneErrorLineAndNoFinalFile() throws {
        let dir = BuiltProducts.temporaryDirectory("fetch-corrupt")
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try Server(root: Self.omniglot, in: dir, flags: ["--corrupt"])
        let target = dir.appendingPathComponent("omniglot")
        let run = try Self.fetch(["--to", target.path, "--from", server.url], in: dir)
        #expect(run.status == 1, "\(run.stderr)")
        let errors = Self.errorLines(run.stderr)
        #expect(errors.count == 1, "\(run.stderr)")
        #expect(errors.first?.contains("are not the omniglot data set") == true, "\(run.stderr)")
        #expect(errors.first?.hasSuffix("nothing was installed") == true, "\(run.stderr)")
        #expect(Self.files(in: target).isEmpty, "\(Self.files(in: target))")
    }

    @Test func otherArchivesGiveADigestMismatchAndKeepWhatTheUserHad() throws {
        let dir = BuiltProducts.temporaryDirectory("fetch-other")
        defer { try? FileManager.default.removeItem(at: dir) }
        let served = dir.appendingPathComponent("served")
        try FileManager.default.createDirectory(at: served, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.omniglot.appendingPathComponent("images_background.zip"),
                                         to: served.appendingPathComponent("images_background.zip"))
        #expect(try ArchiveFixtures.writeSwapped(from: Self.omniglot.appendingPathComponent("images_evaluation.zip"),
                                                 to: served.appendingPathComponent("images_evaluation.zip")) == 0)
        let server = try Server(root: served, in: dir)
        let target = dir.appendingPathComponent("omniglot")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        let mine = Data("the user's own file".utf8)
        try mine.write(to: target.appendingPathComponent("notes.txt"))

        let run = try Self.fetch(["--to", target.path, "--from", server.url], in: dir)
        #expect(run.status == 1, "\(run.stderr)")
        let errors = Self.errorLines(run.stderr)
        #expect(errors.count == 1, "\(run.stderr)")
        let line = String(errors.first ?? "")
        #expect(line.contains("the omniglot files have content digest "), "\(line)")
        #expect(line.contains(", not \(Self.official)"), "\(line)")
        #expect(line.contains("\(server.url) serves other files; nothing was installed"), "\(line)")
        #expect(Self.files(in: target) == ["notes.txt"])
        #expect(Self.bytes(target.appendingPathComponent("notes.txt")) == mine)
    }

    @Test func anUnreachableServerGivesOneErrorLine() throws {
        let dir = BuiltProducts.temporaryDirectory("fetch-unreachable")
        defer { try? FileManager.default.removeItem(at: dir) }
        // A port nothing listens on: bound and closed a moment ago.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        close(fd)
        let url = "http://127.0.0.1:\(UInt16(bigEndian: address.sin_port))"
        let target = dir.appendingPathComponent("omniglot")
        let run = try Self.fetch(["--to", target.path, "--from", url], in: dir)
        #expect(run.status == 1, "\(run.stderr)")
        let errors = Self.errorLines(run.stderr)
        #expect(errors.count == 1, "\(run.stderr)")
        #expect(errors.first?.hasPrefix("Error: cannot download \(url)/images_background.zip: ") == true, "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: target.appendingPathComponent("images_background.zip").path))
    }

    @Test func theBaseURLComesFromTheEnvironmentWhenNotGiven() throws {
        let dir = BuiltProducts.temporaryDirectory("fetch-env")
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try Server(root: Self.omniglot, in: dir)
        let process = Process()
        process.executableURL = BuiltProducts.metatrain
        process.arguments = ["data", "fetch", "omniglot"]
        var environment = ProcessInfo.processInfo.environment
        environment["METATRAIN_DATA_URL"] = server.url
        environment["METATRAIN_OMNIGLOT_DIR"] = dir.appendingPathComponent("from-env").path
        process.environment = environment
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(Self.files(in: dir.appendingPathComponent("from-env")) == Self.archives)
        #expect(server.requests.count == 2, "\(server.requests)")
    }
}
