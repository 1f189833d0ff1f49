import Crypto
import Foundation
import RedressCore

/// The public reports built in the last `lifetime`, by period, and each rendering of them (JSON,
/// CSV, a page in a language) with its ETag: when the press links the page, the database and the
/// renderer work once per period, rendering and lifetime, not once per reader. Per process; replicas
/// each keep their own, so a reader may see a report up to `lifetime` old.
actor ReportCache {
    struct Built: Sendable {
        let report: PublicReport
        let generatedAt: Date
    }

    struct Rendered: Sendable {
        let body: String
        let eTag: String

        init(_ body: String) {
            self.body = body
            let digest = SHA256.hash(data: Data(body.utf8)).prefix(16).map { String(format: "%02x", $0) }.joined()
            eTag = "\"\(digest)\""
        }
    }

    private struct Entry {
        let built: Built
        let at: ContinuousClock.Instant
        var renderings: [String: Rendered] = [:]
    }

    private let lifetime: Duration
    private let capacity: Int
    private var entries: [StatisticsPeriod: Entry] = [:]

    init(lifetime: Duration, capacity: Int = 64) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// The rendering `variant` of the report of `period`: from the cache while it is fresh, otherwise
    /// built (`build`) and rendered (`render`) anew, and kept when caching is on. `render` is given
    /// the built report; it returns `nil` when the variant does not exist (an unknown platform).
    func rendering(
        of period: StatisticsPeriod, variant: String, build: @Sendable () async throws -> Built,
        render: @Sendable (Built) throws -> String?
    ) async throws -> Rendered? {
        let now = ContinuousClock.now
        if var entry = entries[period], now - entry.at < lifetime {
            if let rendered = entry.renderings[variant] { return rendered }
            guard let body = try render(entry.built) else { return nil }
            let rendered = Rendered(body)
            entry.renderings[variant] = rendered
            entries[period] = entry
            return rendered
        }
        let built = try await build()
        guard let body = try render(built) else { return nil }
        let rendered = Rendered(body)
        guard lifetime > .zero else { return rendered }
        if entries.count >= capacity, let oldest = entries.min(by: { $0.value.at < $1.value.at })?.key {
            // Drop the oldest; a handful of periods are asked for at once in practice.
            entries[oldest] = nil
        }
        entries[period] = Entry(built: built, at: ContinuousClock.now, renderings: [variant: rendered])
        return rendered
    }
}
