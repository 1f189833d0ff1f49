import Foundation
import RedressAPI
import RedressCore
import StoreTestSupport
import Testing
import TestSupport

/// One merchant (one company on three platforms) stops delivering card keys; thirty consumers complain.
/// Redress proposes them as one cluster, a lead groups them into a collective case, one proposal is
/// offered to every consumer, some accept and others reject — each case keeping its own lifecycle.
@Suite("Clusters and collective cases")
struct CollectiveCaseTests {
    /// Sellers with no credit code in common, one product and much the same words: the job proposes
    /// them as one cluster; a case of the same product in another category stays out.
    @Test func oneProductFromSeveralSellersBecomesOneCluster() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            var ids: [String] = []
            for (n, merchant) in [world.merchantA, world.merchantA2, world.merchantB, world.merchantA].enumerated() {
                var body = app.complaintBody(world)
                body["platform_id"] = merchant == world.merchantB ? world.platformB : world.platformA
                body["merchant_id"] = merchant
                body["title"] = "龙渊阁点券付款后未到账"
                body["description"] = "在店铺购买龙渊阁点券 648元，付款成功后点券一直未到账，客服不回复。第\(n + 1)位。"
                body["order"] = ["order_no": "LYG\(n)", "product_name": "龙渊阁点券 648元", "amount_paid": 64_800, "currency": "CNY"]
                body["demands"] = [["kind": "refund", "amount": 64_800]]
                if n == 3 { body["category"] = "not_as_described" }
                ids.append(try await app.create("/api/v1/complaints", token: world.token("consumer"), body))
            }
            let job = ClusterJob(database: app.store, interval: .seconds(60), logger: TestDatabase.logger)
            #expect(try await job.runOnce().examined == 4)
            let clusters = try await app.request(.get, "/api/v1/clusters", token: world.token("auditor")).json["items"].array
            let cluster = try #require(clusters.first { $0["reason"].string == "same_product" || $0["reason"].string == "same_merchant" })
            #expect(Set(cluster["members"].array.compactMap { $0["complaint_id"].string }) == Set(ids.prefix(3)), "\(clusters)")
            #expect(!clusters.contains { $0["members"].array.contains { $0["complaint_id"].string == ids[3] } }, "another category is another problem")
        }
    }

    @Test func thirtyFilingsOnThreePlatformsBecomeOneCollectiveCase() async throws {
        let clock = ManualClock("2026-11-02T10:00:00+08:00")
        try await withTestApp(configuration: ComplaintJourneyTests.configuration(clock), world: .seeded) { app in
            var world = try await app.makeWorld()
            let admin = world.token("admin")
            let platformC = try await app.create("/api/v1/platforms", token: admin, app.platformBody("平台C", seed: 3))
            let merchantC = try await app.create("/api/v1/platforms/\(platformC)/merchants", token: admin, ["name": "商户C1"])
            _ = try await app.create(
                "/api/v1/staff", token: admin,
                ["email": "platform_staff_c@redress.test", "password": worldPassword, "display_name": "C", "role": "platform_staff",
                 "organization_id": platformC])
            let code = try #require(CreditCode.complete("91440300MA5ABCDE0"))
            for (platform, merchant) in [(world.platformA, world.merchantA), (world.platformB, world.merchantB), (platformC, merchantC)] {
                try #require(try await app.request(
                    .patch, "/api/v1/platforms/\(platform)/merchants/\(merchant)", token: admin, json: ["credit_code": code]).status == .ok)
            }
            // Thirty filings against the company's merchants, ten on each platform, saying much the same.
            let places = [(world.platformA, world.merchantA), (world.platformB, world.merchantB), (platformC, merchantC)]
            var planted: [(id: String, platform: String)] = []
            for n in 0..<30 {
                let (platform, merchant) = places[n % 3]
                var body = app.complaintBody(world)
                body["platform_id"] = platform
                body["merchant_id"] = merchant
                body["title"] = "点卡付款后卡密一直未发放"
                body["description"] = "2026年11月在该商家购买游戏点卡，付款成功后卡密一直未发放，联系商家客服无人回复，店铺已无法联系。第\(n + 1)位消费者。"
                body["order"] = ["order_no": "KM2026110\(n)", "product_name": "游戏点卡 500元", "amount_paid": 10_000 * (n % 5 + 1), "currency": "CNY"]
                body["demands"] = [["kind": "refund", "amount": 10_000 * (n % 5 + 1)]]
                planted.append((try await app.create("/api/v1/complaints", token: world.token("consumer"), body), platform))
            }
            // Unrelated cases: another merchant and product, other words.
            for n in 0..<3 {
                var body = app.complaintBody(world)
                body["merchant_id"] = world.merchantA2
                body["category"] = "not_as_described"
                body["title"] = "账号与描述不符"
                body["description"] = "购买的游戏账号等级与商品描述不一致，第\(n)次。"
                body["order"] = ["order_no": "ZH\(n)", "product_name": "手游账号（满级）", "amount_paid": 30_000, "currency": "CNY"]
                body["demands"] = [["kind": "refund", "amount": 30_000]]
                _ = try await app.create("/api/v1/complaints", token: world.token("consumer"), body)
            }
            let job = ClusterJob(database: app.store, interval: .seconds(60), logger: TestDatabase.logger)
            let outcome = try await job.runOnce()
            #expect(outcome.examined == 33)
            #expect(try await job.runOnce().examined == 0, "each filing is compared once")

            // The platforms stay silent: past their deadline every consumer takes his case to body A.
            clock.set("2026-11-12T10:00:00+08:00")
            try await world.logInAgain(app)
            for (id, _) in planted {
                try await app.step(id, "escalate", as: world.token("consumer"), ["mediation_body_id": world.bodyA])
                try await app.step(id, "triage", as: world.token("mediation_lead_a"), ["decision": "accept"])
            }
            let lead = world.token("mediation_lead_a")
            let clusters = try await app.request(.get, "/api/v1/clusters", token: lead)
            #expect(clusters.status == .ok, "\(clusters.text)")
            let cluster = try #require(clusters.json["items"].array.first)
            #expect(clusters.json["items"].array.count == 1, "\(clusters.text.prefix(500))")
            #expect(cluster["reason"].string == "same_merchant")
            #expect(Set(cluster["members"].array.compactMap { $0["complaint_id"].string }) == Set(planted.map(\.id)))
            #expect(Set(cluster["members"].array.compactMap { $0["platform_id"].string }) == [world.platformA, world.platformB, platformC])
            // A platform sees the cluster's members on its own platform only (and the unrelated cases' own cluster).
            let platformView = try await app.request(.get, "/api/v1/clusters", token: world.token("platform_staff_a"))
            let seenByA = platformView.json["items"].array.first { $0["id"] == cluster["id"] }
            #expect(seenByA?["members"].array.count == 10)
            #expect(seenByA?["size"].int == 10, "a platform does not learn the other platforms' volume")
            #expect(cluster["size"].int == 30)
            #expect(platformView.json["items"].array.count == 2, "\(platformView.text.prefix(300))")
            #expect(try await app.request(.get, "/api/v1/clusters", token: world.token("consumer")).status == .forbidden)

            // The lead groups them: one mediator for all.
            #expect(try await app.request(
                .post, "/api/v1/collective-cases", token: world.token("mediator_a"),
                json: ["title": "x", "mediator_id": world.accounts["mediator_a"]!.id, "complaint_ids": planted.map(\.id)]).status == .forbidden)
            let grouped = try await app.request(
                .post, "/api/v1/collective-cases", token: lead,
                json: ["title": "某商家卡密未发放集体投诉", "mediator_id": world.accounts["mediator_a"]!.id, "complaint_ids": planted.map(\.id)])
            #expect(grouped.status == .created, "\(grouped.text.prefix(600))")
            let collective = try #require(grouped.json["id"].string)
            #expect(grouped.json["members"].array.allSatisfy { $0["state"].string == "in_mediation" })
            let again = try await app.request(
                .post, "/api/v1/collective-cases", token: lead,
                json: ["title": "重复", "mediator_id": world.accounts["mediator_a"]!.id, "complaint_ids": [planted[0].id, planted[1].id]])
            #expect(again.json["invalid_fields"].array.first?["reason"].string == "already_collective", "\(again.text)")

            // One proposal for all: 80 % of what each consumer paid.
            let proposed = try await app.request(
                .post, "/api/v1/collective-cases/\(collective)/proposal", token: world.token("mediator_a"),
                json: ["refund_percent": 80, "text": "商家退还货款的80%"])
            #expect(proposed.status == .ok, "\(proposed.text)")
            #expect(proposed.json["skipped"].array.isEmpty)
            let first = try await app.request(.get, "/api/v1/complaints/\(planted[0].id)", token: world.token("consumer"))
            #expect(first.json["settlement"]["terms"]["refund"].int == 8_000, "\(first.text.prefix(300))")
            #expect(first.json["collective_id"].string == collective)

            // Each consumer decides for his own case; each platform accepts for its own.
            let staff = [world.platformA: world.token("platform_staff_a"), world.platformB: world.token("platform_staff_b"),
                         platformC: try await app.login("platform_staff_c@redress.test")]
            for (index, (id, platform)) in planted.enumerated() {
                try await app.step(id, "accept", as: staff[platform]!)
                try await app.step(id, index < 20 ? "accept" : "reject", as: world.token("consumer"))
            }
            let state = try await app.request(.get, "/api/v1/collective-cases/\(collective)", token: world.token("mediator_a"))
            let states = state.json["members"].array.compactMap { $0["state"].string }
            #expect(states.filter { $0 == "resolution_agreed" }.count == 20)
            #expect(states.filter { $0 == "in_mediation" }.count == 10)
            #expect(try await app.request(.get, "/api/v1/collective-cases/\(collective)", token: world.token("mediator_b")).status == .notFound)

            // Each case's chain records its own steps; the figures count the cases in the collective.
            let events = try await app.asOwner {
                try await $0.scalar(
                    "SELECT count(*)::int FROM audit_events WHERE entity_id = \(UUID(uuidString: planted[0].id)!) AND action = 'complaint.join_collective'",
                    as: Int.self)
            }
            #expect(events == 1)
            let stats = try await app.request(
                .get, "/api/v1/stats/platforms/\(world.platformA)?from=2026-11-01&to=2026-11-30", token: world.token("auditor"))
            #expect(stats.json["totals"]["collective"].int == 10, "\(stats.text.prefix(300))")
            // The merchant's record shows the three platforms to the mediator.
            let record = try await app.request(.get, "/api/v1/merchants/\(world.merchantA)/record", token: world.token("mediator_a"))
            #expect(record.json["platforms"].array.count == 3)
            #expect(record.json["totals"]["complaints"].int == 30)
            #expect(try await app.statisticsDiscrepancies() == 0)
        }
    }
}
