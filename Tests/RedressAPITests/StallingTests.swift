import Foundation
import RedressAPI
import StoreTestSupport
import Testing
import TestSupport

/// The guide's trap: "系统升级", "人工审核中", "正在核实" instead of an answer. A holding reply is an
/// acknowledgement — shown, never an answer — and the consumer's ultimatum can be set at any time.
@Suite("Stalling is not an answer")
struct StallingTests {
    @Test func twoHoldingRepliesLeaveTheCaseOverdueAndTheResponseRateUnchanged() async throws {
        let clock = ManualClock("2026-11-02T10:00:00+08:00")
        try await withTestApp(configuration: ComplaintJourneyTests.configuration(clock), world: .seeded) { app in
            var world = try await app.makeWorld()
            let id = try await app.create(
                "/api/v1/complaints", token: world.token("consumer"), ComplaintJourneyTests.complaintBody(world))
            let platform = world.token("platform_staff_a")
            let filed = try await app.request(.get, "/api/v1/complaints/\(id)", token: platform)
            let deadline = try #require(filed.json["deadline_at"].string)

            // A rejection whose reason is a holding reply is refused: it would stop the clock.
            let disguised = try await app.act(id, "respond", as: platform, ["decision": "reject", "reason": "您好，正在核实中，请耐心等待。"])
            #expect(disguised.status == .unprocessableContent)
            #expect(disguised.json["invalid_fields"].array.first?["reason"].string == "holding_reply")
            // Only the side the case waits on may acknowledge, and with a text.
            #expect(try await app.act(id, "acknowledge", as: world.token("consumer"), ["text": "x"]).status == .forbidden)
            #expect(try await app.act(id, "acknowledge", as: platform, [:]).json["invalid_fields"].array.first?["field"].string == "text")

            for (day, text) in [("2026-11-03", "系统升级中，请耐心等待"), ("2026-11-05", "您的投诉已转人工审核，审核中")] {
                clock.set("\(day)T11:00:00+08:00")
                try await world.logInAgain(app)
                let acknowledged = try await app.act(id, "acknowledge", as: world.token("platform_staff_a"), ["text": text])
                #expect(acknowledged.status == .ok, "\(acknowledged.text)")
                #expect(acknowledged.json["state"].string == "awaiting_platform")
                #expect(acknowledged.json["deadline_at"].string == deadline)
                #expect(acknowledged.json["first_response_at"].isNull)
            }
            let seen = try await app.request(.get, "/api/v1/complaints/\(id)", token: world.token("consumer"))
            #expect(seen.json["acknowledgements"].int == 2)
            #expect(seen.json["last_acknowledged_at"].string?.hasPrefix("2026-11-05T11:00:00") == true)
            // Shown in the thread, as acknowledgements; recorded in the audit as digests only.
            let thread = try await app.request(.get, "/api/v1/complaints/\(id)/messages", token: world.token("consumer"))
            #expect(thread.json["items"].array.map { $0["kind"].string } == ["acknowledgement", "acknowledgement"])
            #expect(thread.json["items"].array.first?["body"].string == "系统升级中，请耐心等待")
            let events = try await app.asOwner {
                try await $0.scalar(
                    "SELECT count(*)::int FROM audit_events WHERE chain_id = 'complaint:' || \(id)::text AND action = 'complaint.acknowledge'",
                    as: Int.self)
            }
            #expect(events == 2)
            let clearText = try await app.asOwner {
                try await $0.scalar("SELECT count(*)::int FROM audit_events WHERE content::text LIKE '%系统升级%'", as: Int.self)
            }
            #expect(clearText == 0)

            // No response in any figure; past the deadline the case is the platform's overdue one.
            let responded = try await app.asOwner {
                try await $0.scalar(
                    "SELECT coalesce(sum(responded), 0)::int FROM platform_daily_statistics WHERE platform_id = \(world.platformA)::uuid",
                    as: Int.self)
            }
            #expect(responded == 0)
            // The mediation bodies see the platform stall in its statistics.
            let stats = try await app.request(
                .get, "/api/v1/stats/platforms/\(world.platformA)?from=2026-11-01&to=2026-11-30", token: world.token("mediator_a"))
            #expect(stats.json["totals"]["held_without_answer"].int == 1, "\(stats.text)")
            #expect(stats.json["totals"]["responded"].int == 0)
            clock.set("2026-11-12T10:00:00+08:00")
            #expect(try await ComplaintJourneyTests.job(app, clock).runOnce().markedOverdue == 1)
            try await world.logInAgain(app)
            let overdue = try await app.request(.get, "/api/v1/complaints/\(id)", token: world.token("consumer"))
            #expect(overdue.json["overdue"].bool == true)
            #expect(overdue.json["overdue_party"].string == "platform")
            let due = try await app.asOwner {
                try await $0.scalar(
                    "SELECT (sum(due) - sum(responded))::int FROM platform_daily_statistics WHERE platform_id = \(world.platformA)::uuid",
                    as: Int.self)
            }
            #expect(due == 1)
        }
    }

