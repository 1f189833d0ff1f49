import Foundation
import RedressCore

/// A clock a test sets and moves, so that deadline tests never depend on today's date.
public final class ManualClock: RedressClock, @unchecked Sendable {
    private let lock = NSLock()
    private var instant: Date

    public init(_ text: String) {
        instant = ManualClock.parse(text)
    }

    public func now() -> Date { lock.withLock { instant } }

    public func set(_ text: String) {
        let date = ManualClock.parse(text)
        lock.withLock { instant = date }
    }

    public static func parse(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)!
    }
}
