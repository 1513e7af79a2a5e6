import Foundation
import MetaTensor
import MetaTasks

/// Image files laid out as `metatrain adapt` reads them, and their pixels as model inputs.
///
/// - A **support folder** holds one subfolder per class; the subfolder's name is the label. Classes
///   are ordered by name, and so are the images of a class: label k of the model is the k-th
///   class folder.
/// - A **query** is one image file, a folder of images (ordered by name), or a folder of class
///   subfolders named like the support's (then the answers are known and adapt reports the
///   accuracy), ordered class by class as the evaluation protocol orders a task's queries.
/// - Images are PNG or JPEG (`.png`, `.jpg`, `.jpeg`, any case) of any size and bit depth, gray
///   or colour (gray = luminance), dark strokes on a light background like Omniglot's drawings;
///   hidden files (`.DS_Store`) are ignored and any other file is an error.
/// - Pixels become inputs exactly as the archives' drawings do (``OmniglotDataset/inkImage(_:side:)``,
///   then ``OmniglotTasks/inputScale(as:)``).
public enum ImageFolders {
    /// The file name endings read as images.
    public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]
    /// The most images read from one folder.
    public static let maximumImages = 10_000

    /// A support folder's classes (folder names, in order) and each class's image files (in order).
    public static func support(at url: URL) throws -> (classes: [String], files: [[URL]]) {
        guard isDirectory(url) else {
            throw AdaptError("--support \(url.path): expected a folder with one subfolder of images per class")
        }
        var classes: [String] = [], files: [[URL]] = []
        for entry in try entries(of: url) {
            guard isDirectory(entry) else {
                throw AdaptError("\(entry.path): the support folder holds one subfolder per class (its name is the label); "
                                 + "move the file into its class's folder")
            }
            let images = try images(in: entry)
            guard !images.isEmpty else { throw AdaptError("\(entry.path): the class folder holds no .png or .jpg images") }
            classes.append(entry.lastPathComponent)
            files.append(images)
        }
        guard !classes.isEmpty else { throw AdaptError("--support \(url.path): no class folders (one subfolder of images per class)") }
        let total = files.reduce(0) { $0 + $1.count }
        guard total <= maximumImages else {
            throw AdaptError("--support \(url.path): \(total) images, more than the \(maximumImages) adapt reads at once")
        }
        return (classes, files)
    }

    /// The query images, each with its label (an index into `classes`) when the query folder is
    /// organised by class.
    public static func query(at url: URL, classes: [String]) throws -> [(file: URL, label: Int?)] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw AdaptError("--query \(url.path): no such image or folder")
        }
        guard isDirectory.boolValue else {
            try checkImageName(url)
            return [(url, nil)]
        }
        let listed = try entries(of: url)
        let folders = listed.filter(Self.isDirectory)
        var out: [(URL, Int?)] = []
        if folders.isEmpty {
            out = try images(in: url).map { ($0, nil) }
        } else {
            guard folders.count == listed.count else {
                throw AdaptError("--query \(url.path): holds both images and folders; give a folder of images, "
                                 + "or a folder of class subfolders named like the support's")
            }
            let named = Dictionary(uniqueKeysWithValues: folders.map { ($0.lastPathComponent, $0) })
            if let unknown = named.keys.sorted().first(where: { !classes.contains($0) }) {
                throw AdaptError("--query \(url.path)/\(unknown): no support class of that name (classes: \(classes.joined(separator: ", ")))")
            }
            for (label, name) in classes.enumerated() {
                guard let folder = named[name] else { continue }
                out += try images(in: folder).map { ($0, label) }
            }
        }
        guard !out.isEmpty else { throw AdaptError("--query \(url.path): no .png or .jpg images") }
        guard out.count <= maximumImages else {
            throw AdaptError("--query \(url.path): \(out.count) images, more than the \(maximumImages) adapt reads at once")
        }
        return out
    }

    /// The images `[n, 1, side, side]` of `files`, in order, as the model's inputs.
    public static func inputs(_ files: [URL], side: Int) throws -> Tensor<Float> {
        let scale: [Float] = OmniglotTasks.inputScale()
        let pixels = side * side
        var scalars = [Float](repeating: 0, count: files.count * pixels)
        for (i, file) in files.enumerated() {
            guard let data = FileManager.default.contents(atPath: file.path) else {
                throw AdaptError("\(file.path): cannot read the file")
            }
            let image: GrayImage
            do { image = try GrayImage.decode([UInt8](data)) } catch let error as ImageDecodingError {
                throw AdaptError("\(file.path): \(error.description)")
            }
            let ink = OmniglotDataset.inkImage(image, side: side)
            for j in 0..<pixels { scalars[i * pixels + j] = scale[Int(ink[j])] }
        }
        return Tensor(shape: [files.count, 1, side, side], scalars: scalars)
    }

    // MARK: - Listing

    static func isDirectory(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// The visible entries of a folder, sorted by name.
    static func entries(of url: URL) throws -> [URL] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: url.path) } catch {
            throw AdaptError("\(url.path): cannot list the folder")
        }
        return names.filter { !$0.hasPrefix(".") }.sorted().map { url.appendingPathComponent($0) }
    }

    /// The image files of a folder, sorted by name; anything else is an error.
    static func images(in url: URL) throws -> [URL] {
        let listed = try entries(of: url)
        for entry in listed {
            if isDirectory(entry) { throw AdaptError("\(entry.path): a folder inside a class folder; put the images directly in it") }
            try checkImageName(entry)
        }
        return listed
    }

    static func checkImageName(_ url: URL) throws {
        guard imageExtensions.contains(url.pathExtension.lowercased()) else {
            throw AdaptError("\(url.path): not a .png or .jpg image; remove it or convert it")
        }
    }
}
