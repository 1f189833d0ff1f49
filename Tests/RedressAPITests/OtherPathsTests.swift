import Foundation
import PostgresNIO
import RedressAPI
@testable import RedressStore
import StoreTestSupport
import Testing
import TestSupport

/// The guide's other paths: 12315 right after the platform, re-filing a failed case, and a platform
/// that hands a case to its merchant first.
@Suite("The guide's other paths")
struct OtherPathsTests {
    @Test func twelve315RightAfterAnUnansweredPlatformStageWithThePacket() async throws {
        let clock = ManualClock("2026-11-02T10:00:00+08:00")
        try await withTestApp(configuration: ComplaintJourneyTests.configuration(clock), world: .seeded) { app in
            var world = try await app.makeWorld()
            let id = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            // Not before the platform had its chance.
            #expect(try await app.act(id, "refer", as: world.token("consumer"), ["channel": "12315"]).status == .conflict)
            clock.set("2026-11-12T10:00:00+08:00")
            try await world.logInAgain(app)
            let consumer = world.token("consumer")
            let court = try await app.act(id, "refer", as: consumer, ["channel": "court"])
            #expect(court.json["invalid_fields"].array.first?["reason"].string == "only_12315_before_mediation", "\(court.text)")
            // The packet the authority asks for: the platform's registered name, credit code and address,
            // the demands, the evidence list with digests.
            let packet = try await app.request(.get, "/api/v1/complaints/\(id)/dossier", token: consumer)
            #expect(packet.json["platform"]["credit_code"].string?.count == 18)
            #expect(packet.json["platform"]["registered_address"].string?.isEmpty == false)
            #expect(packet.json["complaint"]["demands"].array.isEmpty == false)
            #expect(packet.json["recommended_channels"].array.first?.string == "12315")
            let referred = try await app.act(id, "refer", as: consumer, ["channel": "12315"])
            #expect(referred.status == .ok, "\(referred.text)")
            #expect(referred.json["state"].string == "referred")
            #expect(referred.json["referral_outcome"].isNull)
            #expect(referred.json["allowed_actions"].array.compactMap(\.string).contains("record_referral"))
            // The authority's case number later, then its outcome: the referral closes.
            let numbered = try await app.act(id, "record_referral", as: consumer, ["reference": "12315-2026-1112-0042"])
            #expect(numbered.json["referral_reference"].string == "12315-2026-1112-0042")
            #expect(try await app.act(id, "record_referral", as: consumer, ["outcome": "maybe"]).status == .unprocessableContent)
            #expect(try await app.act(id, "record_referral", as: world.token("platform_staff_a"), ["outcome": "resolved"]).status == .forbidden)
            let closed = try await app.act(id, "record_referral", as: consumer, ["outcome": "resolved"])
            #expect(closed.json["referral_outcome"].string == "resolved")
            #expect(closed.json["referral_closed_at"].string?.hasPrefix("2026-11-12") == true)
            #expect(try await app.act(id, "record_referral", as: consumer, ["outcome": "declined"]).status == .conflict)
            // The printed dossier says where the case went and what became of it.
            let printed = try await app.request(.get, "/api/v1/complaints/\(id)/dossier?format=html", token: consumer)
            #expect(printed.text.contains("12315-2026-1112-0042") && printed.text.contains("resolved"), "\(printed.text.prefix(300))")
        }
    }

