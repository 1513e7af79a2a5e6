import MetaTensor
import MetaChecksum
import Foundation

/// The Omniglot data set (Lake et al. 2015) decoded once into memory: 1,623 characters ×
/// 20 drawings, each a 28×28 image of one byte per pixel (≈ 25 MB).
///
/// Contract:
/// - **Source.** `directory` holds the official archives `images_background.zip` and
///   `images_evaluation.zip` (entries `images_<archive>/<alphabet>/character<NN>/<id>_<nn>.png`,
///   stored or deflate), or the folders `images_background/` and `images_evaluation/` they
///   unzip to. When both a zip and its folder exist, the zip is read (its entries carry CRCs).
///   Entries other than PNG files (folders, `__MACOSX/`, hidden files) are ignored.
/// - **Checks.** The characters found must be exactly those of `split` (after
///   ``OmniglotSplit/verify()``), each with exactly the 20 drawings `<id>_01.png` … `<id>_20.png`
///   of one id, each a 105×105 PNG. Any failure throws one ``OmniglotError`` whose
///   description names the path and what was expected; a missing archive gives
///   "expected images_background.zip or an images_background/ folder in DIR (the official
///   Omniglot archives)"; a damaged one names the archive and the entry.
/// - **Pixels.** Each PNG is decoded with libpng to 8-bit gray, inverted so that ink is
///   high and the background 0, and reduced from 105×105 to 28×28 by exact area averaging
///   (a box filter 3.75 source pixels wide: each output pixel is the mean ink coverage of
///   the source area it covers, with fractional weights at the edges), then rounded to a
///   byte: 0 = no ink, 255 = fully inked. Inputs built from it are `byte / 255` in [0, 1].
///   MAML's reference code instead resizes with PIL's LANCZOS filter and inverts (`1 − x`)
///   at load; area averaging has no ringing (values stay in [0, 1]) and preserves the ink
///   mass, and the two differ only in the grey levels along stroke edges.
/// - **Identity.** ``contentDigest`` is the SHA-256 of the `sha256sum` manifest of the 32,460
///   PNG files read (``ManifestDigest``, paths `images_<archive>/<alphabet>/<character>/<file>`),
///   computed from the bytes decoded, so zips and unzipped folders of the same images have the
///   same digest. For the official archives it is ``officialContentDigest``. Runs record it
///   (not the folder, which is each process's own setting: ``localDirectory``).
/// - **Order.** ``characters`` is in the split table's order; drawing `d` of a character is
///   the file `<id>_<d+1>.png` (drawer `d+1`).
/// - Immutable after `init`, so one instance is shared by every task and thread.
public final class OmniglotDataset: Sendable {
    /// One character (class) of the data set.
    public struct Character: Sendable, Hashable {
        /// `images_background` or `images_evaluation`.
        public let archive: String
        /// The alphabet's folder name, e.g. `Alphabet_of_the_Magi`.
        public let alphabet: String
        /// The character's folder name, e.g. `character01`.
        public let name: String
        /// The global character id of its file names (1…1623).
        public let id: Int
        /// `<archive>/<alphabet>/<name>`, as in the split table.
        public var path: String { "\(archive)/\(alphabet)/\(name)" }
    }

    /// Side of the stored images (28).
    public static let side = 28
    /// Bytes per stored image (28 × 28).
    public static let pixelsPerImage = side * side
    /// Drawings per character (20).
    public static let drawingsPerCharacter = 20
    /// Side of the source PNGs (105).
    public static let sourceSide = 105
    /// The two archives, in split order.
    public static let archives = ["images_background", "images_evaluation"]
    /// The environment variable that overrides the data set's directory (see ``directory(default:)``).
    public static let environmentVariable = "METATRAIN_OMNIGLOT_DIR"
    /// The folder, relative to the working directory, read when ``environmentVariable`` is unset.
    public static let defaultDirectory = "data/omniglot"
    /// The content digest of the official archives (brendenlake/omniglot, `python/`): the
    /// manifest digest of SOURCE_AND_LICENSE.md, made with `sha256sum` from the unzipped files.
    public static let officialContentDigest = "8745d3284205c70953ebeacd9061b7dfdadc5961afab7b71a1553c9aa5bcb1af"

