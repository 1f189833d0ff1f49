import Foundation
import RedressCore

/// The public reports built in the last `lifetime`, by period: when the press links the page, the
/// database answers once per period and lifetime, not once per reader. Per process; replicas each
/// keep their own, so a reader may see a report up to `lifetime` old.
actor ReportCache {
    struct Built: Sendable {
        let report: PublicReport
        let generatedAt: Date
    }

    private let lifetime: Duration
    private let capacity: Int
    private var entries: [StatisticsPeriod: (built: Built, at: ContinuousClock.Instant)] = [:]

    init(lifetime: Duration, capacity: Int = 64) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// The cached report of `period`, or a new one from `build` (kept when caching is on).
    func report(for period: StatisticsPeriod, build: @Sendable () async throws -> Built) async throws -> Built {
        let now = ContinuousClock.now
        if let entry = entries[period], now - entry.at < lifetime { return entry.built }
        let built = try await build()
        guard lifetime > .zero else { return built }
        if entries.count >= capacity {
            // Drop the oldest; a handful of periods are asked for at once in practice.
            if let oldest = entries.min(by: { $0.value.at < $1.value.at })?.key { entries[oldest] = nil }
        }
        entries[period] = (built, ContinuousClock.now)
        return built
    }
}
