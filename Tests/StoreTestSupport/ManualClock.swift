import Foundation
import RedressCore
import Synchronization

/// A clock a test sets and moves, so that deadline tests never depend on today's date.
public final class ManualClock: RedressClock, Sendable {
    private let instant: Mutex<Date>

    public init(_ text: String) {
        instant = Mutex(ManualClock.parse(text))
    }

    public func now() -> Date { instant.withLock { $0 } }

    public func set(_ text: String) {
        let date = ManualClock.parse(text)
        instant.withLock { $0 = date }
    }

    /// Moves the clock on by `duration`, as if that much time had passed.
    public func advance(by duration: Duration) {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        instant.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    public static func parse(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)!
    }
}

/// Real time, moved back to start at a chosen instant: things made one after another get times in
/// the order they were made, before any test's own clock.
public struct ShiftedClock: RedressClock {
    private let offset: TimeInterval

    public init(startingAt text: String) {
        offset = ManualClock.parse(text).timeIntervalSinceNow
    }

    public func now() -> Date { Date().addingTimeInterval(offset) }
}
