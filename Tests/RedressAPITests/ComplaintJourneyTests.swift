import Foundation
import Hummingbird
import HummingbirdTesting
import RedressAPI
import RedressCore
import StoreTestSupport
import Testing
import TestSupport

/// The seed's journeys, end to end through the router, with the clock under the test's control.
@Suite("Complaint journeys")
struct ComplaintJourneyTests {
    static func complaintBody(_ world: World, platform: String? = nil, merchant: String? = nil, ultimatum: Int? = nil) -> [String: Any] {
        var body: [String: Any] = [
            "platform_id": platform ?? world.platformA,
            "category": "non_delivery",
            "title": "充值卡密未到账",
            "description": "2026年9月24日10时在平台购买面值500元的游戏点卡，付款成功后卡密一直未发放。",
            "order": ["order_no": "KM20260924001", "product_name": "游戏点卡 500元", "amount_paid": 50_000, "currency": "CNY",
                      "ordered_at": "2026-09-24T09:55:00+08:00", "payment_channel": "alipay", "payment_ref": "2026092422001"],
            "demands": [["kind": "refund", "amount": 50_000], ["kind": "apology"]],
        ]
        if let merchant { body["merchant_id"] = merchant }
        if let ultimatum { body["ultimatum_days"] = ultimatum }
        return body
    }

    static func configuration(_ clock: ManualClock) -> APIConfiguration {
        var configuration = testConfiguration()
        configuration.clock = clock
        return configuration
    }

    static func job(_ app: TestApp, _ clock: ManualClock) -> DeadlineJob {
        DeadlineJob(database: app.store, configuration: configuration(clock), interval: .seconds(60), logger: TestDatabase.logger)
    }

