import Foundation
import RedressAPI
import RedressCore
import StoreTestSupport
import Testing
import TestSupport

/// A merchant's record across platforms: one company's merchants (one credit code) on several
/// platforms add up for mediation bodies and auditors, a platform sees only its own merchants' figures,
/// and a dossier for a court carries the record.
@Suite("A merchant's record")
struct MerchantRecordTests {
    @Test func oneCompanyOnTwoPlatformsIsOneRecordForTheMediatorAndNotForThePlatforms() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let code = try #require(CreditCode.complete("91440300MA5ABCDE0"))
            // The operator records the codes, as it does platforms': a platform could otherwise join its
            // merchant to any company's record (and read it through a consumer's court dossier).
            for token in [world.token("platform_admin_a"), world.token("platform_admin_b")] {
                #expect(try await app.request(
                    .patch, "/api/v1/platforms/\(world.platformA)/merchants/\(world.merchantA)", token: token, json: ["credit_code": code]).status
                    == .forbidden)
            }
            let declared = try await app.request(
                .post, "/api/v1/platforms/\(world.platformA)/merchants", token: world.token("platform_admin_a"),
                json: ["name": "自称商户", "credit_code": code])
            #expect(declared.json["invalid_fields"].array.first?["reason"].string == "recorded_by_the_operator", "\(declared.text)")
            #expect(try await app.request(
                .patch, "/api/v1/platforms/\(world.platformB)/merchants/\(world.merchantB)", token: world.token("admin"),
                json: ["credit_code": "91440300MA5ABCDE0X"]).json["invalid_fields"].array.first?["reason"].string == "invalid_credit_code")
            for (platform, merchant) in [(world.platformA, world.merchantA), (world.platformB, world.merchantB)] {
                let set = try await app.request(
                    .patch, "/api/v1/platforms/\(platform)/merchants/\(merchant)", token: world.token("admin"), json: ["credit_code": code])
                #expect(set.status == .ok, "\(set.text)")
                #expect(set.json["credit_code"].string == code)
            }
            // Two complaints against the merchant on A, one against it on B, one against another merchant.
            for (platform, merchant) in [(world.platformA, world.merchantA), (world.platformA, world.merchantA), (world.platformB, world.merchantB),
                                         (world.platformA, world.merchantA2)] {
                var body = app.complaintBody(world)
                body["platform_id"] = platform
                body["merchant_id"] = merchant
                _ = try await app.create("/api/v1/complaints", token: world.token("consumer"), body)
            }
            let path = "/api/v1/merchants/\(world.merchantA)/record"
            let mediator = try await app.request(.get, path, token: world.token("mediator_a"))
            #expect(mediator.status == .ok, "\(mediator.text)")
            #expect(mediator.json["totals"]["complaints"].int == 3)
            #expect(mediator.json["totals"]["open"].int == 3)
            #expect(Set(mediator.json["platforms"].array.compactMap { $0["platform_id"].string }) == [world.platformA, world.platformB])
            #expect(mediator.json["months"].array.count == 1)
            #expect(try await app.request(.get, path, token: world.token("auditor")).json["totals"]["complaints"].int == 3)
            // Platform A sees its own merchant only; platform B's figures are not in it.
            let platformA = try await app.request(.get, path, token: world.token("platform_staff_a"))
            #expect(platformA.json["totals"]["complaints"].int == 2, "\(platformA.text)")
            #expect(platformA.json["platforms"].array.compactMap { $0["platform_id"].string } == [world.platformA])
            // Another platform's merchant is not found; consumers and the operator read no record here.
            #expect(try await app.request(.get, "/api/v1/merchants/\(world.merchantB)/record", token: world.token("platform_staff_a")).status == .notFound)
            #expect(try await app.request(.get, path, token: world.token("merchant_staff_b")).status == .notFound)
            #expect(try await app.request(.get, path, token: world.token("merchant_staff_a")).json["totals"]["complaints"].int == 2)
            #expect(try await app.request(.get, path, token: world.token("consumer")).status == .forbidden)
            #expect(try await app.request(.get, path, token: world.token("admin")).status == .forbidden)
            #expect(try await app.request(.get, path + "?from=2026-13", token: world.token("mediator_a")).status == .unprocessableContent)
            #expect(try await app.request(.get, path + "?from=&to=", token: nil).status == .unauthorized)
            #expect(try await app.request(.get, path + "?from=2000-01&to=2026-12", token: world.token("mediator_a"))
                .json["invalid_fields"].array.first?["reason"].string == "window_too_long")
            #expect(try await app.statisticsDiscrepancies() == 0)
        }
    }

    @Test func aDossierForACourtCarriesTheRecord() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            var body = app.complaintBody(world)
            body["merchant_id"] = world.merchantA
            let id = try await app.create("/api/v1/complaints", token: world.token("consumer"), body)
            try await app.step(id, "respond", as: world.token("platform_staff_a"), ["decision": "reject", "reason": "已发货"])
            try await app.step(id, "reject", as: world.token("consumer"))
            try await app.step(id, "escalate", as: world.token("consumer"), ["mediation_body_id": world.bodyA])
            let before = try await app.request(.get, "/api/v1/complaints/\(id)/dossier", token: world.token("consumer"))
            #expect(before.json["merchant_record"].present == nil, "only a dossier for a court or the police carries it")
            try await app.step(id, "triage", as: world.token("mediation_lead_a"), ["decision": "decline", "reason": "不属于受理范围"])
            try await app.step(id, "refer", as: world.token("consumer"), ["channel": "court"])
            let dossier = try await app.request(.get, "/api/v1/complaints/\(id)/dossier", token: world.token("consumer"))
            #expect(dossier.json["merchant_record"]["totals"]["complaints"].int == 1, "\(dossier.text.prefix(300))")
            #expect(dossier.json["merchant_record"]["totals"]["unresolved"].int == 1)
        }
    }
}

extension MerchantRecordTests {
    /// A complaint the mediation body finds invalid (anyone can file one) does not count against the
    /// merchant: it is shown apart.
    @Test func invalidComplaintsAreCountedApart() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            _ = try await app.request(.patch, "/api/v1/platforms/\(world.platformA)", token: world.token("admin"), json: ["default_mediation_body_id": world.bodyA])
            var body = app.complaintBody(world)
            body["merchant_id"] = world.merchantA
            let fake = try await app.create("/api/v1/complaints", token: world.token("consumer"), body)
            _ = try await app.create("/api/v1/complaints", token: world.token("consumer"), body)
            try await app.step(fake, "respond", as: world.token("platform_staff_a"), ["decision": "reject", "reason": "查无此订单"])
            try await app.step(fake, "dispute_validity", as: world.token("platform_staff_a"), ["invalid_reason": "no_such_order", "reason": "查无此单"])
            try await app.step(fake, "mark_invalid", as: world.token("mediator_a"), ["invalid_reason": "no_such_order", "reason": "核实无此订单"])
            let record = try await app.request(.get, "/api/v1/merchants/\(world.merchantA)/record", token: world.token("mediator_a"))
            #expect(record.json["totals"]["complaints"].int == 1, "\(record.text.prefix(300))")
            #expect(record.json["totals"]["invalid"].int == 1)
            #expect(try await app.statisticsDiscrepancies() == 0)
        }
    }
}
