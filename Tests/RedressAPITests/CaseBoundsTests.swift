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
}
