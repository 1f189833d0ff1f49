import Foundation
import RedressAPI
import StoreTestSupport
import Testing
import TestSupport

/// What one party may pile onto one case is bounded: supplements, threat reports and holding replies
/// each stop at their limit with a clear refusal, and what was added before stays.
@Suite("Bounds on what a case holds")
struct CaseBoundsTests {
    @Test func supplementsReportsAndHoldingRepliesStopAtTheirLimits() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let consumer = world.token("consumer"), platform = world.token("platform_staff_a")
            let id = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))
            for n in 1...20 {
                let added = try await app.request(
                    .post, "/api/v1/complaints/\(id)/supplements", token: consumer, json: ["statement": "补充说明第\(n)条"])
                #expect(added.status == .created, "\(n): \(added.text)")
            }
            let supplement = try await app.request(.post, "/api/v1/complaints/\(id)/supplements", token: consumer, json: ["statement": "再补充"])
            #expect(supplement.status == .unprocessableContent)
            #expect(supplement.json["invalid_fields"].array.first?["reason"].string == "too_many_supplements")
            for n in 1...10 {
                let reported = try await app.request(
                    .post, "/api/v1/complaints/\(id)/flags", token: consumer,
                    json: ["kind": "retaliation_threat", "statement": "客服第\(n)次称投诉将影响账户使用"])
                #expect(reported.status == .created, "\(n): \(reported.text)")
            }
            let report = try await app.request(
                .post, "/api/v1/complaints/\(id)/flags", token: consumer, json: ["kind": "retaliation_threat", "statement": "又一次"])
            #expect(report.json["invalid_fields"].array.first?["reason"].string == "too_many_reports", "\(report.text)")
            for n in 1...20 {
                let held = try await app.act(id, "acknowledge", as: platform, ["text": "正在核实（\(n)）"])
                #expect(held.status == .ok, "\(n): \(held.text)")
            }
            let held = try await app.act(id, "acknowledge", as: platform, ["text": "系统升级"])
            #expect(held.json["invalid_fields"].array.first?["reason"].string == "too_many_acknowledgements", "\(held.text)")
            let seen = try await app.request(.get, "/api/v1/complaints/\(id)", token: consumer)
            #expect(seen.json["acknowledgements"].int == 20)
            let supplements = try await app.request(.get, "/api/v1/complaints/\(id)/supplements?limit=100", token: platform)
            #expect(supplements.json["items"].array.count == 20, "\(supplements.text.prefix(200))")
        }
    }

    @Test func aPlatformRecordsAtMostTenVersionsOfItsTermsADay() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let path = "/api/v1/platforms/\(world.platformA)/terms"
            for n in 1...10 {
                let recorded = try await app.request(
                    .post, path, token: world.token("platform_admin_a"), json: ["effective_from": "2026-12-01", "clauses": ["第\(n)版：七日内可退"]])
                #expect(recorded.status == .created, "\(n): \(recorded.text)")
            }
            let eleventh = try await app.request(
                .post, path, token: world.token("platform_admin_a"), json: ["effective_from": "2026-12-01", "clauses": ["第11版"]])
            #expect(eleventh.status == .tooManyRequests, "\(eleventh.text)")
            // The first version leaves the window a day after it was recorded.
            #expect((Int(eleventh.headers[.retryAfter] ?? "") ?? 0) > 86_000)
        }
    }

    /// A collective case groups 2 to 200 distinct cases; its proposal refunds 1 to 100 per cent; the
    /// cluster list pages no further than 10,000 in.
    @Test func collectiveCasesAndClusterPagesStayWithinTheirBounds() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let lead = world.token("mediation_lead_a")
            let mediator = world.accounts["mediator_a"]!.id
            let one = UUID().uuidString.lowercased()
            func create(_ ids: [String]) async throws -> [String] {
                let response = try await app.request(
                    .post, "/api/v1/collective-cases", token: lead,
                    json: ["title": "同一商户停止发货", "mediator_id": mediator, "complaint_ids": ids])
                #expect(response.status == .unprocessableContent, "\(response.text.prefix(300))")
                return response.json["invalid_fields"].array.compactMap { $0["reason"].string }
            }
            #expect(try await create([one]) == ["too_few"])
            #expect(try await create([one, one]) == ["duplicate"])
            let many = (0...200).map { _ in UUID().uuidString.lowercased() }
            #expect(try await create(many) == ["too_many"])
            // 200 is within the bound: the cases are then looked up (these exist nowhere).
            let within = try await create(Array(many.prefix(200)))
            #expect(within.count == 200 && within.allSatisfy { $0 == "unknown_complaint" })

            for percent in [0, 101, -1, Int.max] {
                let proposal = try await app.request(
                    .post, "/api/v1/collective-cases/\(one)/proposal", token: lead, json: ["refund_percent": percent, "text": "按比例退款"])
                #expect(proposal.status == .unprocessableContent, "\(percent): \(proposal.text)")
                #expect(proposal.json["invalid_fields"].array.first?["reason"].string == "out_of_range")
            }
            let whole = try await app.request(
                .post, "/api/v1/collective-cases/\(one)/proposal", token: lead, json: ["refund_percent": 100, "text": "全额退款"])
            #expect(whole.status == .notFound, "100 per cent is valid; the collective does not exist")

            #expect(try await app.request(.get, "/api/v1/clusters?cursor=10000", token: lead).status == .ok)
            for cursor in ["10001", "-1", "99999999999999999999", "x"] {
                let page = try await app.request(.get, "/api/v1/clusters?cursor=\(cursor)", token: lead)
                #expect(page.status == .unprocessableContent, "\(cursor): \(page.text)")
            }
        }
    }
}
