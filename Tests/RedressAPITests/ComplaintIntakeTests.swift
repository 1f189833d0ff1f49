import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
@testable import RedressAPI
import RedressCore
import StoreTestSupport
import Testing
import TestSupport

@Suite("Complaint intake and races")
struct ComplaintIntakeTests {
    static func count(_ app: TestApp, _ sql: PostgresQuery) async throws -> Int {
        try await app.asOwner { try await $0.scalar(sql, as: Int.self) } ?? -1
    }

    @Test func anIdempotencyKeyReplaysTheFirstAnswerAndRefusesAnotherBody() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let key: HTTPFields = [.init("Idempotency-Key")!: "intake-1"]
            let body = app.complaintBody(world)
            let first = try await app.request(.post, "/api/v1/complaints", token: world.token("consumer"), json: body, headers: key)
            let second = try await app.request(.post, "/api/v1/complaints", token: world.token("consumer"), json: body, headers: key)
            #expect(first.status == .created && second.status == .created)
            #expect(first.text == second.text)
            #expect(try await Self.count(app, "SELECT count(*)::int FROM complaints") == 1)
            // The same content written another way (keys in another order, spacing, an escape) is the same request.
            let platform = try #require(body["platform_id"] as? String)
            let rewritten = """
                { "demands" : [ { "amount" : 50000, "kind" : "refund" } ], "order" : { "currency" : "CNY", "amount_paid" : 50000,
                  "product_name" : "游戏点卡 500元", "order_no" : "KM20260924001" }, "title" : "\\u5145值卡密未到账",
                  "category" : "non_delivery", "description" : "\(try #require(body["description"] as? String))", "platform_id" : "\(platform)" }
                """
            var headers = key
            headers[.contentType] = "application/json"
            let third = try await app.request(.post, "/api/v1/complaints", token: world.token("consumer"), headers: headers, rawBody: ByteBuffer(string: rewritten))
            #expect(third.status == .created && third.text == first.text, "\(third.text)")
            // Any change of content, of any field at any depth, is another request: a body with every
            // field, filed under a key of its own, then each field changed in turn.
            let full: [String: Any] = [
                "platform_id": world.platformA, "merchant_id": world.merchantA, "category": "non_delivery", "title": "充值卡密未到账",
                "description": "付款成功后卡密一直未发放。", "ultimatum_days": 7, "fault_claim": "platform",
                "order": ["order_no": "KM1", "product_name": "游戏点卡", "amount_paid": 50_000, "currency": "CNY",
                          "ordered_at": "2026-09-24T10:00:00.100+08:00", "payment_channel": "支付宝", "payment_ref": "P1"],
                "demands": [["kind": "refund", "amount": 30_000], ["kind": "other", "text": "说明原因"]],
            ]
            let fullKey: HTTPFields = [.init("Idempotency-Key")!: "intake-full"]
            let filed = try await app.request(.post, "/api/v1/complaints", token: world.token("consumer"), json: full, headers: fullKey)
            #expect(filed.status == .created, "\(filed.text)")
            func changing(_ path: [String], to value: Any) -> [String: Any] {
                var body = full
                switch path.count {
                case 1: body[path[0]] = value
                default:
                    var order = full["order"] as! [String: Any]
                    order[path[1]] = value
                    body["order"] = order
                }
                return body
            }
            let changes: [(String, [String: Any])] = [
                ("platform_id", changing(["platform_id"], to: world.platformB)), ("merchant_id", changing(["merchant_id"], to: world.merchantA2)),
                ("category", changing(["category"], to: "other")), ("title", changing(["title"], to: "另一份投诉")),
                ("description", changing(["description"], to: "另一段描述。")), ("ultimatum_days", changing(["ultimatum_days"], to: 8)),
                ("fault_claim", changing(["fault_claim"], to: "merchant")), ("refiles", changing(["refiles"], to: UUID().uuidString)),
                ("order_no", changing(["order", "order_no"], to: "KM2")), ("product_name", changing(["order", "product_name"], to: "点券")),
                ("amount_paid", changing(["order", "amount_paid"], to: 60_000)),
                ("ordered_at, a millisecond", changing(["order", "ordered_at"], to: "2026-09-24T10:00:00.101+08:00")),
                ("payment_channel", changing(["order", "payment_channel"], to: "微信")), ("payment_ref", changing(["order", "payment_ref"], to: "P2")),
                ("a demand's amount", changing(["demands"], to: [["kind": "refund", "amount": 30_001], ["kind": "other", "text": "说明原因"]])),
                ("a demand's kind", changing(["demands"], to: [["kind": "compensation", "amount": 30_000], ["kind": "other", "text": "说明原因"]])),
                ("a demand's text", changing(["demands"], to: [["kind": "refund", "amount": 30_000], ["kind": "other", "text": "另一原因"]])),
                ("the demands' order", changing(["demands"], to: [["kind": "other", "text": "说明原因"], ["kind": "refund", "amount": 30_000]])),
            ]
            for (name, changed) in changes {
                let reused = try await app.request(.post, "/api/v1/complaints", token: world.token("consumer"), json: changed, headers: fullKey)
                #expect(reused.status == .unprocessableContent, "\(name): \(reused.text)")
                #expect(reused.json["code"].string == "idempotency_key_reused", "\(name)")
            }
            // A key stored with the digest's earlier form (the body re-serialised) is still that request's.
            let earlierKey: HTTPFields = [.init("Idempotency-Key")!: "intake-earlier"]
            var earlierBody = body
            earlierBody["title"] = "升级前提交的投诉"
            let before = try await app.request(.post, "/api/v1/complaints", token: world.token("consumer"), json: earlierBody, headers: earlierKey)
            #expect(before.status == .created)
            let earlierDigest = FilingRequest.bodyDigest(ByteBuffer(data: try JSONSerialization.data(withJSONObject: earlierBody)))
            try await app.asOwner { connection in
                _ = try await connection.query(
                    "UPDATE idempotency_keys SET request_sha256 = \(earlierDigest) WHERE key = 'intake-earlier'", logger: TestDatabase.logger)
            }
            let after = try await app.request(.post, "/api/v1/complaints", token: world.token("consumer"), json: earlierBody, headers: earlierKey)
            #expect(after.status == .created && after.text == before.text, "\(after.text)")
            earlierBody["title"] = "升级后另一份"
            #expect(try await app.request(.post, "/api/v1/complaints", token: world.token("consumer"), json: earlierBody, headers: earlierKey).status == .unprocessableContent)
            // Keys belong to their caller: another consumer's same key is another request.
            _ = try await app.createConsumer(["email": "second@redress.test", "password": worldPassword, "display_name": "二号"])
            let secondConsumer = try await app.login("second@redress.test")
            #expect(try await app.request(.post, "/api/v1/complaints", token: secondConsumer, json: body, headers: key).status == .created)
            // The first body, the one with every field, the one keyed before the upgrade, and this one.
            #expect(try await Self.count(app, "SELECT count(*)::int FROM complaints") == 4)
        }
    }

    @Test func concurrentRetriesWithOneKeyCreateOneComplaint() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let token = world.token("consumer")
            let ids = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<12 {
                    group.addTask {
                        let response = try await app.request(
                            .post, "/api/v1/complaints", token: token, json: app.complaintBody(world), headers: [.init("Idempotency-Key")!: "retry-storm"])
                        return response.status == .created ? response.json["id"].string : nil
                    }
                }
                var ids: [String?] = []
                for try await id in group { ids.append(id) }
                return ids
            }
            #expect(ids.allSatisfy { $0 != nil })
            #expect(Set(ids.compactMap { $0 }).count == 1)
            #expect(try await Self.count(app, "SELECT count(*)::int FROM complaints") == 1)
        }
    }

    @Test func racingActionsOnOneCaseHaveExactlyOneWinner() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let id = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<10 {
                    let token = index % 2 == 0 ? world.token("platform_staff_a") : world.token("platform_admin_a")
                    group.addTask {
                        let response = try await app.request(
                            .post, "/api/v1/complaints/\(id)/actions/respond", token: token,
                            json: ["decision": "propose", "proposal": ["refund": 1000 + index]])
                        return Int(response.status.code)
                    }
                }
                var statuses: [Int] = []
                for try await status in group { statuses.append(status) }
                return statuses
            }
            #expect(statuses.filter { $0 == 200 }.count == 1)
            #expect(statuses.filter { $0 == 409 }.count == 9)
            #expect(try await Self.count(app, "SELECT version FROM complaints") == 2)
            #expect(try await Self.count(app, "SELECT count(*)::int FROM audit_events WHERE action = 'complaint.respond'") == 1)
        }
    }

    @Test func ifMatchGuardsAgainstStaleVersions() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let id = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            let stale = try await app.request(
                .post, "/api/v1/complaints/\(id)/actions/respond", token: world.token("platform_staff_a"),
                json: ["decision": "reject", "reason": "已发货"], headers: [.ifMatch: "\"7\""])
            #expect(stale.status == .preconditionFailed)
            let fresh = try await app.request(
                .post, "/api/v1/complaints/\(id)/actions/respond", token: world.token("platform_staff_a"),
                json: ["decision": "reject", "reason": "已发货"], headers: [.ifMatch: "\"1\""])
            #expect(fresh.status == .ok)
            #expect(fresh.headers[.eTag] == "\"2\"")
        }
    }

    @Test func invalidComplaintsAreRefusedFieldByField() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            var body = app.complaintBody(world)
            body["demands"] = [["kind": "refund", "amount": 60_000], ["kind": "compensation"], ["kind": "other"], ["kind": "sue"]]
            body["category"] = "angry"
            body["ultimatum_days"] = 0
            body["merchant_id"] = world.merchantB  // a merchant of platform B
            let response = try await app.request(.post, "/api/v1/complaints", token: world.token("consumer"), json: body)
            #expect(response.status == .unprocessableContent)
            let reasons = response.json["invalid_fields"].array.map { "\($0["field"].string ?? "-"):\($0["reason"].string ?? "-")" }
            #expect(Set(reasons) == ["demands[0].amount:exceeds_amount_paid", "demands[1].amount:required", "demands[2].text:required",
                                     "demands[3].kind:unknown_value", "category:unknown_value", "ultimatum_days:out_of_range"])
            // Fields first, then the parties: a merchant of another platform is refused.
            let foreignMerchant = try await app.request(
                .post, "/api/v1/complaints", token: world.token("consumer"), json: app.complaintBody(world).merging(["merchant_id": world.merchantB]) { $1 })
            #expect(foreignMerchant.status == .unprocessableContent)
            #expect(foreignMerchant.json["invalid_fields"].array.first?["reason"] == "not_a_merchant_of_the_platform")
            let unknownPlatform = try await app.request(
                .post, "/api/v1/complaints", token: world.token("consumer"), json: app.complaintBody(world).merging(["platform_id": UUID().uuidString]) { $1 })
            #expect(unknownPlatform.status == .unprocessableContent)
            // Only consumers file complaints.
            #expect(try await app.request(.post, "/api/v1/complaints", token: world.token("platform_staff_a"), json: app.complaintBody(world)).status == .forbidden)
            #expect(try await Self.count(app, "SELECT count(*)::int FROM complaints") == 0)
        }
    }

    @Test func readinessFlagsEmotionalWordsAndVagueDemands() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            var body = app.complaintBody(world)
            body["description"] = "这个平台就是骗子，黑店！"
            body["demands"] = [["kind": "other", "text": "我要个说法"]]
            let response = try await app.request(.post, "/api/v1/complaints", token: world.token("consumer"), json: body)
            let readiness = try #require(response.json["readiness"].present)
            let wording = readiness["wording"].array.compactMap { $0["subject"].string }
            #expect(Set(wording) == ["骗子", "黑店"])
            #expect(readiness["demands"].array.first?["code"].string == "vague_demand")
            let chain = readiness["evidence_chain"].array
            #expect(chain.map { $0["step"].string } == ["transaction_happened", "problem_appeared", "negotiation_failed"])
            #expect(readiness["level"].string == "weak")
            // The platform does not get the consumer's readiness advice, nor their e-mail.
            let id = try #require(response.json["id"].string)
            let platformView = try await app.request(.get, "/api/v1/complaints/\(id)", token: world.token("platform_staff_a"))
            #expect(platformView.json["readiness"].isNull)
            #expect(platformView.json["consumer"]["display_name"].string == "消费者")
            #expect(!platformView.text.contains("consumer@redress.test"))
            // An auditor sees the case's metadata only.
            let auditorView = try await app.request(.get, "/api/v1/complaints/\(id)", token: world.token("auditor"))
            #expect(auditorView.status == .ok)
            #expect(auditorView.json["title"].isNull && auditorView.json["order"].isNull && auditorView.json["consumer"].isNull)
            #expect(auditorView.json["state"].string == "awaiting_platform")
        }
    }

    @Test func listsAreScopedToTheCaller() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            _ = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            _ = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world).merging(["platform_id": world.platformB, "title": "B平台投诉"]) { $1 })
            func titles(_ principal: String, _ query: String = "") async throws -> [String] {
                let response = try await app.request(.get, "/api/v1/complaints" + query, token: world.token(principal))
                #expect(response.status == .ok, "\(principal): \(response.text)")
                return response.json["items"].array.map { ($0["title"].string) ?? "(metadata)" }
            }
            #expect(try await titles("consumer").count == 2)
            #expect(try await titles("platform_staff_a") == ["充值卡密未到账"])
            #expect(try await titles("platform_admin_b") == ["B平台投诉"])
            #expect(try await titles("merchant_staff_a").isEmpty)
            #expect(try await titles("mediator_a").isEmpty)
            #expect(try await titles("auditor") == ["(metadata)", "(metadata)"])
            #expect(try await titles("consumer", "?q=B平台") == ["B平台投诉"])
            #expect(try await titles("consumer", "?state=escalated").isEmpty)
            // One state (asked as an equality) and several (as a set) choose the same cases.
            #expect(try await titles("consumer", "?state=awaiting_platform").count == 2)
            #expect(try await titles("consumer", "?state=escalated,awaiting_platform").count == 2)
            #expect(try await titles("platform_staff_a", "?state=awaiting_platform") == ["充值卡密未到账"])
            #expect(try await titles("platform_staff_a", "?state=awaiting_merchant,withdrawn").isEmpty)
            #expect(try await app.request(.get, "/api/v1/complaints?state=bogus", token: world.token("consumer")).status == .unprocessableContent)
            #expect(try await app.request(.get, "/api/v1/complaints", token: world.token("admin")).status == .forbidden)
        }
    }
}
