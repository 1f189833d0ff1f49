import Foundation

/// Where Redress reads the time. One instance is injected everywhere, so that a frozen clock
/// (`REDRESS_NOW`) governs deadlines, overdue handling and audit times alike.
public protocol RedressClock: Sendable {
    func now() -> Date
}

public struct SystemClock: RedressClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that always answers the same instant (demos, black-box tests).
public struct FrozenClock: RedressClock {
    public let instant: Date
    public init(_ instant: Date) { self.instant = instant }
    public func now() -> Date { instant }
}
