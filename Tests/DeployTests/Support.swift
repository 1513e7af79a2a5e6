import Foundation
import MetaTestKit

/// The repository's root (this file is Tests/DeployTests/Support.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Runs a program and returns its exit status and combined output.
@discardableResult
func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    if let environment { p.environment = environment }
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// `python3 -m MODULE ARGS`, with python3 from PATH.
func python(_ arguments: [String]) throws -> (status: Int32, output: String) {
    try run("/usr/bin/env", ["python3"] + arguments)
}

/// Whether python3 can import `module`.
func pythonHas(_ module: String) -> Bool {
    (try? python(["-c", "import \(module)"]).status) == 0
}

/// The `metatrain` executable of this build (next to the test bundle).
let metatrainBinary = BuiltProducts.metatrain
