import Logging

/// A logger for the process's role (swift-log; text or JSON lines on standard error once
/// ``LogFormat/bootstrap()`` has run), as a function of the line: each call logs the line at
/// `info` level with the role as the logger's label.
public func logLine(_ role: String) -> (String) -> Void {
    let logger = Logger(label: role)
    return { line in logger.info("\(line)") }
}
