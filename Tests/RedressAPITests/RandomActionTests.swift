import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import RedressCore
import StoreTestSupport
import Testing
import TestSupport

/// Random actions by random actors through the real router and database: whatever is refused
/// changes nothing, whatever is accepted changes exactly one version and leaves one audit event, and
/// every stored state is one the transition table can reach.
@Suite("Random actions")
struct RandomActionTests {
    @Test func neverAnIllegalStateNeverALostOrExtraChange() async throws {
        let clock = ManualClock("2026-11-02T10:00:00+08:00")
        try await withTestApp(configuration: ComplaintJourneyTests.configuration(clock), world: .seeded) { app in
            var world = try await app.makeWorld()
            _ = try await app.request(.patch, "/api/v1/platforms/\(world.platformA)", token: world.token("admin"), json: ["default_mediation_body_id": world.bodyA])
            var ids: [String] = []
            for _ in 0..<10 { ids.append(try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))) }
            // Past the platform's deadline, so that every stage can be reached.
            clock.set("2026-11-20T10:00:00+08:00")
            try await world.logInAgain(app)
            var generator = SplitMix(seed: 20_261_125)
            let actors = ["consumer", "platform_staff_a", "platform_admin_a", "platform_staff_b", "merchant_staff_a", "mediator_a",
                          "mediation_lead_a", "mediator_b", "auditor"]
            let bodies: [String: [String: Any]] = [
                "respond": ["decision": "propose", "proposal": ["refund": 20_000]],
                "reject": ["reason": "不接受"],
                "escalate": ["mediation_body_id": world.bodyA],
                "triage": ["decision": "accept"],
                "assign": ["mediator_id": world.accounts["mediator_a"]!.id],
                "propose": ["terms": ["refund": 30_000]],
                "fail": ["reason": "无法达成一致"],
                "refer": ["channel": "12315"],
                "report_unfulfilled": ["reason": "未收到退款"],
                "rate": ["rating": 4],
            ]
            var successes: [String: Int] = [:]
            var counts = [Int](repeating: 0, count: 600)
            for _ in 0..<1_000 {
                let id = ids.randomElement(using: &generator)!
                let actor = actors.randomElement(using: &generator)!
                var action = ComplaintAction.allCases.randomElement(using: &generator)!
                // Half the time, one of the actions the case offers this actor (withdrawal rarely: it ends the case).
                if Bool.random(using: &generator) {
                    let view = try await app.request(.get, "/api/v1/complaints/\(id)", token: world.token(actor))
                    let offered = view.json["allowed_actions"].strings.compactMap(ComplaintAction.init(rawValue:))
                        .filter { $0 != .withdraw || Int.random(in: 0..<10, using: &generator) == 0 }
                    if let choice = offered.randomElement(using: &generator) { action = choice }
                }
                let response = try await app.request(
                    .post, "/api/v1/complaints/\(id)/actions/\(action.rawValue)", token: world.token(actor), json: bodies[action.rawValue])
                #expect(response.status.code < 500, "\(actor) \(action.rawValue): \(response.text)")
                if response.status == .ok { successes[id, default: 0] += 1 }
                counts[Int(response.status.code)] += 1
            }
            // Refusals of every kind happened, and enough actions went through to walk the lifecycle.
            #expect(counts[403] > 0 && counts[404] > 0 && counts[409] > 0)
            #expect(successes.values.reduce(0, +) > 30)  // about four actions per case before it ends
            let reachable = Set(Lifecycle.rules.map(\.to)).union([.awaitingMerchant, .awaitingPlatform])
            for id in ids {
                let (state, version, events) = try await app.asOwner { connection -> (String, Int, Int) in
                    let state = try await connection.scalar("SELECT state FROM complaints WHERE id = \(UUID(uuidString: id)!)", as: String.self) ?? ""
                    let version = try await connection.scalar("SELECT version FROM complaints WHERE id = \(UUID(uuidString: id)!)", as: Int.self) ?? -1
                    let events = try await connection.scalar(
                        "SELECT count(*)::int FROM audit_events WHERE chain_id = \("complaint:" + id) AND action LIKE 'complaint.%'", as: Int.self) ?? -1
                    return (state, version, events)
                }
                #expect(reachable.contains(ComplaintState(rawValue: state)!), "\(state)")
                #expect(version == 1 + (successes[id] ?? 0))
                #expect(events == 1 + (successes[id] ?? 0))
            }
            // However the cases went, the statistics' rollups still equal a recount.
            #expect(try await app.statisticsDiscrepancies() == 0)
        }
    }
}
