import Foundation
import RedressAPI
import StoreTestSupport
import Testing
import TestSupport

/// Who was responsible: the consumer's view, the seller's, and the mediator's finding — by which the
/// statistics count cases, so that no platform is ranked down for a consumer's own error.
@Suite("Fault findings")
struct FaultFindingTests {
    /// Files a complaint, has the platform reject it blaming the consumer, and takes it to mediation
    /// with mediator A assigned; its id.
    static func mediatedCase(_ app: TestApp, _ world: World) async throws -> String {
        var body = app.complaintBody(world)
        body["fault_claim"] = "platform"
        let id = try await app.create("/api/v1/complaints", token: world.token("consumer"), body)
        try await app.step(
            id, "respond", as: world.token("platform_staff_a"), ["decision": "reject", "reason": "卡密因用户多次输错已失效", "fault": "consumer"])
        try await app.step(id, "reject", as: world.token("consumer"))
        try await app.step(id, "escalate", as: world.token("consumer"), ["mediation_body_id": world.bodyA])
        try await app.step(id, "triage", as: world.token("mediation_lead_a"), ["decision": "accept"])
        try await app.step(id, "assign", as: world.token("mediation_lead_a"), ["mediator_id": world.accounts["mediator_a"]!.id])
        return id
    }

    static func totals(_ app: TestApp, _ world: World) async throws -> JSON {
        try await app.request(
            .get, "/api/v1/stats/platforms/\(world.platformA)?from=2026-01-01&to=2026-12-31", token: world.token("auditor")
        ).json["totals"]
    }

    @Test func aCaseFoundToBeTheConsumersOwnErrorLeavesThePlatformsRates() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let own = try await Self.mediatedCase(app, world), theirs = try await Self.mediatedCase(app, world)
            let filed = try await app.request(.get, "/api/v1/complaints/\(own)", token: world.token("mediator_a"))
            #expect(filed.json["fault_claim"].string == "platform")
            #expect(filed.json["answer"]["fault"].string == "consumer")
            #expect(try await app.act(own, "record_finding", as: world.token("mediator_a"), ["fault": "nobody"]).status == .unprocessableContent)
            #expect(try await app.act(own, "record_finding", as: world.token("mediator_a"), [:]).status == .unprocessableContent)
            // Only the mediator assigned, or the lead; not the parties.
            #expect(try await app.act(own, "record_finding", as: world.token("platform_staff_a"), ["fault": "consumer"]).status == .forbidden)
            #expect(try await app.act(own, "record_finding", as: world.token("consumer"), ["fault": "platform"]).status == .forbidden)
            let before = try await Self.totals(app, world)
            #expect(before["counted"].int == 2)

            let found = try await app.act(own, "record_finding", as: world.token("mediator_a"), ["fault": "consumer"])
            #expect(found.status == .ok, "\(found.text)")
            #expect(found.json["fault_finding"].string == "consumer")
            #expect(found.json["state"].string == "in_mediation")
            try await app.step(theirs, "record_finding", as: world.token("mediation_lead_a"), ["fault": "platform"])
            let after = try await Self.totals(app, world)
            // The consumer's own error is out of every rate, and counted apart; the other by its finding.
            #expect(after["counted"].int == 1)
            #expect(after["complaints"].int == 2)
            #expect(after["found_consumer_error"].int == 1)
            #expect(after["found_platform"].int == 1)
            #expect(after["escalated"].int == 1)
            // Both fail to settle: one failure in one counted case, the platform's resolution rate is
            // computed over its own case only.
            try await app.step(theirs, "fail", as: world.token("mediator_a"), ["reason": "调解不成"])
            try await app.step(own, "fail", as: world.token("mediator_a"), ["reason": "调解不成"])
            #expect(try await Self.totals(app, world)["resolution_rate"]["denominator"].int == 1)
            // A finding may still be corrected after a failed mediation, and is audited.
            try await app.step(own, "record_finding", as: world.token("mediator_a"), ["fault": "shared"])
            let corrected = try await Self.totals(app, world)
            #expect(corrected["counted"].int == 2 && corrected["found_shared"].int == 1 && corrected["found_consumer_error"].int == 0)
            let events = try await app.asOwner {
                try await $0.scalar(
                    "SELECT count(*)::int FROM audit_events WHERE chain_id = 'complaint:' || \(own)::text AND action = 'complaint.record_finding'",
                    as: Int.self)
            }
            #expect(events == 2)
        }
    }

    @Test func noFindingBeforeMediation() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            var body = app.complaintBody(world)
            body["fault_claim"] = "everyone"
            #expect(try await app.request(.post, "/api/v1/complaints", token: world.token("consumer"), json: body)
                .json["invalid_fields"].array.first?["field"].string == "fault_claim")
            let id = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            #expect(try await app.act(id, "record_finding", as: world.token("mediator_a"), ["fault": "consumer"]).status == .notFound)
            #expect(try await app.act(id, "respond", as: world.token("platform_staff_a"), ["decision": "reject", "reason": "已发货", "fault": "x"])
                .status == .unprocessableContent)
        }
    }
}