    /// The directory the data set was read from.
    public let directory: String
    /// The split the characters were checked against.
    public let split: OmniglotSplit
    /// All characters, in the split table's order.
    public let characters: [Character]
    /// The SHA-256 manifest digest of the PNG files read (see the type's contract).
    public let contentDigest: String
    /// Wall-clock time `init` took (reading, decoding, resizing, checking), in seconds.
    public let loadSeconds: Double
    private let pixels: [UInt8]
    private let trainIndices: [Int], validationIndices: [Int], testIndices: [Int]

    /// `$METATRAIN_OMNIGLOT_DIR` when set and non-empty, otherwise `defaultDirectory`.
    public static func directory(default defaultDirectory: String) -> String {
        if let value = ProcessInfo.processInfo.environment[environmentVariable], !value.isEmpty { return value }
        return defaultDirectory
    }

    /// This process's data folder: `$METATRAIN_OMNIGLOT_DIR`, else ``defaultDirectory`` under
    /// the working directory. Each process (coordinator, worker, `eval`) reads its own; a job
    /// never carries a folder, only the data's ``contentDigest``.
    public static var localDirectory: String { directory(default: defaultDirectory) }

    /// Throws unless this data's ``contentDigest`` is `expected` (nil: any data will do).
    /// - Throws: ``OmniglotError`` of kind ``OmniglotError/Kind/otherContent``, one line naming
    ///   both digests and what to do.
    public func checkContent(_ expected: String?) throws {
        guard let expected, expected != contentDigest else { return }
        throw OmniglotError(.otherContent, "the archives in \(directory) have content digest \(contentDigest), not \(expected), the digest "
                            + "of the data this run or job was made with; point \(Self.environmentVariable) at that data (`metatrain data "
                            + "fetch omniglot` gets the official archives, digest \(Self.officialContentDigest.prefix(12))…)")
    }

    /// The content digest of the two archives at `zipFiles` (the zip files of ``archives``, in
    /// that order, under any file names) without decoding the images: what ``contentDigest``
    /// of a data set loaded from them would be, for archives the loader accepts.
    /// - Throws: ``OmniglotError`` when a file is missing or damaged, or holds no PNG entries.
    public static func contentDigest(zipFiles: [String]) throws -> String {
        precondition(zipFiles.count == archives.count, "one zip file per archive")
        var files: [(path: String, sha256: String)] = []
        for (archive, path) in zip(archives, zipFiles) {
            for (character, file, source) in try listZip(archive, at: path) {
                files.append(("\(character)/\(file)", try SHA256.hexDigest(bytes(of: source).bytes)))
            }
        }
        return ManifestDigest.hexDigest(files)
    }

    /// The data set in `directory` under ``OmniglotSplit/v1``, loaded on first use and shared
    /// by every later call with the same (standardized) directory in this process. A failed
    /// load is not cached: the next call tries again.
    public static func shared(directory: String) throws -> OmniglotDataset {
        let key = URL(fileURLWithPath: directory).standardizedFileURL.path
        return try cache.lock.withLock {
            if let dataset = cache.datasets[key] { return dataset }
            let dataset = try OmniglotDataset(directory: directory)
            cache.datasets[key] = dataset
            return dataset
        }
    }

    private final class Cache: @unchecked Sendable {
        let lock = NSLock()
        var datasets: [String: OmniglotDataset] = [:]
    }
    private static let cache = Cache()

