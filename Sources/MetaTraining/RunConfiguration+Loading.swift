import Foundation
import MetaAlgorithms
import MetaConfig

extension RunConfiguration {
    /// The configuration a run selects: the YAML file at `file` when given, else the preset
    /// named `preset`, else `sine-maml`.
    /// - Precondition: `preset`, when given, names one of ``RunConfiguration/presets`` (the
    ///   command line checks it).
    /// - Throws: ``RunError`` when the file cannot be read as UTF-8 text, or names the file and
    ///   the ``ConfigError`` when it does not parse.
    public static func load(file: String?, preset: String?) throws -> RunConfiguration {
        if let file {
            guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
                throw RunError("cannot read the configuration file \(file)")
            }
            do { return try ConfigFile.parse(text) } catch let error as ConfigError {
                throw RunError("\(file): \(error)")
            }
        }
        return RunConfiguration.presets[preset ?? "sine-maml"]!
    }
}
