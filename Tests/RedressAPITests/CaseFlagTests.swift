import Foundation
import NIOCore
import RedressAPI
import StoreTestSupport
import Testing
import TestSupport

/// The guide's traps of wording: "虚拟商品一经售出，概不退换" and "投诉将影响账户使用".
@Suite("Unfair terms and retaliation threats")
struct CaseFlagTests {
    @Test func anUnfairAnswerIsFlaggedConfirmedAndPublished() async throws {
        let clock = ManualClock("2026-09-24T10:00:00+08:00")
        try await withTestApp(configuration: PublicReportTests.configuration(clock, minimum: 1), world: .seeded) { app in
            let world = try await app.makeWorld()
            let consumer = world.token("consumer"), platform = world.token("platform_staff_a"), admin = world.token("platform_admin_a")
            // The platform records its terms; the clause that excludes returns is recognised, with the law.
            #expect(try await app.request(
                .post, "/api/v1/platforms/\(world.platformA)/terms", token: platform,
                json: ["effective_from": "2026-09-01", "clauses": ["x"]]).status == .forbidden)
            let terms = try await app.request(
                .post, "/api/v1/platforms/\(world.platformA)/terms", token: admin,
                json: ["effective_from": "2026-09-01", "clauses": ["充值成功后24小时内到账。", "虚拟商品一经售出，概不退換。"]])
            #expect(terms.status == .created, "\(terms.text)")
            #expect(terms.json["version"].int == 1)
            let clauses = terms.json["clauses"].array
            #expect(clauses.first?["flags"].array.isEmpty == true)
            #expect(clauses.last?["flags"].array.first?["kind"].string == "unfair_term")
            #expect(clauses.last?["flags"].array.first?["legal_basis"].string?.contains("第二十六条") == true)
            #expect(try await app.request(
                .post, "/api/v1/platforms/\(world.platformA)/terms", token: admin,
                json: ["effective_from": "2026-02-30", "clauses": []]).json["invalid_fields"].array.count == 2)
            let read = try await app.request(.get, "/api/v1/platforms/\(world.platformA)/terms", token: consumer, headers: [.acceptLanguage: "en"])
            #expect(read.json["items"].array.first?["clauses"].array.last?["flags"].array.first?["legal_basis"].string?.contains("Art. 26") == true)

            // Filed while those terms are in force: the case is flagged from them.
            let id = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))
            var flags = try await app.request(.get, "/api/v1/complaints/\(id)/flags", token: consumer).json["items"].array
            #expect(flags.map { $0["source"].string } == ["platform_terms"])
            // The answer quotes the clause; a message threatens the account.
            try await app.step(id, "respond", as: platform, ["decision": "reject", "reason": "根据平台规则，虚拟商品一经售出概不退换。"])
            #expect(try await app.request(
                .post, "/api/v1/complaints/\(id)/messages", token: platform, json: ["body": "如继续投诉，将影响账户使用。"]).status == .created)
            // The consumer reports a frozen account, with a screenshot.
            let shot = try await EvidenceTests.upload(app, id, token: consumer, kind: "communication_record", type: "image/png", bytes: EvidenceSamples.png)
            let evidenceID = try #require(shot.json["id"].string)
            let reported = try await app.request(
                .post, "/api/v1/complaints/\(id)/flags", token: consumer,
                json: ["kind": "retaliation_threat", "statement": "投诉后账号被冻结", "evidence_ids": [evidenceID]])
            #expect(reported.status == .created, "\(reported.text)")
            #expect(reported.json["evidence_ids"].array.map(\.string) == [evidenceID])
            #expect(try await app.request(
                .post, "/api/v1/complaints/\(id)/flags", token: consumer,
                json: ["kind": "retaliation_threat", "statement": "x", "evidence_ids": [UUID().uuidString]]).json["invalid_fields"].array.first?["reason"]
                .string == "not_evidence_of_the_case")
            #expect(try await app.request(
                .post, "/api/v1/complaints/\(id)/flags", token: platform, json: ["kind": "unfair_term", "statement": "x"]).status == .forbidden)
            flags = try await app.request(.get, "/api/v1/complaints/\(id)/flags", token: consumer).json["items"].array
            #expect(flags.map { "\($0["kind"].string ?? "")/\($0["source"].string ?? "")" } == [
                "unfair_term/platform_terms", "unfair_term/answer", "retaliation_threat/message", "retaliation_threat/consumer_report",
            ])
            #expect(flags.allSatisfy { $0["state"].string == "open" && $0["legal_basis"].string?.isEmpty == false })
            // Only the mediation body the case is with decides: not the parties, not before escalation.
            let answerFlag = try #require(flags[1]["id"].string), threat = try #require(flags[2]["id"].string)
            #expect(try await app.request(
                .post, "/api/v1/complaints/\(id)/flags/\(answerFlag)/decision", token: platform, json: ["decision": "dismiss"]).status == .forbidden)
            #expect(try await app.request(
                .post, "/api/v1/complaints/\(id)/flags/\(answerFlag)/decision", token: world.token("mediator_a"), json: ["decision": "confirm"])
                .status == .notFound)
            try await app.step(id, "reject", as: consumer)
            try await app.step(id, "escalate", as: consumer, ["mediation_body_id": world.bodyA])
            // Escalated, not yet taken up: nobody decides yet; then only the mediator assigned (or the lead).
            #expect(try await app.request(
                .post, "/api/v1/complaints/\(id)/flags/\(answerFlag)/decision", token: world.token("mediator_a"), json: ["decision": "confirm"])
                .status == .forbidden)
            try await app.step(id, "triage", as: world.token("mediation_lead_a"), ["decision": "accept"])
            try await app.step(id, "assign", as: world.token("mediation_lead_a"), ["mediator_id": world.accounts["mediator_a"]!.id])
            let confirmed = try await app.request(
                .post, "/api/v1/complaints/\(id)/flags/\(answerFlag)/decision", token: world.token("mediator_a"),
                json: ["decision": "confirm", "note": "格式条款排除消费者权利"])
            #expect(confirmed.status == .ok, "\(confirmed.text)")
            #expect(confirmed.json["state"].string == "confirmed")
            #expect(try await app.request(
                .post, "/api/v1/complaints/\(id)/flags/\(answerFlag)/decision", token: world.token("mediator_a"), json: ["decision": "dismiss"])
                .status == .conflict)
            let dismissed = try await app.request(
                .post, "/api/v1/complaints/\(id)/flags/\(threat)/decision", token: world.token("mediator_a"), json: ["decision": "dismiss"])
            #expect(dismissed.json["state"].string == "dismissed")
            // Audited without the texts in clear.
            let events = try await app.asOwner {
                try await $0.scalar(
                    """
                    SELECT string_agg(action, ',' ORDER BY seq) FROM audit_events
                    WHERE chain_id = 'complaint:' || \(id)::text AND action LIKE 'flag.%'
                    """, as: String.self)
            }
            #expect(events == "flag.raise,flag.raise,flag.raise,flag.report,flag.confirm,flag.dismiss")
            #expect(try await app.asOwner {
                try await $0.scalar("SELECT count(*)::int FROM audit_events WHERE content::text LIKE '%账号被冻结%' OR content::text LIKE '%格式条款%'", as: Int.self)
            } == 0)

            // The confirmed unfair term counts once against the platform, in the statistics and the
            // public report (September, published once it has ended); the dismissed threat does not.
            let stats = try await app.request(.get, "/api/v1/stats/platforms/\(world.platformA)?from=2026-09-01&to=2026-09-30", token: world.token("auditor"))
            #expect(stats.json["totals"]["unfair_terms_confirmed"].int == 1, "\(stats.text)")
            #expect(stats.json["totals"]["threats_confirmed"].int == 0)
            clock.set("2026-10-13T09:00:00+08:00")
            let report = try await app.request(.get, "/public/v1/reports/platforms?period=2026-09")
            let entry = try #require(report.json["platforms"].array.first { $0["platform"]["id"].string == world.platformA })
            #expect(entry["figures"]["unfair_terms_confirmed"].int == 1)
            #expect(entry["figures"]["threats_confirmed"].int == 0)
            let page = try await app.request(.get, "/reports/platforms/\(world.platformA)?period=2026-09")
            #expect(page.text.contains("不公平条款"))
        }
    }

    @Test(arguments: [
        ("虚拟商品一经售出，概不退换", "unfair_term"), ("本商品不退不换", "unfair_term"), ("最终解释权归本平台所有", "unfair_term"),
        ("投诉将影响账户使用", "retaliation_threat"), ("再闹就封号", "retaliation_threat"), ("We will suspend your account.", "retaliation_threat"),
    ])
    func wordingIsRecognised(text: String, kind: String) {
        #expect(RedressCoreFlags.kinds(in: text).contains(kind), "\(text)")
    }

    @Test func aPlainAnswerRaisesNothing() {
        #expect(RedressCoreFlags.kinds(in: "经核实，卡密已于9月24日发放，请查看订单详情。").isEmpty)
    }
}

import RedressCore

enum RedressCoreFlags {
    static func kinds(in text: String) -> [String] { FlagKind.recognise(text).map(\.kind.rawValue) }
}