    @Test func silentPlatformEscalationSettlementFulfilmentAndRating() async throws {
        let clock = ManualClock("2026-09-24T10:00:00+08:00")
        try await withTestApp(configuration: Self.configuration(clock), world: .seeded) { app in
            var world = try await app.makeWorld()
            _ = try await app.request(.patch, "/api/v1/platforms/\(world.platformA)", token: world.token("admin"), json: ["default_mediation_body_id": world.bodyA])
            var consumer = world.token("consumer")
            let filed = try await app.request(.post, "/api/v1/complaints", token: consumer, json: Self.complaintBody(world))
            #expect(filed.status == .created, "\(filed.text)")
            let id = try #require(filed.json["id"].string)
            #expect(filed.json["state"].string == "awaiting_platform")
            #expect(filed.json["deadline_at"].string == "2026-10-12T23:59:59.999+08:00")
            #expect(filed.headers[.eTag] == "\"1\"")
            let readiness = try #require(filed.json["readiness"].present)
            #expect(readiness["next_step"]["code"].string == "wait_for_platform")

            // Platform first: no mediation before the platform had its chance.
            let early = try await app.act(id, "escalate", as: consumer)
            #expect(early.status == .conflict)
            #expect(early.json["code"].string == "platform_first")
            // Nobody else sees the case: not platform B, not a mediation body before escalation.
            for outsider in ["platform_staff_b", "merchant_staff_b", "mediator_a", "mediator_b"] {
                #expect(try await app.request(.get, "/api/v1/complaints/\(id)", token: world.token(outsider)).status == .notFound, "\(outsider)")
            }

            // The platform stays silent past its deadline.
            clock.set("2026-10-13T09:00:00+08:00")
            try await world.logInAgain(app)
            consumer = world.token("consumer")
            let outcome = try await Self.job(app, clock).runOnce()
            #expect(outcome.markedOverdue == 1)
            let overdue = try await app.request(.get, "/api/v1/complaints/\(id)", token: consumer)
            #expect(overdue.json["overdue"].bool == true)
            #expect(overdue.json["overdue_party"].string == "platform")

            let escalated = try await app.act(id, "escalate", as: consumer, ["reason": "平台逾期未答复"])
            #expect(escalated.status == .ok, "\(escalated.text)")
            #expect(escalated.json["state"].string == "escalated")
            #expect(escalated.json["mediation_body_id"].string == world.bodyA)
            // Now body A sees it, with the consumer's contact details; body B still does not; the platform never gets them.
            let mediatorView = try await app.request(.get, "/api/v1/complaints/\(id)", token: world.token("mediator_a"))
            #expect(mediatorView.status == .ok)
            #expect(mediatorView.json["consumer_contact"]["email"].string == "consumer@redress.test")
            #expect(!(try await app.request(.get, "/api/v1/complaints/\(id)", token: world.token("platform_staff_a")).text.contains("consumer@redress.test")))
            #expect(try await app.request(.get, "/api/v1/complaints/\(id)", token: world.token("mediator_b")).status == .notFound)

            #expect(try await app.act(id, "assign", as: world.token("mediation_lead_a"), ["mediator_id": world.accounts["mediator_a"]!.id]).status == .conflict)
            #expect(try await app.act(id, "triage", as: world.token("mediator_a"), ["decision": "accept"]).status == .ok)
            let assigned = try await app.act(id, "assign", as: world.token("mediation_lead_a"), ["mediator_id": world.accounts["mediator_a"]!.id])
            #expect(assigned.json["state"].string == "in_mediation", "\(assigned.text)")
            let proposed = try await app.act(id, "propose", as: world.token("mediator_a"), ["terms": ["refund": 50_000, "apology": true], "text": "平台全额退款并致歉"])
            #expect(proposed.status == .ok, "\(proposed.text)")
            #expect(try await app.act(id, "accept", as: consumer).json["state"].string == "in_mediation")
            let agreed = try await app.act(id, "accept", as: world.token("platform_staff_a"))
            #expect(agreed.json["state"].string == "resolution_agreed", "\(agreed.text)")
            #expect(agreed.json["agreed_outcome"]["refund"].int == 50_000)
            let closed = try await app.act(id, "confirm_fulfilment", as: consumer)
            #expect(closed.json["state"].string == "closed_resolved")
            let rated = try await app.act(id, "rate", as: consumer, ["rating": 5, "comment": "处理及时"])
            #expect(rated.json["rating"].int == 5)
            // The platform never sees the rating or its comment; the mediation body does.
            let asPlatform = try await app.request(.get, "/api/v1/complaints/\(id)", token: world.token("platform_staff_a"))
            #expect(asPlatform.json["rating"].isNull && asPlatform.json["rating_comment"].isNull, "\(asPlatform.text)")
            // Nor when it came: to the platform the case looks as it did when it closed.
            #expect(asPlatform.json["version"].int == (rated.json["version"].int ?? 0) - 1)
            #expect(asPlatform.json["updated_at"] == asPlatform.json["closed_at"])
            let asBody = try await app.request(.get, "/api/v1/complaints/\(id)", token: world.token("mediator_a"))
            #expect(asBody.json["rating"].int == 5)
            // Nor in the case's timeline or dossier (the event stays in the exported chain, as a hash).
            let platformTimeline = try await app.request(.get, "/api/v1/complaints/\(id)/timeline?limit=200", token: world.token("platform_staff_a"))
            #expect(platformTimeline.status == .ok && !platformTimeline.text.contains("complaint.rate"), "\(platformTimeline.text)")
            let platformDossier = try await app.request(.get, "/api/v1/complaints/\(id)/dossier", token: world.token("platform_staff_a"))
            #expect(platformDossier.status == .ok && !platformDossier.text.contains("complaint.rate") && !platformDossier.text.contains("处理及时"))
            let consumerTimeline = try await app.request(.get, "/api/v1/complaints/\(id)/timeline?limit=200", token: consumer)
            #expect(consumerTimeline.text.contains("complaint.rate"))
            // Terminal: nothing more, not even a second rating.
            let again = try await app.act(id, "rate", as: consumer, ["rating": 1])
            #expect(again.status == .conflict)
            #expect(try await app.act(id, "withdraw", as: consumer).json["code"].string == "invalid_transition")
            #expect(rated.json["version"].int == 11)  // filed, overdue, its standard deadline passed, and eight actions
        }
    }

    @Test func aMerchantThatMissesItsDeadlineHandsTheCaseToThePlatform() async throws {
        let clock = ManualClock("2026-09-24T10:00:00+08:00")
        try await withTestApp(configuration: Self.configuration(clock), world: .seeded) { app in
            var world = try await app.makeWorld()
            _ = try await app.request(.patch, "/api/v1/platforms/\(world.platformB)", token: world.token("platform_admin_b"), json: ["merchant_first": true])
            let filed = try await app.request(
                .post, "/api/v1/complaints", token: world.token("consumer"), json: Self.complaintBody(world, platform: world.platformB, merchant: world.merchantB))
            #expect(filed.json["state"].string == "awaiting_merchant")
            #expect(filed.json["deadline_at"].string == "2026-09-30T23:59:59.999+08:00")
            let id = try #require(filed.json["id"].string)
            #expect(try await app.request(.get, "/api/v1/complaints/\(id)", token: world.token("merchant_staff_b")).status == .ok)

            // A working day ahead, the merchant hears that its deadline approaches: once.
            clock.set("2026-09-29T09:00:00+08:00")
            #expect(try await Self.job(app, clock).runOnce() == DeadlineJob.Outcome(warned: 1))
            clock.set("2026-09-30T23:00:00+08:00")
            #expect(try await Self.job(app, clock).runOnce() == DeadlineJob.Outcome())
            let heard = try await EventFeedTests.readAll(app, world.token("merchant_staff_b"), expecting: 2)
            #expect(heard.compactMap { $0["type"].string } == ["complaint.submit", "complaint.deadline_approaching"])
            clock.set("2026-10-01T00:00:30+08:00")
            let outcome = try await Self.job(app, clock).runOnce()
            #expect(outcome.markedOverdue == 1 && outcome.movedToPlatform == 1)
            try await world.logInAgain(app)
            let moved = try await app.request(.get, "/api/v1/complaints/\(id)", token: world.token("platform_staff_b"))
            #expect(moved.json["state"].string == "awaiting_platform")
            #expect(moved.json["overdue"].bool == false)
            // Not seven more working days from Oct 1 (Oct 15): the platform owes the first answer by the
            // standard deadline, seven working days from filing, whatever its merchant did.
            #expect(moved.json["deadline_at"].string == "2026-10-12T23:59:59.999+08:00")
            // A second run does nothing: each case is acted on once.
            #expect(try await Self.job(app, clock).runOnce() == DeadlineJob.Outcome())
        }
    }

