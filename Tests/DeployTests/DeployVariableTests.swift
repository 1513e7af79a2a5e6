import Foundation
import Testing

/// The deployment files name only variables the binary reads: every `METATRAIN_*` variable that
/// compose.yaml or a Kubernetes manifest sets appears in the `--help` of the command its
/// service runs (or is the data folder, which the data loader reads).
@Suite struct DeployVariableTests {
    let deploy = repositoryRoot.appendingPathComponent("deploy")

    func variables(in text: String) -> Set<String> {
        let pattern = try! NSRegularExpression(pattern: "METATRAIN_[A-Z_]+")
        let range = NSRange(text.startIndex..., in: text)
        return Set(pattern.matches(in: text, range: range).compactMap { Range($0.range, in: text).map { String(text[$0]) } })
    }

    func helpText(_ command: String) throws -> String {
        try run(metatrainBinary.path, [command, "--help"]).output
    }

    @Test func everyVariableTheDeployFilesSetIsOneTheCommandsRead() throws {
        let readByLoader: Set<String> = ["METATRAIN_OMNIGLOT_DIR"]
        let help = try helpText("coordinator") + helpText("worker") + helpText("train")
        let known = variables(in: help).union(readByLoader)
        #expect(known.contains("METATRAIN_BIND") && known.contains("METATRAIN_COORDINATOR"), "--help lists no variables")
        var files = ["compose.yaml"]
        files += try FileManager.default.contentsOfDirectory(atPath: deploy.appendingPathComponent("kubernetes").path)
            .filter { $0.hasSuffix(".yaml") }.map { "kubernetes/\($0)" }
        for file in files {
            let text = try String(contentsOf: deploy.appendingPathComponent(file), encoding: .utf8)
            // The variables set for the process; compose's own ${…} inputs come from the shell.
            let lines = text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("#") }
            let set = variables(in: lines.joined(separator: "\n").replacingOccurrences(of: "\\$\\{[^}]*\\}", with: "", options: .regularExpression))
            let unknown = set.subtracting(known)
            #expect(unknown.isEmpty, "\(file) sets \(unknown.sorted()), which no command reads")
        }
    }
}