    /// Reads, checks and decodes the whole data set; see the type's contract.
    public init(directory: String, split: OmniglotSplit = .v1) throws {
        let clock = ContinuousClock(), start = clock.now
        try split.verify()
        self.directory = directory
        self.split = split

        // 1. List the PNG files of each archive, grouped by character folder.
        var sources: [String: [String: Source]] = [:]   // character path → file name → source
        for archive in Self.archives {
            for (path, file, source) in try Self.listArchive(archive, in: directory) {
                sources[path, default: [:]][file] = source
            }
        }

        // 2. The characters must be exactly the split's.
        let expected = Set(split.paths)
        let missing = split.paths.filter { sources[$0] == nil }
        let unexpected = sources.keys.filter { !expected.contains($0) }.sorted()
        if !missing.isEmpty || !unexpected.isEmpty {
            var parts: [String] = []
            if !missing.isEmpty { parts.append("\(missing.count) of its characters are missing (first: \(missing[0]))") }
            if !unexpected.isEmpty { parts.append("\(unexpected.count) characters are not in it (first: \(unexpected[0]))") }
            throw OmniglotError(.splitMismatch, "the characters in \(directory) do not match split \(split.name): \(parts.joined(separator: "; ")) (expected the official images_background and images_evaluation archives)")
        }

        // 3. Each character holds <id>_01.png … <id>_20.png.
        var characters: [Character] = []
        var jobs: [Source] = []
        var names: [String] = []
        characters.reserveCapacity(split.paths.count)
        jobs.reserveCapacity(split.paths.count * Self.drawingsPerCharacter)
        for path in split.paths {
            let files = sources[path]!
            let components = path.split(separator: "/").map(String.init)
            guard let found = Self.characterID(files.keys), components.count == 3 else {
                throw OmniglotError(.badCharacter, "\(path) in \(directory): expected exactly the 20 drawings <id>_01.png … <id>_20.png of one character id, found \(files.count) files (\(files.keys.sorted().prefix(3).joined(separator: ", "))…)")
            }
            let (id, idText) = found
            characters.append(Character(archive: components[0], alphabet: components[1], name: components[2], id: id))
            for drawing in 1...Self.drawingsPerCharacter {
                let name = "\(idText)_\(drawing < 10 ? "0" : "")\(drawing).png"
                jobs.append(files[name]!)
                names.append("\(path)/\(name)")
            }
        }

        // 4. Decode every PNG once, in parallel, into one buffer, hashing the bytes decoded.
        let (pixels, digests) = try Self.decodeAll(jobs)
        self.pixels = pixels
        contentDigest = ManifestDigest.hexDigest(Array(zip(names, digests)))
        self.characters = characters
        func indices(_ part: TaskSplit) -> [Int] { split.assignments.indices.filter { split.assignments[$0] == part } }
        trainIndices = indices(.train); validationIndices = indices(.validation); testIndices = indices(.test)
        let elapsed = clock.now - start
        loadSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }

    /// Indices into ``characters`` of the characters in `part`, in table order.
    public func characterIndices(in part: TaskSplit) -> [Int] {
        switch part {
        case .train: return trainIndices
        case .validation: return validationIndices
        case .test: return testIndices
        }
    }

    /// The model's view of any drawing: `image` (dark strokes on a light background, any size)
    /// as `side` × `side` bytes, 0 = background, 255 = full ink, by the same exact area
    /// averaging and inversion as the archives' drawings (``AreaResizer``; a non-square image is
    /// stretched). Inputs are these bytes / 255 (``OmniglotTasks/inputScale(as:)``).
    public static func inkImage(_ image: GrayImage, side: Int = side) -> [UInt8] {
        var resizer = AreaResizer(width: image.width, height: image.height, side: side)
        return [UInt8](unsafeUninitializedCapacity: side * side) { buffer, initialized in
            resizer.resize(image.pixels, into: buffer.baseAddress!)
            initialized = side * side
        }
    }

    /// Number of images (characters × 20).
    public var imageCount: Int { characters.count * Self.drawingsPerCharacter }

