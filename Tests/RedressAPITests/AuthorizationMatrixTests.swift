import Foundation
import RedressCore
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import RedressStore
import StoreTestSupport
import Testing
import TestSupport

/// Every role (anonymous included) against every endpoint, with the status each cell
/// must answer. A cell fails in both directions: allowed where it should be denied, and denied where
/// it should be allowed. Every successful write must leave exactly one audit event, every refusal none.
@Suite("Role × endpoint matrix")
struct AuthorizationMatrixTests {
    static let principals = [
        "anonymous", "consumer", "merchant_staff_a", "platform_staff_a", "platform_admin_a", "platform_admin_b",
        "mediator_a", "mediation_lead_a", "auditor", "admin",
    ]

    struct Row: Sendable {
        let name: String
        let method: HTTPRequest.Method
        let path: @Sendable (World) -> String
        let body: (@Sendable (World, Int) -> [String: Any])?
        /// Expected status per principal.
        let expected: [String: Int]
        /// Whether a successful answer changed something (and so must be audited).
        let writes: Bool
        /// Prepares a resource for one cell (a fresh complaint) and gives the path to call.
        var setup: (@Sendable (TestApp, World) async throws -> String)? = nil
        /// A file sent as the raw body (evidence), instead of `body`'s JSON.
        var file: (contentType: String, bytes: [UInt8])? = nil
    }

    static let png = EvidenceSamples.png

    /// A fresh complaint of platform A with one piece of evidence from its consumer; the path of that evidence.
    static func freshEvidence(_ app: TestApp, _ world: World) async throws -> String {
        let complaint = try await freshComplaint(app, world)
        let uploaded = try await app.request(
            .post, "/api/v1/complaints/\(complaint)/evidence?kind=anomaly_proof&filename=a.png", token: world.token("consumer"),
            headers: [.contentType: "image/png"], rawBody: ByteBuffer(bytes: png))
        let id = try #require(uploaded.json["id"].string, "evidence upload: \(uploaded.text)")
        return "/api/v1/complaints/\(complaint)/evidence/\(id)"
    }

    /// A new staff account of platform A, made by the admin; its id.
    static func freshStaffOfA(_ app: TestApp, _ world: World) async throws -> String {
        try await app.create(
            "/api/v1/staff", token: world.token("admin"),
            ["email": "s\(UUID().uuidString.prefix(8).lowercased())@matrix.test", "password": worldPassword, "display_name": "客服",
             "role": "platform_staff", "organization_id": world.platformA])
    }

    /// A complaint against platform A naming no merchant, filed by the world's consumer.
    static func freshComplaint(_ app: TestApp, _ world: World) async throws -> String {
        try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
    }

    /// Platform A's webhook endpoint the rows share (an organisation has at most 10): its id.
    static func webhookOfA(_ app: TestApp, _ world: World) async throws -> String {
        let url = "https://93.184.215.14/matrix"
        let admin = world.token("platform_admin_a")
        let listed = try await app.request(.get, "/api/v1/webhooks?limit=200", token: admin).json["items"].array
        if let id = listed.first(where: { $0["url"].string == url })?["id"].string { return id }
        let created = try await app.request(.post, "/api/v1/webhooks", token: admin, json: ["url": url, "event_types": ["*"]])
        return try #require(created.json["endpoint"]["id"].string, "webhook: \(created.text)")
    }

