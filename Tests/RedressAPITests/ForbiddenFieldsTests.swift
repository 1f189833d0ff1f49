import Foundation
import PostgresNIO
import StoreTestSupport
import Testing
import TestSupport

/// Every write is also sent the fields a caller may not set — the case's state and version, its
/// parties, who mediates it, the caller's role, timestamps, ids, statistics. They must be refused or
/// ignored, and the database must show that they changed nothing.
@Suite("Fields a caller may not set")
struct ForbiddenFieldsTests {
    /// Values no legitimate write would produce, sent under every name a client might try.
    static func forbidden(_ world: World, otherCase: String) -> [String: Any] {
        [
            "id": "00000000-0000-4000-8000-000000000001", "state": "closed_resolved", "version": 99,
            "consumer_id": world.accounts["platform_admin_b"]!.id, "consumer_name": "冒名者", "platform_id": world.platformB,
            "mediator_id": world.accounts["mediator_b"]!.id, "mediation_body_id": world.bodyB, "role": "admin",
            "organization_id": world.platformB, "author_id": world.accounts["platform_admin_b"]!.id, "complaint_id": otherCase,
            "created_at": "2001-01-01T00:00:00Z", "submitted_at": "2001-01-01T00:00:00Z", "updated_at": "2001-01-01T00:00:00Z",
            "closed_at": "2001-01-01T00:00:00Z", "deadline_at": "2099-01-01T00:00:00Z", "overdue": true, "triaged": true,
            "first_response_on_time": true, "agreed_refund": 1, "rating": 5, "refund_claimed": 1, "password_hash": "x",
            "complaints": 1_000, "responded": 1_000, "response_rate": 1.0, "resolved": 1_000,
        ]
    }

    /// A row as JSON, read as the owner (no row-level security in the way).
    static func row(_ app: TestApp, _ table: String, _ id: String) async throws -> [String: String] {
        let text = try await app.asOwner {
            try await $0.scalar("SELECT row_to_json(t)::text FROM \(unescaped: table) t WHERE id = \(id)::uuid", as: String.self)
        }
        let object = try #require(JSON(data: Data((text ?? "{}").utf8))?.object)
        // Strings as they are; everything else (numbers, demands, answers) as canonical text to compare.
        return object.mapValues { $0.string ?? $0.text }
    }

    static func statisticsFingerprint(_ app: TestApp) async throws -> String {
        try await app.asOwner {
            try await $0.scalar(
                """
                SELECT md5(coalesce((SELECT string_agg(t::text, ',' ORDER BY t::text) FROM platform_daily_statistics t), '')
                    || coalesce((SELECT string_agg(t::text, ',' ORDER BY t::text) FROM platform_monthly_statistics t), ''))
                """, as: String.self)
        } ?? ""
    }

    /// The columns that differ between two versions of a row.
    static func changed(_ before: [String: String], _ after: [String: String]) -> Set<String> {
        Set(before.keys.filter { before[$0] != after[$0] })
    }