    /// A platform that names no mediation body cannot switch escalation off: an ultimatum that runs
    /// out after the platform's silence goes to the operator's mediation body.
    @Test func anUltimatumEscalatesToTheOperatorsBodyWhenThePlatformNamesNone() async throws {
        let clock = ManualClock("2026-09-24T10:00:00+08:00")
        try await withTestApp(configuration: Self.configuration(clock), world: .seeded) { app in
            var world = try await app.makeWorld()
            let id = try await app.create(
                "/api/v1/complaints", token: world.token("consumer"), Self.complaintBody(world, platform: world.platformB, ultimatum: 2))
            var operatorDefault = Self.configuration(clock)
            operatorDefault.defaultMediationBodyID = UUID(uuidString: world.bodyB)
            let job = DeadlineJob(database: app.store, configuration: operatorDefault, interval: .seconds(60), logger: TestDatabase.logger)
            // Without the operator's body the case would wait for ever; with it, it escalates.
            clock.set("2026-11-24T10:00:00+08:00")
            #expect(try await Self.job(app, clock).runOnce().escalated == 0)
            #expect(try await job.runOnce().escalated == 1)
            try await world.logInAgain(app)
            let escalated = try await app.request(.get, "/api/v1/complaints/\(id)", token: world.token("consumer"))
            #expect(escalated.json["state"].string == "escalated", "\(escalated.text)")
            #expect(escalated.json["mediation_body_id"].string == world.bodyB)
        }
    }

    @Test func thePlatformAnswersAndTheConsumerAccepts() async throws {
        let clock = ManualClock("2026-11-02T10:00:00+08:00")
        try await withTestApp(configuration: Self.configuration(clock), world: .seeded) { app in
            let world = try await app.makeWorld()
            let id = try await app.create("/api/v1/complaints", token: world.token("consumer"), Self.complaintBody(world))
            // Only the platform may answer; the merchant is not named, the consumer cannot.
            #expect(try await app.act(id, "respond", as: world.token("consumer"), ["decision": "reject", "reason": "x"]).status == .forbidden)
            #expect(try await app.act(id, "respond", as: world.token("merchant_staff_a"), ["decision": "reject", "reason": "x"]).status == .notFound)
            clock.set("2026-11-02T15:00:00+08:00")
            let answered = try await app.act(id, "respond", as: world.token("platform_staff_a"),
                                         ["decision": "propose", "proposal": ["refund": 50_000, "text": "核实后全额退款"]])
            #expect(answered.json["state"].string == "proposal_made", "\(answered.text)")
            #expect(answered.json["first_response_on_time"].bool == true)
            let accepted = try await app.act(id, "accept", as: world.token("consumer"))
            #expect(accepted.json["state"].string == "resolution_agreed")
            let closed = try await app.act(id, "confirm_fulfilment", as: world.token("consumer"))
            #expect(closed.json["state"].string == "closed_resolved")
        }
    }

    /// Once the body accepted a case at triage, a mediator cannot decline it after all; the lead can.
    @Test func aMediatorCannotOverruleTheLeadsTriage() async throws {
        let clock = ManualClock("2026-11-02T10:00:00+08:00")
        try await withTestApp(configuration: Self.configuration(clock), world: .seeded) { app in
            let world = try await app.makeWorld()
            let consumer = world.token("consumer")
            let id = try await app.create("/api/v1/complaints", token: consumer, Self.complaintBody(world))
            try await app.step(id, "respond", as: world.token("platform_admin_a"), ["decision": "reject", "reason": "已发货"])
            try await app.step(id, "reject", as: consumer, ["reason": "卡密无效"])
            try await app.step(id, "escalate", as: consumer, ["mediation_body_id": world.bodyA])
            try await app.step(id, "triage", as: world.token("mediation_lead_a"), ["decision": "accept"])
            let overruled = try await app.act(id, "triage", as: world.token("mediator_a"), ["decision": "decline", "reason": "不受理"])
            #expect(overruled.status == .forbidden, "only the lead may now: \(overruled.text)")
            let declined = try await app.act(id, "triage", as: world.token("mediation_lead_a"), ["decision": "decline", "reason": "不属于受理范围"])
            #expect(declined.json["state"].string == "mediation_failed", "\(declined.text)")
        }
    }