    /// A dead delivery of platform A's shared endpoint, for a fresh complaint (the endpoint disabled
    /// and enabled again); the endpoint's id and its id.
    static func freshDelivery(_ app: TestApp, _ world: World) async throws -> (endpoint: String, delivery: String) {
        let endpoint = try await webhookOfA(app, world)
        _ = try await freshComplaint(app, world)
        for disabled in [true, false] {
            _ = try await app.request(.patch, "/api/v1/webhooks/\(endpoint)", token: world.token("platform_admin_a"), json: ["disabled": disabled])
        }
        let log = try await app.request(.get, "/api/v1/webhooks/\(endpoint)/deliveries?limit=1", token: world.token("platform_admin_a"))
        return (endpoint, try #require(log.json["items"].array.first?["id"].string))
    }

    /// A complaint of platform A in mediation with body A (mediator A assigned) with a consumer's flag on
    /// it: the flag's decision path.
    static func flagToDecide(_ app: TestApp, _ world: World) async throws -> String {
        let id = try await freshComplaint(app, world)
        let consumer = world.token("consumer")
        let flag = try await app.request(
            .post, "/api/v1/complaints/\(id)/flags", token: consumer, json: ["kind": "retaliation_threat", "statement": "账号被冻结"])
        let flagID = try #require(flag.json["id"].string, "flag: \(flag.text)")
        try await app.step(id, "respond", as: world.token("platform_staff_a"), ["decision": "reject", "reason": "已发货"])
        try await app.step(id, "reject", as: consumer)
        try await app.step(id, "escalate", as: consumer, ["mediation_body_id": world.bodyA])
        try await app.step(id, "triage", as: world.token("mediation_lead_a"), ["decision": "accept"])
        try await app.step(id, "assign", as: world.token("mediation_lead_a"), ["mediator_id": world.accounts["mediator_a"]!.id])
        return "/api/v1/complaints/\(id)/flags/\(flagID)/decision"
    }

    /// Only platform A's administrator; another organisation's administrator does not find it.
    static let webhookOfAAnswers = only(["platform_admin_a"], 200).merging(["platform_admin_b": 404, "mediation_lead_a": 404]) { $1 }

    /// The token of an unsubscribe link in a mail to the world's consumer.
    static func unsubscribeToken(_ world: World) -> String {
        TestDatabase.keys.unsubscribeToken(accountID: UUID(uuidString: world.accounts["consumer"]!.id)!, category: .messages)
    }

    /// The answers about one complaint of platform A: its parties, then everyone else.
    static let complaintOfA: [String: Int] = [
        "anonymous": 401, "consumer": 200, "platform_staff_a": 200, "platform_admin_a": 200, "platform_admin_b": 404,
        "merchant_staff_a": 404, "mediator_a": 404, "mediation_lead_a": 404, "auditor": 200, "admin": 403,
    ]

    static func everyone(_ status: Int) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: principals.map { ($0, status) })
    }

    static func signedIn(_ status: Int) -> [String: Int] {
        var result = everyone(status)
        result["anonymous"] = 401
        return result
    }

    /// `allowed` answer `status`; other signed-in principals 403; anonymous 401.
    static func only(_ allowed: Set<String>, _ status: Int) -> [String: Int] {
        var result = signedIn(403)
        for principal in allowed { result[principal] = status }
        return result
    }

    static let rows: [Row] = [
        Row(name: "health", method: .get, path: { _ in "/health" }, body: nil, expected: everyone(200), writes: false),
        Row(name: "ready", method: .get, path: { _ in "/ready" }, body: nil, expected: everyone(200), writes: false),
        Row(name: "openapi", method: .get, path: { _ in "/openapi.yaml" }, body: nil, expected: everyone(200), writes: false),
        Row(
            name: "register", method: .post, path: { _ in "/api/v1/auth/register" },
            body: { _, n in ["email": "new\(n)@matrix.test", "password": worldPassword, "display_name": "新用户\(n)"] },
            expected: everyone(202), writes: false),
        Row(
            name: "confirm a registration", method: .post, path: { _ in "/api/v1/auth/register/confirm" },
            body: { _, _ in ["token": "not-a-token", "password": worldPassword] }, expected: everyone(422), writes: false),
        Row(
            name: "login", method: .post, path: { _ in "/api/v1/auth/login" },
            body: { _, _ in ["email": "consumer@redress.test", "password": worldPassword] },
            expected: everyone(200), writes: true),
        Row(name: "me", method: .get, path: { _ in "/api/v1/me" }, body: nil, expected: signedIn(200), writes: false),
        Row(name: "list platforms", method: .get, path: { _ in "/api/v1/platforms" }, body: nil, expected: everyone(200), writes: false),
        Row(
            name: "create platform", method: .post, path: { _ in "/api/v1/platforms" },
            body: { _, n in
                ["name": "新平台\(n)", "company_name": "新平台\(n)有限公司", "credit_code": creditCode(1000 + n), "registered_address": "某路\(n)号"]
            },
            expected: only(["admin"], 201), writes: true),
        Row(name: "read platform", method: .get, path: { "/api/v1/platforms/\($0.platformA)" }, body: nil, expected: everyone(200), writes: false),
        Row(
            name: "update platform A's policy", method: .patch, path: { "/api/v1/platforms/\($0.platformA)" },
            body: { _, n in ["response_days": 1 + n % 7] },
            expected: only(["admin", "platform_admin_a"], 200), writes: true),
        Row(
            name: "read platform A's terms", method: .get, path: { "/api/v1/platforms/\($0.platformA)/terms" }, body: nil,
            expected: signedIn(200), writes: false),
        Row(
            name: "record platform A's terms", method: .post, path: { "/api/v1/platforms/\($0.platformA)/terms" },
            body: { _, n in ["effective_from": "2026-01-01", "clauses": ["充值后24小时内到账（版本\(n)）"]] },
            expected: only(["platform_admin_a"], 201), writes: true),
        Row(
            name: "list platform A's merchants", method: .get, path: { "/api/v1/platforms/\($0.platformA)/merchants" }, body: nil,
            expected: everyone(200), writes: false),
        Row(
            name: "create a merchant of platform A", method: .post, path: { "/api/v1/platforms/\($0.platformA)/merchants" },
            body: { _, n in ["name": "新商户\(n)", "shop_url": "https://shop.example.cn/\(n)"] },
            expected: only(["admin", "platform_admin_a"], 201), writes: true),
        Row(
            name: "record the credit code of a merchant of platform A", method: .patch,
            path: { "/api/v1/platforms/\($0.platformA)/merchants/\($0.merchantA)" },
            body: { _, _ in ["credit_code": CreditCode.complete("91440300MA5ABCDE0")!] },
            expected: only(["admin"], 200), writes: true),
        Row(
            name: "the record of a merchant of platform A", method: .get, path: { "/api/v1/merchants/\($0.merchantA)/record" }, body: nil,
            expected: [
                "anonymous": 401, "consumer": 403, "platform_staff_a": 200, "platform_admin_a": 200, "platform_admin_b": 404,
                "merchant_staff_a": 200, "mediator_a": 200, "mediation_lead_a": 200, "auditor": 200, "admin": 403,
            ], writes: false),
        Row(name: "list mediation bodies", method: .get, path: { _ in "/api/v1/mediation-bodies" }, body: nil, expected: everyone(200), writes: false),
        Row(
            name: "create mediation body", method: .post, path: { _ in "/api/v1/mediation-bodies" },
            body: { _, n in ["name": "新协会\(n)", "kind": "consumer_association", "region": "广东"] },
            expected: only(["admin"], 201), writes: true),
        Row(
            name: "list staff", method: .get, path: { _ in "/api/v1/staff" }, body: nil,
            expected: only(["admin", "platform_admin_a", "platform_admin_b", "mediation_lead_a"], 200), writes: false),
        Row(
            name: "read a staff member of platform A", method: .get,
            path: { "/api/v1/staff/\($0.accounts["platform_staff_a"]!.id)" }, body: nil,
            expected: only(["admin", "platform_admin_a"], 200).merging(["platform_admin_b": 404, "mediation_lead_a": 404]) { $1 },
            writes: false),
        Row(
            name: "create platform A staff", method: .post, path: { _ in "/api/v1/staff" },
            body: { world, n in
                ["email": "pa\(n)@matrix.test", "password": worldPassword, "display_name": "客服\(n)", "role": "platform_staff",
                 "organization_id": world.platformA]
            },
            expected: only(["admin", "platform_admin_a"], 201), writes: true),
        Row(
            name: "create merchant A staff", method: .post, path: { _ in "/api/v1/staff" },
            body: { world, n in
                ["email": "ma\(n)@matrix.test", "password": worldPassword, "display_name": "商户客服\(n)", "role": "merchant_staff",
                 "organization_id": world.merchantA2]
            },
            expected: only(["admin", "platform_admin_a"], 201), writes: true),
        Row(
            name: "create body A mediator", method: .post, path: { _ in "/api/v1/staff" },
            body: { world, n in
                ["email": "me\(n)@matrix.test", "password": worldPassword, "display_name": "调解员\(n)", "role": "mediator",
                 "organization_id": world.bodyA]
            },
            expected: only(["admin", "mediation_lead_a"], 201), writes: true),
        Row(
            name: "create an auditor", method: .post, path: { _ in "/api/v1/staff" },
            body: { _, n in ["email": "au\(n)@matrix.test", "password": worldPassword, "display_name": "审计\(n)", "role": "auditor"] },
            expected: only(["admin"], 201), writes: true),
        Row(name: "read the calendar", method: .get, path: { _ in "/api/v1/calendar?from=2026-01-01&to=2026-12-31" }, body: nil,
            expected: everyone(200), writes: false),
        Row(
            name: "list a calendar day", method: .put, path: { _ in "/api/v1/calendar/2027-01-01" },
            body: { _, n in ["kind": "holiday", "name": "元旦 \(n)"] }, expected: only(["admin"], 200), writes: true),
        Row(
            name: "unlist a calendar day", method: .delete, path: { _ in "/api/v1/calendar/2026-01-01" }, body: nil,
            expected: only(["admin"], 204), writes: true),
        Row(
            name: "file a complaint", method: .post, path: { _ in "/api/v1/complaints" },
            body: { world, _ in
                ["platform_id": world.platformA, "category": "non_delivery", "title": "卡密未到账", "description": "付款后卡密未发放。",
                 "order": ["order_no": "KM1", "product_name": "点卡", "amount_paid": 10_000], "demands": [["kind": "refund", "amount": 10_000]]]
            },
            expected: only(["consumer"], 201), writes: true),
        Row(
            name: "list complaints", method: .get, path: { _ in "/api/v1/complaints" }, body: nil,
            expected: signedIn(200).merging(["admin": 403]) { $1 }, writes: false),
        Row(
            name: "search complaints", method: .get, path: { _ in "/api/v1/search/complaints?q=%E5%8D%A1%E5%AF%86" }, body: nil,
            expected: signedIn(200).merging(["admin": 403, "auditor": 403]) { $1 }, writes: false),
        Row(
            name: "read a complaint of platform A", method: .get, path: { _ in "" }, body: nil,
            expected: complaintOfA, writes: false, setup: { app, world in "/api/v1/complaints/\(try await freshComplaint(app, world))" }),
        Row(
            name: "answer a complaint of platform A", method: .post, path: { _ in "" },
            body: { _, _ in ["decision": "propose", "proposal": ["refund": 10_000]] },
            expected: complaintOfA.merging(["consumer": 403, "auditor": 403]) { $1 }, writes: true,
            setup: { app, world in "/api/v1/complaints/\(try await freshComplaint(app, world))/actions/respond" }),
        Row(
            name: "withdraw a complaint of platform A", method: .post, path: { _ in "" }, body: nil,
            expected: complaintOfA.merging(["platform_staff_a": 403, "platform_admin_a": 403, "auditor": 403]) { $1 }, writes: true,
            setup: { app, world in "/api/v1/complaints/\(try await freshComplaint(app, world))/actions/withdraw" }),
        Row(
            name: "triage a complaint that was not escalated", method: .post, path: { _ in "" }, body: { _, _ in ["decision": "accept"] },
            expected: complaintOfA.merging(["consumer": 409, "platform_staff_a": 409, "platform_admin_a": 409, "auditor": 403]) { $1 },
            writes: false, setup: { app, world in "/api/v1/complaints/\(try await freshComplaint(app, world))/actions/triage" }),
        Row(
            name: "read the messages of a complaint of platform A", method: .get, path: { _ in "" }, body: nil,
            expected: complaintOfA.merging(["auditor": 403]) { $1 }, writes: false,
            setup: { app, world in "/api/v1/complaints/\(try await freshComplaint(app, world))/messages" }),
        Row(
            name: "write to a complaint of platform A", method: .post, path: { _ in "" }, body: { _, n in ["body": "消息\(n)"] },
            expected: complaintOfA.merging(["consumer": 201, "platform_staff_a": 201, "platform_admin_a": 201, "auditor": 403]) { $1 },
            writes: true, setup: { app, world in "/api/v1/complaints/\(try await freshComplaint(app, world))/messages" }),
        Row(
            name: "read the supplements of a complaint of platform A", method: .get, path: { _ in "" }, body: nil,
            expected: complaintOfA.merging(["auditor": 403]) { $1 }, writes: false,
            setup: { app, world in "/api/v1/complaints/\(try await freshComplaint(app, world))/supplements" }),
        Row(
            name: "add a supplement to a complaint of platform A", method: .post, path: { _ in "" },
            body: { _, n in ["statement": "补充说明\(n)"] },
            expected: complaintOfA.merging(["consumer": 201, "platform_staff_a": 403, "platform_admin_a": 403, "auditor": 403]) { $1 },
            writes: true, setup: { app, world in "/api/v1/complaints/\(try await freshComplaint(app, world))/supplements" }),
        Row(
            name: "read the flags of a complaint of platform A", method: .get, path: { _ in "" }, body: nil,
            expected: complaintOfA.merging(["auditor": 403]) { $1 }, writes: false,
            setup: { app, world in "/api/v1/complaints/\(try await freshComplaint(app, world))/flags" }),
        Row(
            name: "report a threat on a complaint of platform A", method: .post, path: { _ in "" },
            body: { _, _ in ["kind": "retaliation_threat", "statement": "投诉后账号被冻结"] },
            expected: complaintOfA.merging(["consumer": 201, "platform_staff_a": 403, "platform_admin_a": 403, "auditor": 403]) { $1 },
            writes: true, setup: { app, world in "/api/v1/complaints/\(try await freshComplaint(app, world))/flags" }),
        Row(
            name: "decide a flag of a complaint in mediation with body A", method: .post, path: { _ in "" }, body: { _, _ in ["decision": "confirm"] },
            expected: complaintOfA.merging([
                "consumer": 403, "platform_staff_a": 403, "platform_admin_a": 403, "mediator_a": 200, "mediation_lead_a": 200, "auditor": 403,
            ]) { $1 },
            writes: true, setup: flagToDecide),
        Row(
            name: "list the evidence of a complaint of platform A", method: .get, path: { _ in "" }, body: nil,
            expected: complaintOfA.merging(["auditor": 403]) { $1 }, writes: false,
            setup: { app, world in "/api/v1/complaints/\(try await freshComplaint(app, world))/evidence" }),
        Row(
            name: "add evidence to a complaint of platform A", method: .post, path: { _ in "" }, body: nil,
            expected: complaintOfA.merging(["consumer": 201, "platform_staff_a": 201, "platform_admin_a": 201, "auditor": 403]) { $1 },
            writes: true,
            setup: { app, world in "/api/v1/complaints/\(try await freshComplaint(app, world))/evidence?kind=anomaly_proof&filename=a.png" },
            file: ("image/png", png)),
        Row(
            name: "download evidence of a complaint of platform A", method: .get, path: { _ in "" }, body: nil,
            expected: complaintOfA.merging(["auditor": 403]) { $1 }, writes: true, setup: freshEvidence),
        Row(
            name: "disable a staff member of platform A", method: .patch, path: { _ in "" }, body: { _, _ in ["disabled": true] },
            expected: only(["admin", "platform_admin_a"], 200).merging(["platform_admin_b": 404, "mediation_lead_a": 404]) { $1 },
            writes: true, setup: { app, world in "/api/v1/staff/\(try await freshStaffOfA(app, world))" }),
        Row(
            name: "reset the password of a staff member of platform A", method: .post, path: { _ in "" }, body: nil,
            expected: only(["admin", "platform_admin_a"], 200).merging(["platform_admin_b": 404, "mediation_lead_a": 404]) { $1 },
            writes: true, setup: { app, world in "/api/v1/staff/\(try await freshStaffOfA(app, world))/password-reset" }),
        Row(
            name: "the event feed", method: .get, path: { _ in "/api/v1/events" }, body: nil,
            expected: signedIn(200).merging(["admin": 403]) { $1 }, writes: false),
        Row(
            name: "list my organisation's webhooks", method: .get, path: { _ in "/api/v1/webhooks" }, body: nil,
            expected: only(["platform_admin_a", "platform_admin_b", "mediation_lead_a"], 200), writes: false),
        Row(
            name: "register a webhook", method: .post, path: { _ in "/api/v1/webhooks" },
            body: { _, counter in ["url": "https://93.184.215.14/\(counter)", "event_types": ["complaint.submit"]] },
            expected: only(["platform_admin_a", "platform_admin_b", "mediation_lead_a"], 201), writes: true),
        Row(
            name: "read a webhook of platform A", method: .get, path: { _ in "" }, body: nil, expected: webhookOfAAnswers, writes: false,
            setup: { app, world in "/api/v1/webhooks/\(try await webhookOfA(app, world))" }),
        Row(
            name: "change a webhook of platform A", method: .patch, path: { _ in "" }, body: { _, counter in ["description": "m\(counter)"] },
            expected: webhookOfAAnswers, writes: true, setup: { app, world in "/api/v1/webhooks/\(try await webhookOfA(app, world))" }),
        Row(
            name: "rotate the secret of a webhook of platform A", method: .post, path: { _ in "" }, body: nil, expected: webhookOfAAnswers,
            writes: true, setup: { app, world in "/api/v1/webhooks/\(try await webhookOfA(app, world))/secret" }),
        Row(
            name: "the delivery log of a webhook of platform A", method: .get, path: { _ in "" }, body: nil, expected: webhookOfAAnswers,
            writes: false, setup: { app, world in "/api/v1/webhooks/\(try await webhookOfA(app, world))/deliveries" }),
        Row(
            name: "redeliver a delivery of platform A", method: .post, path: { _ in "" }, body: nil,
            expected: webhookOfAAnswers.merging(["platform_admin_a": 202]) { $1 }, writes: true,
            setup: { app, world in
                let (endpoint, delivery) = try await freshDelivery(app, world)
                return "/api/v1/webhooks/\(endpoint)/deliveries/\(delivery)/redeliver"
            }),
        Row(
            name: "redeliver the dead deliveries of platform A", method: .post, path: { _ in "" }, body: nil,
            expected: webhookOfAAnswers.merging(["platform_admin_a": 202]) { $1 }, writes: true,
            setup: { app, world in "/api/v1/webhooks/\(try await freshDelivery(app, world).endpoint)/redeliver" }),
        // The same answer whether or not the address has an account; nothing changes until the link is used.
        Row(
            name: "ask for a password reset link", method: .post, path: { _ in "/api/v1/auth/password-reset" },
            body: { _, _ in ["email": "nobody@matrix.test"] }, expected: everyone(202), writes: false),
        Row(
            name: "reset a password with a link", method: .post, path: { _ in "/api/v1/auth/password-reset/confirm" },
            body: { _, _ in ["token": "not-a-token", "new_password": "a brand new passphrase"] }, expected: everyone(422), writes: false),
        Row(name: "my mail settings", method: .get, path: { _ in "/api/v1/me/notifications" }, body: nil, expected: signedIn(200), writes: false),
        Row(
            name: "change my mail settings", method: .patch, path: { _ in "/api/v1/me/notifications" }, body: { _, _ in ["language": "zh-CN"] },
            expected: signedIn(200), writes: true),
        // The link of a mail to the consumer: whoever holds it may use it.
        Row(
            name: "the unsubscribe page", method: .get, path: { _ in "" }, body: nil, expected: everyone(200), writes: false,
            setup: { _, world in "/api/v1/notifications/unsubscribe?token=\(unsubscribeToken(world))" }),
        Row(
            name: "unsubscribe", method: .post, path: { _ in "" }, body: nil, expected: everyone(200), writes: true,
            setup: { _, world in "/api/v1/notifications/unsubscribe?token=\(unsubscribeToken(world))" }),
        Row(name: "my sessions", method: .get, path: { _ in "/api/v1/me/sessions" }, body: nil, expected: signedIn(200), writes: false),
        Row(
            name: "end a session of the consumer's", method: .delete, path: { _ in "" }, body: nil,
            expected: signedIn(404).merging(["consumer": 204]) { $1 }, writes: true,
            setup: { app, world in
                let token = try await app.login(world.accounts["consumer"]!.email)
                let sessions = try await app.request(.get, "/api/v1/me/sessions", token: token).json["items"].array
                let id = try #require(sessions.first { $0["current"].bool == true }?["id"].string)
                return "/api/v1/me/sessions/\(id)"
            }),
        Row(
            name: "end my other sessions", method: .post, path: { _ in "/api/v1/me/sessions/end-others" }, body: nil,
            expected: signedIn(200), writes: true),
        // A wrong current password: the gate alone (the change itself would spoil the world's passwords).
        Row(
            name: "change my password", method: .post, path: { _ in "/api/v1/me/password" },
            body: { _, _ in ["current_password": "not the password", "new_password": "a brand new passphrase"] },
            expected: signedIn(422), writes: false),
        Row(name: "my data, exported", method: .get, path: { _ in "/api/v1/me/export" }, body: nil, expected: signedIn(200), writes: false),
        // The consumer has an open complaint (the setup's); a staff account is its organisation's.
        Row(
            name: "erase my account", method: .delete, path: { _ in "" }, body: { _, _ in ["password": "not the password"] },
            expected: only(["consumer"], 409), writes: false,
            setup: { app, world in
                _ = try await freshComplaint(app, world)
                return "/api/v1/me"
            }),
        Row(
            name: "enrol a second factor", method: .post, path: { _ in "/api/v1/me/second-factor" }, body: { _, _ in ["password": worldPassword] },
            expected: signedIn(201), writes: true),
        // After the row above, each principal's enrolment waits for a first code: a wrong one.
        Row(
            name: "confirm a second factor", method: .post, path: { _ in "/api/v1/me/second-factor/confirm" },
            body: { _, _ in ["code": "000000"] }, expected: everyone(401), writes: false),
        // Nobody has a confirmed one in the world.
        Row(
            name: "turn the second factor off", method: .delete, path: { _ in "/api/v1/me/second-factor" },
            body: { _, _ in ["code": "000000"] }, expected: signedIn(409), writes: false),
        Row(
            name: "renew recovery codes", method: .post, path: { _ in "/api/v1/me/second-factor/recovery-codes" },
            body: { _, _ in ["code": "000000"] }, expected: signedIn(409), writes: false),
        Row(
            name: "the timeline of a complaint of platform A", method: .get, path: { _ in "" }, body: nil,
            expected: complaintOfA.merging(["auditor": 403]) { $1 }, writes: false,
            setup: { app, world in "/api/v1/complaints/\(try await freshComplaint(app, world))/timeline" }),
        Row(
            name: "the dossier of a complaint of platform A", method: .get, path: { _ in "" }, body: nil,
            expected: complaintOfA.merging(["auditor": 403]) { $1 }, writes: false,
            setup: { app, world in "/api/v1/complaints/\(try await freshComplaint(app, world))/dossier" }),
        Row(
            name: "verify the audit chain of a complaint of platform A", method: .get, path: { _ in "" }, body: nil,
            expected: complaintOfA, writes: false,
            setup: { app, world in "/api/v1/complaints/\(try await freshComplaint(app, world))/audit/verify" }),
        Row(
            name: "proposed clusters", method: .get, path: { _ in "/api/v1/clusters" }, body: nil,
            expected: signedIn(200).merging(["consumer": 403, "admin": 403]) { $1 }, writes: false),
        Row(
            name: "group cases that are not before the body", method: .post, path: { _ in "/api/v1/collective-cases" },
            body: { world, _ in ["title": "集体", "mediator_id": world.accounts["mediator_a"]!.id, "complaint_ids": [UUID().uuidString, UUID().uuidString]] },
            expected: only(["mediation_lead_a"], 422), writes: false),
        Row(
            name: "the body's collective cases", method: .get, path: { _ in "/api/v1/collective-cases" }, body: nil,
            expected: only(["mediator_a", "mediation_lead_a"], 200), writes: false),
        Row(
            name: "a collective case that does not exist", method: .get, path: { _ in "/api/v1/collective-cases/\(UUID().uuidString)" }, body: nil,
            expected: only(["mediator_a", "mediation_lead_a"], 404), writes: false),
        Row(
            name: "a proposal to a collective case that does not exist", method: .post,
            path: { _ in "/api/v1/collective-cases/\(UUID().uuidString)/proposal" }, body: { _, _ in ["refund_percent": 50, "text": "退一半"] },
            expected: only(["mediator_a", "mediation_lead_a"], 404), writes: false),
        Row(
            name: "the triage queue", method: .get, path: { _ in "/api/v1/triage" }, body: nil,
            expected: only(["mediator_a", "mediation_lead_a"], 200), writes: false),
        Row(
            name: "statistics of platform A", method: .get, path: { "/api/v1/stats/platforms/\($0.platformA)" }, body: nil,
            expected: only(["platform_staff_a", "platform_admin_a", "mediator_a", "mediation_lead_a", "auditor"], 200), writes: false),
        Row(
            name: "statistics of every platform", method: .get, path: { _ in "/api/v1/stats/platforms" }, body: nil,
            expected: only(["mediator_a", "mediation_lead_a", "auditor"], 200), writes: false),
        Row(name: "the public report", method: .get, path: { _ in "/public/v1/reports/platforms" }, body: nil, expected: everyone(200), writes: false),
        Row(name: "the public report page", method: .get, path: { _ in "/reports" }, body: nil, expected: everyone(200), writes: false),
        Row(
            name: "a platform's public report page", method: .get, path: { "/reports/platforms/\($0.platformA)" }, body: nil,
            expected: everyone(200), writes: false),
        Row(
            name: "logout", method: .post, path: { _ in "/api/v1/auth/logout" }, body: nil, expected: signedIn(204), writes: true),
    ]

    @Test func everyCellAnswersAsSpecified() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            var counter = 0
            var failures: [String] = []
            for row in Self.rows {
                for principal in Self.principals {
                    counter += 1
                    let expected = try #require(row.expected[principal], "row \(row.name) has no cell for \(principal)")
                    var token = world.token(principal)
                    if row.name == "logout", principal != "anonymous" {
                        // Logout revokes the token it is sent with: use a fresh one.
                        token = try await app.login(world.accounts[principal]!.email)
                    }
                    let path = try await row.setup?(app, world) ?? row.path(world)
                    let before = try await Self.auditEventCount(app)
                    let response = if let file = row.file {
                        try await app.request(
                            row.method, path, token: token, headers: [.contentType: file.contentType], rawBody: ByteBuffer(bytes: file.bytes))
                    } else {
                        try await app.request(row.method, path, token: token, json: row.body?(world, counter))
                    }
                    let after = try await Self.auditEventCount(app)
                    if response.status.code != expected {
                        failures.append("\(row.name) as \(principal): expected \(expected), got \(response.status.code) \(response.text)")
                    }
                    let success = (200..<300).contains(response.status.code)
                    let expectedEvents = row.writes && success ? 1 : 0
                    if after - before != expectedEvents {
                        failures.append("\(row.name) as \(principal): \(after - before) audit events, expected \(expectedEvents)")
                    }
                    if !success {
                        #expect(response.contentType?.hasPrefix("application/problem+json") == true, "\(row.name) as \(principal)")
                    }
                }
            }
            #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
            #expect(counter == Self.rows.count * Self.principals.count)
        }
    }

    /// Complete by construction: every operation of the served OpenAPI document has rows here, so a
    /// route added to the document without rows fails this test.
    @Test func everyDocumentedOperationHasRows() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let operations = OpenAPIDocumentTests.operations(in: try await app.request(.get, "/openapi.yaml").text).sorted()
            #expect(operations.count >= 35)
            var called: [String] = []
            for row in Self.rows {
                let path = try await row.setup?(app, world) ?? row.path(world)
                called.append("\(row.method.rawValue) \(path.split(separator: "?", maxSplits: 1)[0])")
            }
            let missing = operations.filter { operation in !called.contains { Self.call($0, matches: operation) } }
            #expect(missing.isEmpty, "operations without matrix rows: \(missing)")
        }
    }

    /// Whether a concrete call (`GET /api/v1/complaints/3f…`) is an instance of an operation's template.
    static func call(_ call: String, matches operation: String) -> Bool {
        let callParts = call.split(separator: "/"), templateParts = operation.split(separator: "/")
        guard callParts.count == templateParts.count else { return false }
        return zip(callParts, templateParts).allSatisfy { concrete, template in
            concrete == template || (template.hasPrefix("{") && template.hasSuffix("}"))
        }
    }

    @Test func otherTenantsAreRefused() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let adminB = world.token("platform_admin_b")
            let leadA = world.token("mediation_lead_a")
            let cases: [(String, HTTPRequest.Method, String, [String: Any], Int)] = [
                ("B's admin changes A's policy", .patch, "/api/v1/platforms/\(world.platformA)", ["merchant_first": true], 403),
                ("B's admin adds a merchant to A", .post, "/api/v1/platforms/\(world.platformA)/merchants", ["name": "冒名商户"], 403),
                ("B's admin hires into A", .post, "/api/v1/staff",
                 ["email": "x1@matrix.test", "password": worldPassword, "display_name": "x", "role": "platform_staff", "organization_id": world.platformA], 403),
                ("B's admin hires into A's merchant", .post, "/api/v1/staff",
                 ["email": "x2@matrix.test", "password": worldPassword, "display_name": "x", "role": "merchant_staff", "organization_id": world.merchantA], 403),
                ("A's lead hires into body B", .post, "/api/v1/staff",
                 ["email": "x3@matrix.test", "password": worldPassword, "display_name": "x", "role": "mediator", "organization_id": world.bodyB], 403),
                ("A's lead makes a lead", .post, "/api/v1/staff",
                 ["email": "x4@matrix.test", "password": worldPassword, "display_name": "x", "role": "mediation_lead", "organization_id": world.bodyA], 403),
            ]
            for (name, method, path, body, status) in cases {
                let token = name.hasPrefix("B's") ? adminB : leadA
                let response = try await app.request(method, path, token: token, json: body)
                #expect(response.status.code == status, "\(name): \(response.text)")
            }
            // A platform that does not exist, or a malformed id, is simply not found.
            #expect(try await app.request(.get, "/api/v1/platforms/\(UUID())").status == .notFound)
            #expect(try await app.request(.get, "/api/v1/platforms/not-an-id/merchants").status == .notFound)
        }
    }

    @Test func staffListsShowExactlyTheCallersOrganisations() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            func emails(_ principal: String) async throws -> Set<String> {
                var result: Set<String> = []
                var cursor: String? = nil
                repeat {
                    let path = "/api/v1/staff?limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")
                    let response = try await app.request(.get, path, token: world.token(principal))
                    #expect(response.status == .ok)
                    for item in response.json["items"].array { result.insert(item["email"].string ?? "") }
                    cursor = response.json["next_cursor"].string
                } while cursor != nil
                return result
            }
            #expect(try await emails("platform_admin_a") == ["platform_admin_a@redress.test", "platform_staff_a@redress.test", "merchant_staff_a@redress.test"])
            #expect(try await emails("platform_admin_b") == ["platform_admin_b@redress.test", "platform_staff_b@redress.test", "merchant_staff_b@redress.test"])
            #expect(try await emails("mediation_lead_a") == ["mediator_a@redress.test", "mediation_lead_a@redress.test"])
            let all = try await emails("admin")
            #expect(all.count == 11)  // ten staff and the admin; never the consumer
            #expect(!all.contains("consumer@redress.test"))
        }
    }

    static func auditEventCount(_ app: TestApp) async throws -> Int {
        try await app.asOwner { try await $0.scalar("SELECT count(*)::int FROM audit_events", as: Int.self) } ?? -1
    }
}