    @Test func registeringCannotChooseARoleAnOrganisationOrAnId() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            var body = Self.forbidden(world, otherCase: UUID().uuidString)
            body.merge(["email": "sly@redress.test", "password": worldPassword, "display_name": "狡猾"]) { $1 }
            let response = try await app.register(body)
            #expect(response.status == .created, "\(response.text)")
            let id = try #require(response.json["id"].string)
            #expect(id != body["id"] as? String)
            let stored = try await Self.row(app, "accounts", id)
            #expect(stored["role"] == "consumer")
            #expect(stored["organization_id"] == "null")
            #expect(stored["created_at"]?.hasPrefix("2001") == false)
            #expect(stored["password_hash"] != "x")
            let me = try await app.request(.get, "/api/v1/me", token: try await app.login("sly@redress.test"))
            let roles = me.json["roles"].array
            #expect(roles.count == 1 && roles.first?["role"].string == "consumer", "\(me.text)")
        }
    }

    @Test func filingCannotSetStateVersionPartiesMediatorTimesOrStatistics() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let statistics = try await Self.statisticsFingerprint(app)
            var body = Self.forbidden(world, otherCase: UUID().uuidString)
            body.merge(app.complaintBody(world)) { $1 }  // the legitimate fields win where names overlap (platform_id)
            let response = try await app.request(.post, "/api/v1/complaints", token: world.token("consumer"), json: body)
            #expect(response.status == .created, "\(response.text)")
            let id = try #require(response.json["id"].string)
            let stored = try await Self.row(app, "complaints", id)
            #expect(id != body["id"] as? String)
            #expect(stored["state"] == "awaiting_platform")
            #expect(stored["version"] == "1")
            #expect(stored["consumer_id"] == world.accounts["consumer"]!.id)
            #expect(stored["consumer_name"] == "消费者")
            #expect(stored["platform_id"] == world.platformA)
            for column in ["mediator_id", "mediation_body_id", "closed_at", "rating", "agreed_refund", "first_response_on_time"] {
                #expect(stored[column] == "null", "\(column): \(stored[column] ?? "absent")")
            }
            #expect(stored["overdue"] == "false" && stored["triaged"] == "false")
            #expect(stored["refund_claimed"] == "50000")
            #expect(stored["submitted_at"]?.hasPrefix("2001") == false)
            #expect(stored["deadline_at"]?.hasPrefix("2099") == false)
            // The statistics moved by exactly one filing, not by the 1,000 sent.
            #expect(try await Self.statisticsFingerprint(app) != statistics)
            let stats = try await app.request(.get, "/api/v1/stats/platforms/\(world.platformA)", token: world.token("platform_admin_a"))
            #expect(stats.json["totals"]["complaints"].int == 1, "\(stats.text)")
        }
    }

    @Test func actionsAndMessagesChangeOnlyWhatTheyAreFor() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let id = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            var other = app.complaintBody(world)
            other["platform_id"] = world.platformB
            let otherCase = try await app.create("/api/v1/complaints", token: world.token("consumer"), other)
            let before = try await Self.row(app, "complaints", id)
            let otherBefore = try await Self.row(app, "complaints", otherCase)

            // An answer: only the answer's own columns and the stage may move.
            var answer = Self.forbidden(world, otherCase: otherCase)
            answer.merge(["decision": "reject", "reason": "已发货"]) { $1 }
            let answered = try await app.request(.post, "/api/v1/complaints/\(id)/actions/respond", token: world.token("platform_staff_a"), json: answer)
            #expect(answered.status == .ok, "\(answered.text)")
            let after = try await Self.row(app, "complaints", id)
            let answerColumns: Set<String> = [
                "state", "version", "updated_at", "stage_started_at", "deadline_at", "first_response_at", "first_response_by",
                "first_response_deadline_at", "first_response_on_time", "answered_by", "answer", "closes_at",
            ]
            #expect(Self.changed(before, after).isSubset(of: answerColumns), "\(Self.changed(before, after).subtracting(answerColumns))")
            #expect(after["state"] == "proposal_made" && after["version"] == "2")
            #expect(after["first_response_on_time"] == "true")

            // An escalation: goes to the body the consumer names (or the default), never to a chosen mediator.
            var escalation = Self.forbidden(world, otherCase: otherCase)
            escalation.removeValue(forKey: "mediation_body_id")
            _ = try await app.request(.post, "/api/v1/complaints/\(id)/actions/reject", token: world.token("consumer"), json: ["reason": "卡密无效"])
            escalation.merge(["mediation_body_id": world.bodyA, "reason": "协商不成"]) { $1 }
            let escalated = try await app.request(.post, "/api/v1/complaints/\(id)/actions/escalate", token: world.token("consumer"), json: escalation)
            #expect(escalated.status == .ok, "\(escalated.text)")
            let escalatedRow = try await Self.row(app, "complaints", id)
            #expect(escalatedRow["state"] == "escalated" && escalatedRow["mediator_id"] == "null" && escalatedRow["triaged"] == "false")
            #expect(escalatedRow["platform_id"] == world.platformA && escalatedRow["consumer_id"] == world.accounts["consumer"]!.id)

            // A message lands on the case of the path, from its real author, now.
            var message = Self.forbidden(world, otherCase: otherCase)
            message.merge(["body": "补充说明"]) { $1 }
            let written = try await app.request(.post, "/api/v1/complaints/\(id)/messages", token: world.token("consumer"), json: message)
            #expect(written.status == .created, "\(written.text)")
            let stored = try await Self.row(app, "complaint_messages", try #require(written.json["id"].string))
            #expect(stored["complaint_id"] == id)
            #expect(stored["author_id"] == world.accounts["consumer"]!.id && stored["author_role"] == "consumer")
            #expect(stored["created_at"]?.hasPrefix("2001") == false)
            #expect(try await Self.row(app, "complaints", otherCase) == otherBefore)
        }
    }

    @Test func organisationAndStaffWritesKeepTheirIdentityFields() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let platformBefore = try await Self.row(app, "platforms", world.platformA)
            let organizationBefore = try await Self.row(app, "organizations", world.platformA)
            var patch = Self.forbidden(world, otherCase: UUID().uuidString)
            patch.merge(["name": "改名", "credit_code": creditCode(99), "company_name": "别家公司", "response_days": 5]) { $1 }
            let patched = try await app.request(.patch, "/api/v1/platforms/\(world.platformA)", token: world.token("platform_admin_a"), json: patch)
            #expect(patched.status == .ok, "\(patched.text)")
            let platformAfter = try await Self.row(app, "platforms", world.platformA)
            #expect(Self.changed(platformBefore, platformAfter) == ["response_days"])
            #expect(try await Self.row(app, "organizations", world.platformA) == organizationBefore)

            // A platform admin hiring cannot pick the new account's id, time or password hash, nor another platform.
            var hire = Self.forbidden(world, otherCase: UUID().uuidString)
            hire.merge(["email": "hire@redress.test", "password": worldPassword, "display_name": "新客服", "role": "platform_staff",
                        "organization_id": world.platformA]) { $1 }
            let hired = try await app.request(.post, "/api/v1/staff", token: world.token("platform_admin_a"), json: hire)
            #expect(hired.status == .created, "\(hired.text)")
            let account = try await Self.row(app, "accounts", try #require(hired.json["id"].string))
            #expect(account["id"] != hire["id"] as? String)
            #expect(account["organization_id"] == world.platformA && account["role"] == "platform_staff")
            #expect(account["created_at"]?.hasPrefix("2001") == false && account["password_hash"] != "x")
        }
    }
}
