import Foundation
import RedressAPI
import RedressStore
import StoreTestSupport
import Testing
import TestSupport

/// The anchoring job every replica runs makes one anchor per interval between them.
@Suite("Anchoring job")
struct AnchorJobTests {
    @Test func replicasDueAtOnceAnchorOnceAndAgainOnlyAfterTheInterval() async throws {
        let clock = ManualClock("2026-11-02T10:00:00+08:00")
        try await withTestApp(configuration: testConfiguration(clock: clock), world: .seeded) { app in
            let world = try await app.makeWorld()
            _ = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            let replicas = (0..<3).map { _ in AnchorJob(database: app.store, interval: .seconds(86_400), logger: TestDatabase.logger) }
            let made = try await withThrowingTaskGroup(of: Int?.self) { group in
                for job in replicas { group.addTask { try await job.runOnce()?.id } }
                return try await group.reduce(into: [Int]()) { if let id = $1 { $0.append(id) } }
            }
            #expect(made.count == 1, "three replicas due at once make one anchor, not \(made.count)")
            let again = try await replicas[1].runOnce()
            #expect(again == nil, "an anchor younger than the interval is left alone")

            clock.set("2026-11-03T09:59:59+08:00")
            let early = try await replicas[2].runOnce()
            #expect(early == nil, "one second before the interval is over")
            clock.set("2026-11-03T10:00:00+08:00")
            let next = try await replicas[2].runOnce()
            #expect(next != nil && next!.id > made[0], "a day later, the next one")
            let anchors = try await app.asOwner { try await $0.scalar("SELECT count(*)::int FROM audit_anchors", as: Int.self) }
            #expect(anchors == 2)
            let metrics = try await app.request(.get, "/metrics").text
            #expect(metrics.contains("redress_audit_anchors_created_total 2"), "\(metrics.split(separator: "\n").filter { $0.contains("anchor") })")
        }
    }
}
