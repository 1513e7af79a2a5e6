import Foundation
import Testing

/// Package.swift against the sources: every target declares exactly the targets and products its
/// sources import, so the manifest's dependency graph is the code's.
///
/// A dependency of a test target on the executable target `metatrain` is declared without an
/// import: it makes SwiftPM build the binary those tests run.
@Suite struct TargetDependencyTests {
    /// A target as the manifest declares it.
    struct Target {
        var kind: String
        var name: String
        var dependencies: Set<String>
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The text between the bracket or parenthesis at `open` and its partner, both included.
    static func balanced(_ text: [Character], from open: Int) -> Int? {
        var depth = 0
        for i in open..<text.count {
            switch text[i] {
            case "(", "[": depth += 1
            case ")", "]":
                depth -= 1
                if depth == 0 { return i }
            default: break
            }
        }
        return nil
    }

    static func strings(_ pattern: String, in text: String) -> [String] {
        let regex = try! NSRegularExpression(pattern: pattern)
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range(at: 1), in: text).map { String(text[$0]) }
        }
    }

    /// The targets of Package.swift: `.target`, `.executableTarget`, `.testTarget` and
    /// `.systemLibrary` calls, with the target names and product names they depend on.
    static func targets() throws -> [Target] {
        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let chars = Array(manifest)
        let regex = try NSRegularExpression(pattern: #"\.(target|executableTarget|testTarget|systemLibrary)\("#)
        var out: [Target] = []
        for match in regex.matches(in: manifest, range: NSRange(manifest.startIndex..., in: manifest)) {
            let kind = String(manifest[Range(match.range(at: 1), in: manifest)!])
            let open = manifest.distance(from: manifest.startIndex, to: Range(match.range, in: manifest)!.upperBound) - 1
            guard let close = balanced(chars, from: open) else { continue }
            let call = String(chars[open...close])
            guard let name = strings(#"name:\s*"(\w+)""#, in: call).first else { continue }
            var dependencies = Set<String>()
            if let range = call.range(of: "dependencies: [") {
                let callChars = Array(call)
                let start = call.distance(from: call.startIndex, to: range.upperBound) - 1
                let end = balanced(callChars, from: start) ?? callChars.count - 1
                let list = String(callChars[start...end])
                let products = strings(#"\.product\(name:\s*"(\w+)""#, in: list)
                let plain = list.replacingOccurrences(of: #"\.product\([^)]*\)"#, with: "", options: .regularExpression)
                dependencies = Set(strings(#""(\w+)""#, in: plain) + products)
            }
            out.append(Target(kind: kind, name: name, dependencies: dependencies))
        }
        return out
    }

    /// The modules `import`ed by the Swift files under `directory`.
    static func imports(under directory: URL) -> Set<String> {
        var modules = Set<String>()
        guard let files = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else { return modules }
        for case let file as URL in files where file.pathExtension == "swift" {
            guard let text = try? String(contentsOf: file, encoding: .utf8) else { continue }
            modules.formUnion(strings(#"(?m)^\s*(?:@testable\s+|@_exported\s+)?import\s+(?:(?:struct|class|enum|protocol|func|var|typealias)\s+)?(\w+)"#,
                                      in: text))
        }
        return modules
    }

    @Test func theManifestIsReadable() throws {
        let targets = try Self.targets()
        #expect(targets.count >= 30)
        #expect(targets.contains { $0.kind == "executableTarget" && $0.name == "metatrain" && $0.dependencies.contains("ArgumentParser") })
        #expect(targets.contains { $0.name == "MetaTraining" && $0.dependencies.contains("MetaCluster") })
    }

    @Test func everyTargetDeclaresExactlyTheTargetsAndProductsItImports() throws {
        let targets = try Self.targets()
        // Only names the manifest knows count: Foundation, Testing, Glibc and the like are not dependencies.
        let known = Set(targets.map(\.name)).union(targets.flatMap(\.dependencies))
        let executables = Set(targets.filter { $0.kind == "executableTarget" }.map(\.name))
        for target in targets where target.kind != "systemLibrary" {
            let folder = Self.root.appendingPathComponent(target.kind == "testTarget" ? "Tests" : "Sources").appendingPathComponent(target.name)
            #expect(FileManager.default.fileExists(atPath: folder.path), "no folder for \(target.name)")
            let imported = Self.imports(under: folder).intersection(known)
            let missing = imported.subtracting(target.dependencies)
            let unused = target.dependencies.subtracting(imported).subtracting(target.kind == "testTarget" ? executables : [])
            #expect(missing.isEmpty, "\(target.name) imports \(missing.sorted()) without declaring them")
            #expect(unused.isEmpty, "\(target.name) declares \(unused.sorted()) without importing them")
        }
    }
}