    @Test func anUltimatumSetOnDayThreeEscalatesWhenItRunsOut() async throws {
        let clock = ManualClock("2026-11-02T10:00:00+08:00")
        try await withTestApp(configuration: ComplaintJourneyTests.configuration(clock), world: .seeded) { app in
            var world = try await app.makeWorld()
            _ = try await app.request(
                .patch, "/api/v1/platforms/\(world.platformA)", token: world.token("admin"), json: ["default_mediation_body_id": world.bodyA])
            let id = try await app.create(
                "/api/v1/complaints", token: world.token("consumer"), ComplaintJourneyTests.complaintBody(world))
            clock.set("2026-11-04T10:00:00+08:00")
            try await world.logInAgain(app)
            let consumer = world.token("consumer")
            // Only the consumer sets it, within 1 to 60 working days.
            #expect(try await app.act(id, "set_ultimatum", as: world.token("platform_staff_a"), ["ultimatum_days": 5]).status == .forbidden)
            #expect(try await app.act(id, "set_ultimatum", as: consumer, ["ultimatum_days": 0]).status == .unprocessableContent)
            #expect(try await app.act(id, "set_ultimatum", as: consumer, ["ultimatum_days": 61]).status == .unprocessableContent)
            let first = try await app.act(id, "set_ultimatum", as: consumer, ["ultimatum_days": 10])
            #expect(first.json["ultimatum_at"].string == "2026-11-18T23:59:59.999+08:00", "\(first.text)")
            // Brought forward; never pushed back.
            let shorter = try await app.act(id, "set_ultimatum", as: consumer, ["ultimatum_days": 6])
            #expect(shorter.json["ultimatum_at"].string == "2026-11-12T23:59:59.999+08:00")
            #expect(shorter.json["ultimatum_days"].int == 6)
            #expect(shorter.json["deadline_at"].string == "2026-11-11T23:59:59.999+08:00")
            let later = try await app.act(id, "set_ultimatum", as: consumer, ["ultimatum_days": 8])
            #expect(later.json["invalid_fields"].array.first?["reason"].string == "not_earlier_than_current_ultimatum")
            // The case still takes every other action: the platform acknowledges.
            let held = try await app.act(id, "acknowledge", as: world.token("platform_staff_a"), ["text": "正在核实"])
            #expect(held.status == .ok, "\(held.text)")

            // The platform's deadline passes first: overdue, not yet escalated.
            clock.set("2026-11-12T10:00:00+08:00")
            let atDeadline = try await ComplaintJourneyTests.job(app, clock).runOnce()
            #expect(atDeadline.markedOverdue == 1)
            #expect(atDeadline.escalated == 0)
            // The ultimatum runs out: the case goes to the platform's mediation body by itself.
            clock.set("2026-11-13T00:30:00+08:00")
            #expect(try await ComplaintJourneyTests.job(app, clock).runOnce().escalated == 1)
            try await world.logInAgain(app)
            let escalated = try await app.request(.get, "/api/v1/complaints/\(id)", token: world.token("consumer"))
            #expect(escalated.json["state"].string == "escalated")
            #expect(escalated.json["mediation_body_id"].string == world.bodyA)
            // …and the mediation body takes it up as any other.
            let triaged = try await app.act(id, "triage", as: world.token("mediator_a"), ["decision": "accept"])
            #expect(triaged.status == .ok, "\(triaged.text)")
            // Escalated, the ultimatum has done its work: no more setting it.
            #expect(try await app.act(id, "set_ultimatum", as: world.token("consumer"), ["ultimatum_days": 3]).status == .conflict)
        }
    }

    /// An ultimatum set on the platform's answer holds the case open until it (and its grace) acts.
    @Test func anUltimatumOnAnAnswerMovesTheClosingTime() async throws {
        let clock = ManualClock("2026-11-02T10:00:00+08:00")
        try await withTestApp(configuration: ComplaintJourneyTests.configuration(clock), world: .seeded) { app in
            let world = try await app.makeWorld()
            let id = try await app.create(
                "/api/v1/complaints", token: world.token("consumer"), ComplaintJourneyTests.complaintBody(world))
            let answered = try await app.act(
                id, "respond", as: world.token("platform_staff_a"), ["decision": "propose", "proposal": ["refund": 100, "text": "补偿1元"]])
            let closes = try #require(answered.json["closes_at"].string)
            #expect(closes == "2026-11-16T23:59:59.999+08:00")
            let set = try await app.act(id, "set_ultimatum", as: world.token("consumer"), ["ultimatum_days": 9])
            #expect(set.json["ultimatum_at"].string == "2026-11-13T23:59:59.999+08:00")
            // The ultimatum's grace ends on 11-15; the consumer's reply window of 10 working days follows.
            #expect(set.json["closes_at"].string == "2026-11-27T23:59:59.999+08:00", "\(set.text)")
        }
    }
}
