import Foundation
import RedressCore
import Synchronization
import Testing

@testable import RedressAPI

/// The public report's cache under a stranger who asks for many periods nobody else reads.
@Suite("Report cache")
struct ReportCacheTests {
    static func period(_ month: Int) -> StatisticsPeriod {
        StatisticsPeriod(from: LocalDate(year: 2025, month: month, day: 1), to: LocalDate(year: 2025, month: month, day: 28)).wholeMonthsAround
    }

    static func built(_ period: StatisticsPeriod) -> ReportCache.Built {
        ReportCache.Built(
            report: PublicReport(period: .month(period.from), minimumComplaints: 10, today: LocalDate(year: 2026, month: 1, day: 1), sources: []),
            generatedAt: Date())
    }

    /// A flood of other periods neither evicts the default one nor makes it wait for a place.
    @Test func theDefaultPeriodIsNeitherEvictedNorQueued() async throws {
        let cache = ReportCache(lifetime: .seconds(600), capacity: 4, concurrentBuilds: 1)
        let builds = Counter()
        let pinned = Self.period(12)
        _ = try await cache.rendering(of: pinned, variant: "json", pinned: true, build: { await builds.add(); return Self.built(pinned) }, render: { _ in "x" })
        for month in 1...8 {
            _ = try await cache.rendering(of: Self.period(month), variant: "json", build: { Self.built(Self.period(month)) }, render: { _ in "y" })
        }
        _ = try await cache.rendering(of: pinned, variant: "json", pinned: true, build: { await builds.add(); return Self.built(pinned) }, render: { _ in "x" })
        #expect(await builds.value == 1)

        // Every place taken by a slow build: the default period is still built at once.
        let gate = Gate()
        let slow = Task { try await cache.rendering(of: Self.period(1), variant: "csv", build: { await gate.wait(); return Self.built(Self.period(1)) }, render: { _ in "z" }) }
        try await eventually { await gate.waiting == 1 }
        let fresh = Self.period(11)
        let answer = try await cache.rendering(of: fresh, variant: "json", pinned: true, build: { Self.built(fresh) }, render: { _ in "p" })
        #expect(answer?.body == "p")
        await gate.open()
        _ = try await slow.value
    }

    /// With nothing kept (a lifetime of zero), readers who arrive while a report is built wait for that
    /// build and share its rendering; the next reader after them gets a new build.
    @Test func readersOfOneBuildShareItsRenderingWhenNothingIsKept() async throws {
        let cache = ReportCache(lifetime: .zero)
        let builds = Counter()
        let renders = Tally()
        let gate = Gate()
        let period = Self.period(5)
        @Sendable func read() async throws -> String? {
            try await cache.rendering(
                of: period, variant: "json", pinned: true,
                build: { await builds.add(); await gate.wait(); return Self.built(period) },
                render: { _ in renders.add(); return "r" })?.body
        }
        let readers = (0..<5).map { _ in Task { try await read() } }
        try await eventually { await cache.readers(of: period) == 5 }
        await gate.open()
        for reader in readers { #expect(try await reader.value == "r") }
        #expect(await builds.value == 1)
        #expect(renders.value == 1)
        #expect(await cache.readers(of: period) == 0)
        #expect(try await read() == "r")
        #expect(await builds.value == 2)
        #expect(renders.value == 2)
    }

    /// Beyond the waiting line's length, a new period is refused at once (503), not queued.
    @Test func theWaitingLineIsBounded() async throws {
        let cache = ReportCache(lifetime: .seconds(600), capacity: 64, concurrentBuilds: 1, maximumWaiting: 2)
        let gate = Gate()
        var tasks: [Task<ReportCache.Rendered?, any Error>] = []
        for month in 1...3 {
            tasks.append(Task { try await cache.rendering(of: Self.period(month), variant: "json", build: { await gate.wait(); return Self.built(Self.period(month)) }, render: { _ in "w" }) })
            try await eventually { await cache.admitted == month }
        }
        await #expect(throws: RedressError.self) {
            try await cache.rendering(of: Self.period(4), variant: "json", build: { Self.built(Self.period(4)) }, render: { _ in "v" })
        }
        await gate.open()
        for task in tasks { #expect(try await task.value?.body == "w") }
    }
}

/// A count kept from synchronous code.
final class Tally: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func add() { count.withLock { $0 += 1 } }
}

actor Counter {
    private(set) var value = 0
    func add() { value += 1 }
}

/// Waits, by yielding to the other tasks rather than sleeping, until `condition` holds.
func eventually(_ condition: () async -> Bool, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    for _ in 0..<100_000 {
        if await condition() { return }
        await Task.yield()
    }
    Issue.record("the condition never held", sourceLocation: sourceLocation)
    throw CancellationError()
}

/// Holds builds until opened.
actor Gate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    var waiting: Int { waiters.count }
    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }
    func open() {
        isOpen = true
        waiters.forEach { $0.resume() }
        waiters = []
    }
}