    @Test func aFailedMediationIsReferredOutward() async throws {
        let clock = ManualClock("2026-11-02T10:00:00+08:00")
        try await withTestApp(configuration: Self.configuration(clock), world: .seeded) { app in
            let world = try await app.makeWorld()
            let consumer = world.token("consumer")
            let id = try await app.create("/api/v1/complaints", token: consumer, Self.complaintBody(world))
            _ = try await app.act(id, "respond", as: world.token("platform_admin_a"), ["decision": "reject", "reason": "已发货，拒绝退款"])
            #expect(try await app.act(id, "escalate", as: consumer, ["mediation_body_id": world.bodyB]).json["code"].string == "platform_first")
            #expect(try await app.act(id, "reject", as: consumer, ["reason": "卡密无效"]).json["state"].string == "proposal_made")
            let escalated = try await app.act(id, "escalate", as: consumer, ["mediation_body_id": world.bodyB])
            #expect(escalated.json["state"].string == "escalated", "\(escalated.text)")
            let declined = try await app.act(id, "triage", as: world.token("mediator_b"), ["decision": "decline", "reason": "不属于受理范围"])
            #expect(declined.json["state"].string == "mediation_failed")
            let referred = try await app.act(id, "refer", as: consumer, ["channel": "12315", "reference": "12315-2026-001"])
            #expect(referred.json["state"].string == "referred")
            #expect(referred.json["referral_channel"].string == "12315")
        }
    }

    @Test func aConsumerWithdraws() async throws {
        try await withTestApp(configuration: Self.configuration(ManualClock("2026-11-02T10:00:00+08:00")), world: .seeded) { app in
            let world = try await app.makeWorld()
            let id = try await app.create("/api/v1/complaints", token: world.token("consumer"), Self.complaintBody(world))
            #expect(try await app.act(id, "withdraw", as: world.token("platform_admin_a")).status == .forbidden)
            let withdrawn = try await app.act(id, "withdraw", as: world.token("consumer"))
            #expect(withdrawn.json["state"].string == "withdrawn")
            #expect(!withdrawn.json["closed_at"].isNull)
            #expect(try await app.act(id, "respond", as: world.token("platform_admin_a"), ["decision": "reject", "reason": "x"]).status == .conflict)
        }
    }
}

@Suite("Deadline job across replicas")
struct DeadlineJobReplicaTests {
    @Test func twoJobsRunningTogetherActOnEachCaseOnce() async throws {
        let clock = ManualClock("2026-11-02T10:00:00+08:00")
        let configuration = ComplaintJourneyTests.configuration(clock)
        try await withTestApp(configuration: configuration, world: .seeded) { app in
            let world = try await app.makeWorld()
            _ = try await app.request(.patch, "/api/v1/platforms/\(world.platformB)", token: world.token("platform_admin_b"), json: ["merchant_first": true])
            for index in 0..<60 {
                var body = app.complaintBody(world)
                if index % 2 == 0 {
                    body["platform_id"] = world.platformB
                    body["merchant_id"] = world.merchantB
                }
                _ = try await app.create("/api/v1/complaints", token: world.token("consumer"), body)
            }
            clock.set("2026-12-01T10:00:00+08:00")
            let jobs = (0..<2).map { _ in
                DeadlineJob(database: app.store, configuration: configuration, interval: .seconds(60), logger: TestDatabase.logger)
            }
            let outcomes = try await withThrowingTaskGroup(of: DeadlineJob.Outcome.self) { group in
                for job in jobs { group.addTask { try await job.runOnce() } }
                var all: [DeadlineJob.Outcome] = []
                for try await outcome in group { all.append(outcome) }
                return all
            }
            // The thirty a merchant missed reach the platform past their standard deadline: it gets a
            // working day, not a deadline already gone.
            #expect(outcomes.map(\.markedOverdue).reduce(0, +) == 60)
            #expect(outcomes.map(\.movedToPlatform).reduce(0, +) == 30)
            let overdueEvents = try await app.asOwner { try await $0.scalar("SELECT count(*)::int FROM audit_events WHERE action = 'complaint.overdue'", as: Int.self) }
            #expect(overdueEvents == 60)
        }
    }
}
