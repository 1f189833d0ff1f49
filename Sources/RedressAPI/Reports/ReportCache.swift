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
        /// The period most readers ask for (the default one): never evicted to make room.
        let pinned: Bool
        var renderings: [String: Rendered] = [:]
    }

    private let lifetime: Duration
    private let capacity: Int
    private let concurrentBuilds: Int
    private var entries: [StatisticsPeriod: Entry] = [:]
    /// The build of each period under way: everyone asking for that period waits for it, so a
    /// period is built once however many ask at once.
    private var building: [StatisticsPeriod: Task<Built, any Error>] = [:]
    /// The renderings of a build while requests that joined it are still being answered: readers
    /// who waited for the same build share its renderings too, also when nothing is kept (a lifetime
    /// of zero). Dropped when the last of them is answered.
    private var sharing: [StatisticsPeriod: Shared] = [:]

    private struct Shared {
        let task: Task<Built, any Error>
        var readers = 0
        var renderings: [String: Rendered] = [:]
    }
    /// Builds of different periods wait for one of `concurrentBuilds` places: a stranger asking for
    /// many new periods queues behind them instead of occupying the database. The default period
    /// does not queue (it is built at most once per lifetime), and at most `maximumWaiting` builds
    /// wait: beyond, 503 with Retry-After.
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private let maximumWaiting: Int
    /// Builds admitted and not finished (running, waiting, or about to start): counted when a build is
    /// admitted, so that a burst of requests is held to the bound before any of its tasks has run.
    private(set) var admitted = 0

    init(lifetime: Duration, capacity: Int = 64, concurrentBuilds: Int = 2, maximumWaiting: Int = 32) {
        self.lifetime = lifetime
        self.capacity = capacity
        self.concurrentBuilds = max(concurrentBuilds, 1)
        self.maximumWaiting = maximumWaiting
    }

    /// The rendering `variant` of the report of `period`: from the cache while it is fresh, otherwise
    /// built (`build`, once per period at a time) and rendered (`render`) anew, and kept when caching
    /// is on. `render` is given the built report; it returns `nil` when the variant does not exist
    /// (an unknown platform). The `pinned` period is built without queueing and kept until it expires.
    func rendering(
        of period: StatisticsPeriod, variant: String, pinned: Bool = false, build: @escaping @Sendable () async throws -> Built,
        render: @Sendable (Built) throws -> String?
    ) async throws -> Rendered? {
        if var entry = entries[period], ContinuousClock.now - entry.at < lifetime {
            if let rendered = entry.renderings[variant] { return rendered }
            guard let body = try render(entry.built) else { return nil }
            let rendered = Rendered(body)
            entry.renderings[variant] = rendered
            entries[period] = entry
            return rendered
        }
        let task: Task<Built, any Error>
        if let running = building[period] {
            task = running
        } else {
            if pinned {
                task = Task { try await build() }
            } else {
                guard admitted < concurrentBuilds + maximumWaiting else {
                    throw RedressError(.unavailable, detail: "Too many reports are being built; try again shortly.", retryAfterSeconds: 5)
                }
                admitted += 1
                task = Task { try await self.buildInTurn(build) }
            }
            building[period] = task
        }
        join(period, task)
        defer { leave(period, task) }
        let built: Built
        do {
            built = try await task.value
        } catch {
            if building[period] == task { building[period] = nil }
            throw error
        }
        if building[period] == task {
            building[period] = nil
            store(built, for: period, pinned: pinned)
        }
        if let shared = sharing[period], shared.task == task, let rendered = shared.renderings[variant] { return rendered }
        guard let body = try render(built) else { return nil }
        let rendered = Rendered(body)
        if lifetime > .zero, var entry = entries[period], entry.built.generatedAt == built.generatedAt {
            entry.renderings[variant] = rendered
            entries[period] = entry
        }
        if sharing[period]?.task == task { sharing[period]?.renderings[variant] = rendered }
        return rendered
    }

    /// How many requests are waiting for, or being answered from, the current build of `period`.
    func readers(of period: StatisticsPeriod) -> Int { sharing[period]?.readers ?? 0 }

    private func join(_ period: StatisticsPeriod, _ task: Task<Built, any Error>) {
        if sharing[period]?.task != task { sharing[period] = Shared(task: task) }
        sharing[period]?.readers += 1
    }

    private func leave(_ period: StatisticsPeriod, _ task: Task<Built, any Error>) {
        guard sharing[period]?.task == task else { return }
        sharing[period]?.readers -= 1
        if sharing[period]?.readers == 0 { sharing[period] = nil }
    }

    private func store(_ built: Built, for period: StatisticsPeriod, pinned: Bool) {
        guard lifetime > .zero else { return }
        let now = ContinuousClock.now
        if entries[period] == nil, entries.count >= capacity {
            // Expired entries go first; then the oldest that is not pinned.
            entries = entries.filter { now - $0.value.at < lifetime }
            if entries.count >= capacity, let oldest = entries.filter({ !$0.value.pinned }).min(by: { $0.value.at < $1.value.at })?.key {
                entries[oldest] = nil
            }
        }
        entries[period] = Entry(built: built, at: now, pinned: pinned)
    }

    private func buildInTurn(_ build: @Sendable () async throws -> Built) async throws -> Built {
        if running < concurrentBuilds {
            running += 1
        } else {
            // `finish` hands its place over directly.
            await withCheckedContinuation { waiting.append($0) }
        }
        defer { finish() }
        return try await build()
    }

    private func finish() {
        admitted -= 1
        if waiting.isEmpty {
            running -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}
