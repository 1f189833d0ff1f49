import Foundation
import Hummingbird
import HummingbirdTesting
import RedressAPI
import StoreTestSupport
import Testing
import TestSupport

@Suite("Messages and the triage queue")
struct MessageAndTriageTests {
    @Test func partiesReadPartiesMessagesAndOnlyTheAuthorsOrganisationReadsInternalOnes() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let id = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            let path = "/api/v1/complaints/\(id)/messages"
            #expect(try await app.request(.post, path, token: world.token("consumer"), json: ["body": "卡密截图已上传，请尽快处理。"]).status == .created)
            #expect(try await app.request(.post, path, token: world.token("platform_staff_a"), json: ["visibility": "internal", "body": "内部：核实订单"]).status == .created)
            #expect(try await app.request(.post, path, token: world.token("platform_admin_a"), json: ["body": "已收到，正在核实。"]).status == .created)
            // A consumer has no organisation to write internally to.
            #expect(try await app.request(.post, path, token: world.token("consumer"), json: ["visibility": "internal", "body": "x"]).status == .unprocessableContent)
            func bodies(_ principal: String) async throws -> [String] {
                let response = try await app.request(.get, path, token: world.token(principal))
                return response.json["items"].array.compactMap { $0["body"].string }
            }
            #expect(try await bodies("consumer") == ["卡密截图已上传，请尽快处理。", "已收到，正在核实。"])
            #expect(try await bodies("platform_admin_a").count == 3)
            for outsider in ["platform_staff_b", "mediator_a", "merchant_staff_a"] {
                #expect(try await app.request(.get, path, token: world.token(outsider)).status == .notFound, "\(outsider)")
                #expect(try await app.request(.post, path, token: world.token(outsider), json: ["body": "x"]).status == .notFound, "\(outsider)")
            }
            #expect(try await app.request(.get, path, token: world.token("auditor")).status == .forbidden)
            // The text never enters the audit chain.
            let contents = try await app.asOwner { connection in
                var all = ""
                for try await text in try await connection.query("SELECT content FROM audit_events WHERE action = 'message.post'", logger: TestDatabase.logger).decode(String.self) {
                    all += text
                }
                return all
            }
            #expect(contents.contains("hmac-sha256") && !contents.contains("核实"))
        }
    }

    @Test func theQueueIsTheBodysOwnMostUrgentFirst() async throws {
        let clock = ManualClock("2026-11-02T10:00:00+08:00")
        var configuration = testConfiguration()
        configuration.clock = clock
        try await withTestApp(configuration: configuration, world: .seeded) { app in
            var world = try await app.makeWorld()
            var ids: [String] = []
            for amount in [10_000, 90_000, 50_000] {
                var body = app.complaintBody(world)
                body["order"] = ["order_no": "Q\(amount)", "product_name": "点卡", "amount_paid": amount]
                body["demands"] = [["kind": "refund", "amount": amount]]
                ids.append(try await app.create("/api/v1/complaints", token: world.token("consumer"), body))
            }
            clock.set("2026-11-20T10:00:00+08:00")
            try await world.logInAgain(app)
            for id in ids {
                let escalated = try await app.request(
                    .post, "/api/v1/complaints/\(id)/actions/escalate", token: world.token("consumer"), json: ["mediation_body_id": world.bodyA])
                #expect(escalated.status == .ok, "\(escalated.text)")
            }
            func queue(_ principal: String, _ query: String = "") async throws -> [Int] {
                let response = try await app.request(.get, "/api/v1/triage" + query, token: world.token(principal))
                #expect(response.status == .ok, "\(response.text)")
                return response.json["items"].array.compactMap { $0["order"]["amount_paid"].int }
            }
            // Same deadline for all three: the largest amount first.
            #expect(try await queue("mediator_a") == [90_000, 50_000, 10_000])
            #expect(try await queue("mediator_b").isEmpty)
            let firstPage = try await app.request(.get, "/api/v1/triage?limit=2", token: world.token("mediator_a"))
            let cursor = try #require(firstPage.json["next_cursor"].string)
            #expect(try await queue("mediator_a", "?limit=2&cursor=\(cursor)") == [10_000])
            #expect(try await app.request(.get, "/api/v1/triage", token: world.token("platform_admin_a")).status == .forbidden)
            #expect(try await app.request(.get, "/api/v1/triage?overdue=maybe", token: world.token("mediator_a")).status == .unprocessableContent)
        }
    }
}