    /// The 28×28 image (row-major, 0 = background, 255 = full ink) of drawing `drawing`
    /// (0..<20) of character `character` (an index into ``characters``).
    public func image(character: Int, drawing: Int) -> [UInt8] {
        withImage(character: character, drawing: drawing) { Array($0) }
    }

    /// Calls `body` with the bytes of one image (see ``image(character:drawing:)``), without copying.
    public func withImage<R>(character: Int, drawing: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        require(characters.indices.contains(character) && (0..<Self.drawingsPerCharacter).contains(drawing),
                     "Omniglot image (character \(character), drawing \(drawing)) out of range")
        let offset = (character * Self.drawingsPerCharacter + drawing) * Self.pixelsPerImage
        return try pixels.withUnsafeBufferPointer {
            try body(UnsafeBufferPointer(rebasing: $0[offset..<(offset + Self.pixelsPerImage)]))
        }
    }

    // MARK: - Reading

    /// Where one PNG's bytes come from.
    private enum Source: Sendable {
        case zip(ZipArchive, ZipArchive.Entry)
        case file(String)
    }

    /// The PNG files of one archive as (character path, file name, source).
    private static func listArchive(_ archive: String, in directory: String) throws -> [(String, String, Source)] {
        let fm = FileManager.default
        let zipPath = (directory as NSString).appendingPathComponent(archive + ".zip")
        let folderPath = (directory as NSString).appendingPathComponent(archive)
        var isFolder: ObjCBool = false
        if fm.fileExists(atPath: zipPath, isDirectory: &isFolder), !isFolder.boolValue {
            return try listZip(archive, at: zipPath)
        } else if fm.fileExists(atPath: folderPath, isDirectory: &isFolder), isFolder.boolValue {
            guard let walker = fm.enumerator(atPath: folderPath) else {
                throw OmniglotError(.missingArchive, "cannot list \(folderPath)")
            }
            var listed: [(String, String, Source)] = []
            while let relative = walker.nextObject() as? String {
                if let (character, file) = pngPath(archive + "/" + relative, archive: archive) {
                    listed.append((character, file, .file((folderPath as NSString).appendingPathComponent(relative))))
                }
            }
            if listed.isEmpty {
                throw OmniglotError(.missingArchive, "\(folderPath) holds no files <alphabet>/<character>/<id>_<nn>.png (expected the unzipped official Omniglot archive \(archive).zip)")
            }
            return listed
        } else {
            throw OmniglotError(.missingArchive, "expected \(archive).zip or an \(archive)/ folder in \(directory) (the official Omniglot archives)")
        }
    }

    /// The PNG entries of the zip file at `zipPath` holding `archive`, as (character path, file name, source).
    private static func listZip(_ archive: String, at zipPath: String) throws -> [(String, String, Source)] {
        let zip: ZipArchive
        do { zip = try ZipArchive(path: zipPath) } catch let error as ZipArchiveError {
            if error.kind == .unreadable, !FileManager.default.fileExists(atPath: zipPath) {
                throw OmniglotError(.missingArchive, "expected \(zipPath) (the official Omniglot archive \(archive).zip)")
            }
            throw OmniglotError(.damagedArchive, "\(zipPath) is damaged: \(error.entry.map { "entry \($0): " } ?? "")\(error.message) (expected the official Omniglot archive \(archive).zip)")
        }
        var listed: [(String, String, Source)] = []
        for entry in zip.entries where !entry.isDirectory {
            if let (character, file) = pngPath(entry.name, archive: archive) { listed.append((character, file, .zip(zip, entry))) }
        }
        if listed.isEmpty {
            throw OmniglotError(.damagedArchive, "\(zipPath) holds no entries \(archive)/<alphabet>/<character>/<id>_<nn>.png (expected the official Omniglot archive \(archive).zip)")
        }
        return listed
    }

