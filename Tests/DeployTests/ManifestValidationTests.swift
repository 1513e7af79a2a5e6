import Foundation
import Testing
import MetaConfig
import Yams

/// The container and cluster files, validated against their published schemas with validators
/// from PyPI (check-jsonschema's vendored compose-spec; kubernetes-validate's offline
/// Kubernetes schemas), which `scripts/install-deps.sh` installs.
@Suite struct ManifestValidationTests {
    let deploy = repositoryRoot.appendingPathComponent("deploy")

    func requireValidators() -> Bool {
        guard pythonHas("check_jsonschema"), pythonHas("kubernetes_validate") else {
            Issue.record("the schema validators are missing: run scripts/install-deps.sh (pip: check-jsonschema, kubernetes-validate)")
            return false
        }
        return true
    }

    func temporaryCopy(_ text: String, name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("deploy-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test func theComposeFileValidatesAgainstTheComposeSpecAndABrokenOneDoesNot() throws {
        guard requireValidators() else { return }
        let compose = deploy.appendingPathComponent("compose.yaml")
        let good = try python(["-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", compose.path])
        #expect(good.status == 0, "\(good.output)")
        let text = try String(contentsOf: compose, encoding: .utf8)
        let broken = try temporaryCopy(text.replacingOccurrences(of: "    healthcheck:", with: "    health_check:"), name: "compose.yaml")
        defer { try? FileManager.default.removeItem(at: broken.deletingLastPathComponent()) }
        #expect(try python(["-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", broken.path]).status != 0)
    }

    @Test func theKubernetesManifestsValidateStrictlyAndAMisspelledFieldDoesNot() throws {
        guard requireValidators() else { return }
        let dir = deploy.appendingPathComponent("kubernetes")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(files.count >= 4)
        let good = try python(["-m", "kubernetes_validate", "-k", "1.30.0", "--strict"] + files.map { dir.appendingPathComponent($0).path })
        #expect(good.status == 0, "\(good.output)")
        #expect(!good.output.contains("ERROR"))
        let workers = try String(contentsOf: dir.appendingPathComponent("workers.yaml"), encoding: .utf8)
        let broken = try temporaryCopy(workers.replacingOccurrences(of: "parallelism: 4", with: "paralelism: 4"), name: "workers.yaml")
        defer { try? FileManager.default.removeItem(at: broken.deletingLastPathComponent()) }
        #expect(try python(["-m", "kubernetes_validate", "-k", "1.30.0", "--strict", broken.path]).status != 0)
    }

    @Test func theConfigMapHoldsARunConfigurationMetatrainAccepts() throws {
        let text = try String(contentsOf: deploy.appendingPathComponent("kubernetes/configmap.yaml"), encoding: .utf8)
        let node = try #require(try Yams.compose(yaml: text))
        let runYAML = try #require(node["data"]?["run.yaml"]?.string)
        let config = try ConfigFile.parse(runYAML)
        #expect(config.name == "omniglot-5w1s-maml")
        #expect(config.iterations == 60_000)
    }

    /// The packages the Dockerfile's runtime stage installs (between its markers).
    func dockerfileRuntimePackages() throws -> Set<String> {
        let text = try String(contentsOf: deploy.appendingPathComponent("Dockerfile"), encoding: .utf8)
        let start = try #require(text.range(of: "# runtime-libraries-begin")), end = try #require(text.range(of: "# runtime-libraries-end"))
        let block = text[start.upperBound..<end.lowerBound]
        var packages = Set<String>()
        for line in block.split(separator: "\n") {
            let word = line.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "\\", with: "").trimmingCharacters(in: .whitespaces)
            if word.range(of: "^[a-z0-9][a-z0-9.+-]+$", options: .regularExpression) != nil { packages.insert(word) }
        }
        return packages
    }

    @Test func theDockerfileRuntimeStageInstallsExactlyTheLibrariesTheBinaryNeeds() throws {
        let listed = try dockerfileRuntimePackages()
        #expect(listed.contains("libzmq5"))
        let needed = try run("/usr/bin/readelf", ["-d", metatrainBinary.path]).output
            .split(separator: "\n").compactMap { line -> String? in
                guard line.contains("(NEEDED)"), let a = line.firstIndex(of: "["), let b = line.firstIndex(of: "]") else { return nil }
                return String(line[line.index(after: a)..<b])
            }
        let ldd = try run("/usr/bin/ldd", [metatrainBinary.path]).output
        // The C runtime is in every Debian image; the Swift runtime is linked statically into
        // the image's binary (--static-swift-stdlib) or staged next to it (the compose test), so
        // libraries from the toolchain do not count.
        let base: Set<String> = ["libc6", "libgcc-s1", "libstdc++6"]
        var required = Set<String>()
        for library in needed {
            guard let line = ldd.split(separator: "\n").first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(library + " ") }),
                  let path = line.split(separator: " ").first(where: { $0.hasPrefix("/") }).map(String.init) else {
                Issue.record("ldd does not resolve \(library)")
                continue
            }
            let real = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            if real.hasPrefix("/opt/swift") || real.contains("/swift/linux/") || real.contains("/usr/lib/swift") { continue }
            var owner = try run("/usr/bin/dpkg", ["-S", real])
            if owner.status != 0, real.hasPrefix("/usr/") { owner = try run("/usr/bin/dpkg", ["-S", String(real.dropFirst(4))]) }
            #expect(owner.status == 0, "no Debian package owns \(real)")
            guard let package = owner.output.split(separator: ":").first.map(String.init) else { continue }
            if !base.contains(package) { required.insert(package) }
        }
        #expect(required.isSubset(of: listed), "the runtime stage misses \(required.subtracting(listed).sorted())")
        #expect(listed.isSubset(of: required.union(base)), "the runtime stage installs unneeded \(listed.subtracting(required).sorted())")
    }
}
