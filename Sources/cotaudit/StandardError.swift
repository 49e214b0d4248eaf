import AuditReport
import Foundation

/// Messages for the person or the CI log reading standard error: one line each, prefixed, with any
/// control character from a path, an export or a roster written as a visible escape.
enum StandardError {
    static func write(_ message: String) {
        FileHandle.standardError.write(Data("cotaudit : \(TerminalText.escaped(message))\n".utf8))
    }
}
