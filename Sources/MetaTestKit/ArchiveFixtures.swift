import Foundation

/// Zip archives made for tests from real ones (with Python's zipfile, which the test machines have).
public enum ArchiveFixtures {
    /// Writes to `destination` a copy of the zip at `source` in which the first two PNG entries
    /// trade contents: an archive that still loads, with another content digest.
    /// - Returns: python3's exit status (0 on success).
    @discardableResult
    public static func writeSwapped(from source: URL, to destination: URL) throws -> Int32 {
        let script = """
            import sys, zipfile
            with zipfile.ZipFile(sys.argv[1]) as z:
                infos = z.infolist()
                data = {i.filename: z.read(i.filename) for i in infos}
            a, b = [i.filename for i in infos if i.filename.endswith('.png')][:2]
            data[a], data[b] = data[b], data[a]
            with zipfile.ZipFile(sys.argv[2], 'w') as out:
                for i in infos:
                    out.writestr(i, data[i.filename])
            """
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", script, source.path, destination.path]
        try python.run()
        python.waitUntilExit()
        return python.terminationStatus
    }
}
