import Foundation

/// Resident memory of this process, from /proc/self/status (0 where it cannot be read).
public enum ProcessMemory {
    /// Peak resident set size in bytes (VmHWM).
    public static var peakResidentBytes: Int { field("VmHWM:") }
    /// Current resident set size in bytes (VmRSS).
    public static var residentBytes: Int { field("VmRSS:") }

    private static func field(_ name: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
            return kb * 1024
        }
        return 0
    }
}