    /// `<archive>/<alphabet>/<character>/<file>.png` as (character path, file name); nil for
    /// anything else (folders, `__MACOSX/`, hidden files).
    private static func pngPath(_ relative: String, archive: String) -> (String, String)? {
        let parts = relative.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == archive, parts[3].hasSuffix(".png"),
              !parts.contains(where: { $0.isEmpty || $0.hasPrefix(".") || $0 == "__MACOSX" }) else { return nil }
        return ("\(parts[0])/\(parts[1])/\(parts[2])", String(parts[3]))
    }

    /// The id (as a number and as written) shared by exactly the files `<id>_01.png` …
    /// `<id>_20.png`, or nil.
    private static func characterID<Names: Collection>(_ names: Names) -> (Int, String)? where Names.Element == String {
        guard names.count == drawingsPerCharacter, let first = names.first,
              let underscore = first.firstIndex(of: "_"), let id = Int(first[..<underscore]), id > 0 else { return nil }
        let idText = String(first[..<underscore])
        let expected = Set((1...drawingsPerCharacter).map { "\(idText)_\($0 < 10 ? "0" : "")\($0).png" })
        return Set(names) == expected ? (id, idText) : nil
    }

    /// Decodes every source into 28×28 ink images, in order, on all cores; also returns the
    /// SHA-256 (hex) of each source's bytes.
    private static func decodeAll(_ jobs: [Source]) throws -> (pixels: [UInt8], sha256: [String]) {
        let count = jobs.count, chunkCount = max(1, min(count, ProcessInfo.processInfo.activeProcessorCount * 4))
        var pixels = [UInt8](repeating: 0, count: count * pixelsPerImage)
        var digests = [String](repeating: "", count: count)
        var failures = [OmniglotError?](repeating: nil, count: chunkCount)
        pixels.withUnsafeMutableBufferPointer { out in
            digests.withUnsafeMutableBufferPointer { sums in
                failures.withUnsafeMutableBufferPointer { fail in
                    nonisolated(unsafe) let out = out, sums = sums, fail = fail
                    DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
                        let range = (chunk * count / chunkCount)..<((chunk + 1) * count / chunkCount)
                        var resizer = AreaResizer(width: sourceSide, height: sourceSide, side: side)
                        for job in range {
                            do {
                                let (bytes, label) = try self.bytes(of: jobs[job])
                                sums[job] = SHA256.hexDigest(bytes)
                                try decode(bytes, label: label, into: out.baseAddress! + job * pixelsPerImage, resizer: &resizer)
                            } catch {
                                fail[chunk] = error as? OmniglotError ?? OmniglotError(.badImage, "\(error)")
                                return
                            }
                        }
                    }
                }
            }
        }
        if let first = failures.lazy.compactMap({ $0 }).first { throw first }
        return (pixels, digests)
    }

    /// The bytes of one source and how messages name it.
    private static func bytes(of source: Source) throws -> (bytes: [UInt8], label: String) {
        switch source {
        case let .zip(zip, entry):
            do { return (try zip.contents(of: entry), "\(zip.name): entry \(entry.name)") } catch let error as ZipArchiveError {
                throw OmniglotError(.damagedArchive, "\(zip.name) is damaged: entry \(entry.name): \(error.message)")
            }
        case let .file(path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw OmniglotError(.badImage, "\(path): cannot read the file")
            }
            return ([UInt8](data), path)
        }
    }

    private static func decode(_ bytes: [UInt8], label: String, into output: UnsafeMutablePointer<UInt8>, resizer: inout AreaResizer) throws {
        let image: GrayImage
        do { image = try PNGDecoder.decodeGray(bytes) } catch let error as PNGDecoder.DecodeError {
            throw OmniglotError(.badImage, "\(label): not a valid PNG (\(error.message))")
        }
        guard image.width == sourceSide && image.height == sourceSide else {
            throw OmniglotError(.badImage, "\(label): expected a \(sourceSide)×\(sourceSide) image, found \(image.width)×\(image.height)")
        }
        resizer.resize(image.pixels, into: output)
    }
}