    /// "请在3个工作日内解决，否则将向12315投诉": the system carries an expired ultimatum out by sending the
    /// case to mediation, at the moment 12315 became open to the consumer; his choice still wins.
    @Test func anUltimatumCarriedOutByTheSystemMayStillGoTo12315() async throws {
        let clock = ManualClock("2026-11-02T10:00:00+08:00")
        try await withTestApp(configuration: ComplaintJourneyTests.configuration(clock), world: .seeded) { app in
            var world = try await app.makeWorld()
            _ = try await app.request(
                .patch, "/api/v1/platforms/\(world.platformA)", token: world.token("admin"), json: ["default_mediation_body_id": world.bodyA])
            let body = ComplaintJourneyTests.complaintBody(world, ultimatum: 2)
            let leaving = try await app.create("/api/v1/complaints", token: world.token("consumer"), body)
            let taken = try await app.create("/api/v1/complaints", token: world.token("consumer"), body)
            let own = try await app.create("/api/v1/complaints", token: world.token("consumer"), ComplaintJourneyTests.complaintBody(world))
            clock.set("2026-11-12T10:00:00+08:00")
            #expect(try await ComplaintJourneyTests.job(app, clock).runOnce().escalated == 2)
            try await world.logInAgain(app)
            let consumer = world.token("consumer")
            try await app.step(own, "escalate", as: consumer, ["mediation_body_id": world.bodyA])
            let escalated = try await app.request(.get, "/api/v1/complaints/\(leaving)", token: consumer)
            #expect(escalated.json["state"].string == "escalated")
            #expect(escalated.json["escalated_by"].string == "system")
            #expect(escalated.json["allowed_actions"].array.compactMap(\.string).contains("refer"))
            // 12315 only, as before mediation.
            let court = try await app.act(leaving, "refer", as: consumer, ["channel": "court"])
            #expect(court.json["invalid_fields"].array.first?["reason"].string == "only_12315_before_mediation", "\(court.text)")
            let referred = try await app.act(leaving, "refer", as: consumer, ["channel": "12315"])
            #expect(referred.json["state"].string == "referred", "\(referred.text)")
            // Not once the body has taken the case up, and not a case the consumer sent to mediation himself.
            try await app.step(taken, "triage", as: world.token("mediation_lead_a"), ["decision": "accept"])
            #expect(try await app.act(taken, "refer", as: consumer, ["channel": "12315"]).status == .conflict)
            let ownCase = try await app.request(.get, "/api/v1/complaints/\(own)", token: consumer)
            #expect(ownCase.json["escalated_by"].string == "consumer")
            #expect(try await app.act(own, "refer", as: consumer, ["channel": "12315"]).status == .conflict)
            // Nor can the consumer's side write the system's name into the database.
            let account = try #require(world.accounts["consumer"])
            let asConsumer = DatabaseIdentity(role: "consumer", accountID: UUID(uuidString: account.id))
            await #expect(throws: (any Error).self) {
                try await app.store.transaction(as: asConsumer, origin: .commandLine) { transaction in
                    try await transaction.query(
                        "UPDATE complaints SET escalated_by = 'system', version = version + 1 WHERE id = \(UUID(uuidString: own)!)")
                }
            }
            let fresh = try await app.create("/api/v1/complaints", token: consumer, ComplaintJourneyTests.complaintBody(world))
            await #expect(throws: (any Error).self) {
                try await app.store.transaction(as: asConsumer, origin: .commandLine) { transaction in
                    try await transaction.query(
                        "UPDATE complaints SET state = 'escalated', version = version + 1 WHERE id = \(UUID(uuidString: fresh)!)")
                }
            }
        }
    }

    @Test func aFailedCaseIsRefiledOnceAsANewLinkedCase() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let consumer = world.token("consumer")
            let open = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))
            var body = app.complaintBody(world)
            body["refiles"] = open
            #expect(try await app.request(.post, "/api/v1/complaints", token: consumer, json: body)
                .json["invalid_fields"].array.first?["reason"].string == "not_failed")
            let failed = try await FaultFindingTests.mediatedCase(app, world)
            try await app.step(failed, "fail", as: world.token("mediator_a"), ["reason": "调解不成"])
            body["refiles"] = failed
            body["description"] = "前次调解未果。补充：平台客服录音证明卡密未发放。"
            let refiled = try await app.request(.post, "/api/v1/complaints", token: consumer, json: body)
            #expect(refiled.status == .created, "\(refiled.text)")
            #expect(refiled.json["refiles"].string == failed)
            #expect(try await app.request(.post, "/api/v1/complaints", token: consumer, json: body)
                .json["invalid_fields"].array.first?["reason"].string == "already_refiled")
            // Another consumer cannot claim the case; nor can it go to another platform.
            body["refiles"] = UUID().uuidString
            #expect(try await app.request(.post, "/api/v1/complaints", token: consumer, json: body)
                .json["invalid_fields"].array.first?["reason"].string == "unknown_complaint")
        }
    }

    @Test func thePlatformHandsACaseToItsMerchantOnce() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            var body = app.complaintBody(world)
            body["merchant_id"] = world.merchantA
            let id = try await app.create("/api/v1/complaints", token: world.token("consumer"), body)
            #expect(try await app.act(id, "hand_to_merchant", as: world.token("consumer")).status == .forbidden)
            let handed = try await app.act(id, "hand_to_merchant", as: world.token("platform_staff_a"))
            #expect(handed.status == .ok, "\(handed.text)")
            #expect(handed.json["state"].string == "awaiting_merchant")
            #expect(handed.json["standard_deadline_at"] == (try await app.request(.get, "/api/v1/complaints/\(id)", token: world.token("consumer"))).json["standard_deadline_at"])
            // The merchant's turn now; the consumer may take it back to the platform, which cannot hand it on again.
            try await app.step(id, "escalate_to_platform", as: world.token("consumer"))
            #expect(try await app.act(id, "hand_to_merchant", as: world.token("platform_staff_a")).status == .conflict)
            // Not once the platform's own deadline passed, and never with more time than the platform had.
            let late = try await app.create("/api/v1/complaints", token: world.token("consumer"), body)
            let lateCase = try await app.request(.get, "/api/v1/complaints/\(late)", token: world.token("platform_staff_a"))
            let withMerchant = try await app.act(late, "hand_to_merchant", as: world.token("platform_staff_a"))
            #expect((withMerchant.json["deadline_at"].string ?? "z") <= (lateCase.json["deadline_at"].string ?? ""))
            // A case that names no merchant cannot be handed.
            let unnamed = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            #expect(try await app.act(unnamed, "hand_to_merchant", as: world.token("platform_staff_a")).status == .conflict)
        }
    }

    @Test func aHandOffNeverBuysThePlatformTime() async throws {
        let clock = ManualClock("2026-11-02T10:00:00+08:00")
        try await withTestApp(configuration: ComplaintJourneyTests.configuration(clock), world: .seeded) { app in
            var world = try await app.makeWorld()
            var body = app.complaintBody(world)
            body["merchant_id"] = world.merchantA
            let silent = try await app.create("/api/v1/complaints", token: world.token("consumer"), body)
            let early = try await app.create("/api/v1/complaints", token: world.token("consumer"), body)
            let answered = try await app.create("/api/v1/complaints", token: world.token("consumer"), body)
            let filed = try await app.request(.get, "/api/v1/complaints/\(silent)", token: world.token("platform_staff_a"))
            let platformDeadline = try #require(filed.json["deadline_at"].string)
            // Handed on the platform's fifth working day: the merchant's three days end with the platform's.
            clock.set("2026-11-09T10:00:00+08:00")
            try await world.logInAgain(app)
            for id in [silent, early, answered] { try await app.step(id, "hand_to_merchant", as: world.token("platform_staff_a")) }
            // The merchant answers in time: that was the first answer.
            try await app.step(answered, "respond", as: world.token("merchant_staff_a"), ["decision": "reject", "reason": "卡密已发放"])
            // Taken back early by the consumer: the platform's own deadline, not a new one.
            let back = try await app.act(early, "escalate_to_platform", as: world.token("consumer"))
            #expect(back.json["state"].string == "awaiting_platform")
            #expect(back.json["deadline_at"].string == platformDeadline)
            #expect(back.json["overdue"].bool == false)
            // The merchant stays silent past the deadline: back with the platform, overdue at once, and
            // the consumer may go on to mediation or 12315 without waiting another day.
            clock.set("2026-11-12T10:00:00+08:00")
            _ = try await ComplaintJourneyTests.job(app, clock).runOnce()
            try await world.logInAgain(app)
            let returned = try await app.request(.get, "/api/v1/complaints/\(silent)", token: world.token("consumer"))
            #expect(returned.json["state"].string == "awaiting_platform", "\(returned.text)")
            #expect(returned.json["deadline_at"].string == platformDeadline)
            #expect(returned.json["overdue"].bool == true)
            #expect(returned.json["overdue_party"].string == "platform")
            #expect(returned.json["allowed_actions"].array.compactMap(\.string).contains("refer"))
            // The merchant's answer rejected after the platform's deadline: the platform reviews it in a
            // stage of its own, not overdue on arrival.
            let reviewed = try await app.act(answered, "reject", as: world.token("consumer"))
            #expect(reviewed.json["state"].string == "awaiting_platform", "\(reviewed.text)")
            #expect(reviewed.json["overdue"].bool == false)
            #expect((reviewed.json["deadline_at"].string ?? "") > "2026-11-13")
            let audited = try await app.asOwner {
                try await $0.scalar(
                    "SELECT count(*)::int FROM audit_events WHERE entity_id = \(UUID(uuidString: silent)!) AND content LIKE '%overdue_party%'",
                    as: Int.self)
            }
            #expect(audited == 2, "the merchant's miss and the platform's, each once")
        }
    }

    @Test func theDatabaseHoldsFindingsReferralsAndRefilingsToTheirAuthors() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let id = try await FaultFindingTests.mediatedCase(app, world)
            let staff = try #require(world.accounts["platform_staff_a"]), consumer = try #require(world.accounts["consumer"])
            let platform = DatabaseIdentity(role: "platform_staff", accountID: UUID(uuidString: staff.id), organizationID: UUID(uuidString: world.platformA))
            let asConsumer = DatabaseIdentity(role: "consumer", accountID: UUID(uuidString: consumer.id))
            let caseID = UUID(uuidString: id)!
            // The platform cannot find the consumer at fault by itself; the consumer cannot close a referral he has not got.
            await #expect(throws: (any Error).self) {
                try await app.store.transaction(as: platform, origin: .commandLine) { transaction in
                    try await transaction.query(
                        "UPDATE complaints SET fault_finding = 'consumer', version = version + 1 WHERE id = \(caseID)")
                }
            }
            await #expect(throws: (any Error).self) {
                try await app.store.transaction(as: asConsumer, origin: .commandLine) { transaction in
                    try await transaction.query(
                        "UPDATE complaints SET fault_finding = 'platform', version = version + 1 WHERE id = \(caseID)")
                }
            }
            // A supplement is the consumer's: the platform cannot write one into the thread.
            await #expect(throws: (any Error).self) {
                try await app.store.transaction(as: platform, origin: .commandLine) { transaction in
                    try await transaction.insertThreadEntry(
                        MessageRecord(
                            id: UUID(), complaintID: caseID, authorID: UUID(uuidString: staff.id)!, authorRole: "platform_staff",
                            authorOrganizationID: UUID(uuidString: world.platformA), visibility: .parties, body: "x", createdAt: Date(),
                            kind: .supplement))
                }
            }
            let finding = try await app.asOwner {
                try await $0.scalar("SELECT coalesce(fault_finding, 'none') FROM complaints WHERE id = \(caseID)", as: String.self)
            }
            #expect(finding == "none")
        }
    }

    @Test func aRejectionIsReferredOnlyAfterItsGrace() async throws {
        let clock = ManualClock("2026-11-02T10:00:00+08:00")
        try await withTestApp(configuration: ComplaintJourneyTests.configuration(clock), world: .seeded) { app in
            var world = try await app.makeWorld()
            let id = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            try await app.step(id, "respond", as: world.token("platform_staff_a"), ["decision": "reject", "reason": "已发货"])
            // The platform may still dispute the complaint's validity before it leaves for 12315.
            #expect(try await app.act(id, "refer", as: world.token("consumer"), ["channel": "12315"]).status == .conflict)
            clock.set("2026-11-04T11:00:00+08:00")
            try await world.logInAgain(app)
            let referred = try await app.act(id, "refer", as: world.token("consumer"), ["channel": "12315", "reference": "A-1"])
            #expect(referred.json["state"].string == "referred", "\(referred.text)")
            // The case number given stays; the outcome closes the referral.
            #expect(try await app.act(id, "record_referral", as: world.token("consumer"), ["reference": "B-2"])
                .json["invalid_fields"].array.first?["reason"].string == "reference_recorded")
            #expect(try await app.act(id, "record_referral", as: world.token("consumer"), ["reference": "A-1"])
                .json["invalid_fields"].array.first?["reason"].string == "nothing_new")
            let closed = try await app.act(id, "record_referral", as: world.token("consumer"), ["reference": "A-1", "outcome": "not_resolved"])
            #expect(closed.json["referral_outcome"].string == "not_resolved", "\(closed.text)")
            let stats = try await app.request(
                .get, "/api/v1/stats/platforms/\(world.platformA)?from=2026-11-01&to=2026-11-30", token: world.token("auditor"))
            #expect(stats.json["totals"]["referred"].int == 1)
        }
    }
}
