import Foundation
import HTTPTypes
import NIOCore
import Testing
import TestSupport

/// The thirteen principals of issue 6 against one case in each of four stages of its life, through
/// every endpoint that reads or writes a case: the status each must get, the exact number of cases in
/// each one's list, and which fields each may see. Expectations are written from the product's rule of "who
/// sees what" (Docs/architecture.md, "Who sees a case"), not read back from the code: a cell fails whether it allows too much or too little.
@Suite("Case visibility: principals × case stages")
struct CaseVisibilityMatrixTests {
    enum Stage: String, CaseIterable {
        /// Filed and waiting for the platform: no mediation body has it yet.
        case beforeEscalation = "before escalation"
        /// Escalated to body A, not yet triaged.
        case escalated
        /// Accepted by body A and assigned to `mediator_assigned`.
        case inMediation = "in mediation"
        /// Settled in mediation, fulfilled and closed.
        case closed
    }

    static let principals = [
        "anonymous", "consumer", "other_consumer", "platform_staff_a", "platform_admin_a", "platform_staff_b",
        "merchant_staff_a", "merchant_staff_a2", "mediator_assigned", "mediator_a2", "mediator_b", "mediation_lead_a",
        "auditor", "admin",
    ]

    /// Who is a party to a case of platform A naming merchant A1 at each stage. A party reads the case,
    /// its messages, evidence, timeline and dossier; everyone else signed in gets 404 (the case does not
    /// exist for them), except the auditor (metadata yes, contents 403) and the admin (403 for all).
    static func isParty(_ principal: String, _ stage: Stage) -> Bool {
        switch principal {
        case "consumer", "platform_staff_a", "platform_admin_a", "merchant_staff_a": return true
        case "mediator_assigned", "mediator_a2", "mediation_lead_a": return stage != .beforeEscalation
        default: return false
        }
    }

    /// The number of the four cases each principal's list holds.
    static let listCounts: [String: Int] = [
        "consumer": 4, "other_consumer": 0, "platform_staff_a": 4, "platform_admin_a": 4, "platform_staff_b": 0,
        "merchant_staff_a": 4, "merchant_staff_a2": 0, "mediator_assigned": 3, "mediator_a2": 3, "mediator_b": 0,
        "mediation_lead_a": 3, "auditor": 4,
    ]

    enum Kind { case caseRead, contents, verify, write }

    static let operations: [(name: String, method: HTTPRequest.Method, suffix: String, kind: Kind)] = [
        ("read", .get, "", .caseRead),
        ("messages", .get, "/messages", .contents),
        ("evidence", .get, "/evidence", .contents),
        ("timeline", .get, "/timeline", .contents),
        ("dossier", .get, "/dossier", .contents),
        ("audit verify", .get, "/audit/verify", .verify),
        ("write a message", .post, "/messages", .write),
    ]

    static func expected(_ principal: String, _ stage: Stage, _ kind: Kind) -> Int {
        if principal == "anonymous" { return 401 }
        if principal == "admin" { return 403 }
        if principal == "auditor" { return kind == .caseRead || kind == .verify ? 200 : 403 }
        guard isParty(principal, stage) else { return 404 }
        return kind == .write ? 201 : 200
    }

    /// A complaint's fields any reader may see: its metadata (all an auditor gets).
    static let metadataFields: Set<String> = [
        "id", "state", "version", "category", "platform_id", "merchant_id", "mediation_body_id", "mediator_id", "submitted_at",
        "updated_at", "stage_started_at", "deadline_at", "overdue", "overdue_party", "first_response_at", "first_response_on_time",
        "acknowledgements", "last_acknowledged_at", "referral_outcome", "referral_closed_at", "refiles",
        "standard_deadline_at", "escalated_at", "escalated_by", "collective_id", "triaged", "closed_at", "outcome", "invalid_reason", "closes_at", "referral_channel", "allowed_actions",
    ]
    /// The case itself, for its parties.
    static let caseFields: Set<String> = [
        "consumer", "title", "description", "order", "demands", "ultimatum_days", "ultimatum_at", "fault_claim", "fault_finding", "answer",
        "settlement",
        "agreed_outcome", "referral_reference", "rating", "rating_comment", "readiness",
    ]
    /// What a problem answer may hold: nothing of the case it was about.
    static let problemFields: Set<String> = ["type", "title", "status", "detail", "code", "errors", "instance", "request_id"]

    static func allowedFields(_ principal: String) -> Set<String> {
        switch principal {
        case "auditor": return metadataFields
        // Mediators see what they need to contact both sides.
        case "mediator_assigned", "mediator_a2", "mediation_lead_a": return metadataFields.union(caseFields).union(["consumer_contact"])
        default: return metadataFields.union(caseFields)
        }
    }

    /// Principals who must never see the consumer's e-mail or phone (nor anything of another's case).
    static let withoutContact: Set<String> = ["platform_staff_a", "platform_admin_a", "merchant_staff_a", "auditor"]

    @Test func everyPrincipalSeesExactlyWhatItsRoleAllowsAtEveryStage() async throws {
        try await withTestApp(world: .seeded) { app in
            var world = try await app.makeWorld()
            try await Self.addPrincipals(app, &world)
            let cases = try await Self.caseInEveryStage(app, world)
            let consumerEmail = "consumer@redress.test", consumerPhone = "+86 138 0000 0000"
            var failures: [String] = []
            var cells = 0

            for principal in Self.principals {
                let token = world.token(principal)
                // Lists: exactly the cases the principal may see, none more, none fewer.
                let list = try await app.request(.get, "/api/v1/complaints?limit=100", token: token)
                switch principal {
                case "anonymous": if list.status.code != 401 { failures.append("list as anonymous: \(list.status.code)") }
                case "admin": if list.status.code != 403 { failures.append("list as admin: \(list.status.code)") }
                default:
                    let ids = Set(list.json["items"].array.compactMap { $0["id"].string })
                    let expectedIDs = Set(Stage.allCases.filter { Self.isParty(principal, $0) || principal == "auditor" }.map { cases[$0]! })
                    if list.status.code != 200 || ids != expectedIDs || ids.count != Self.listCounts[principal] {
                        failures.append("list as \(principal): \(list.status.code), \(ids.count) cases, expected \(Self.listCounts[principal]!)")
                    }
                }
                cells += 1

                for stage in Stage.allCases {
                    let id = cases[stage]!
                    for operation in Self.operations {
                        cells += 1
                        let expected = Self.expected(principal, stage, operation.kind)
                        let body: [String: Any]? = operation.kind == .write ? ["body": "\(principal) 的留言"] : nil
                        let response = try await app.request(operation.method, "/api/v1/complaints/\(id)\(operation.suffix)", token: token, json: body)
                        let cell = "\(operation.name) of the case \(stage.rawValue) as \(principal)"
                        if response.status.code != expected {
                            failures.append("\(cell): expected \(expected), got \(response.status.code) \(response.text.prefix(200))")
                            continue
                        }
                        if expected >= 400 {
                            // Refusals carry nothing of the case: no field of it, not even its id.
                            let keys = Set(response.json.keys)
                            if !keys.isSubset(of: Self.problemFields) || response.text.contains(id) || response.text.contains("充值卡密") {
                                failures.append("\(cell): the refusal shows something of the case: \(response.text)")
                            }
                            continue
                        }
                        if operation.kind == .caseRead {
                            let extra = Set(response.json.keys).subtracting(Self.allowedFields(principal))
                            if !extra.isEmpty { failures.append("\(cell): fields beyond the role's allow-list: \(extra.sorted())") }
                        }
                        if Self.withoutContact.contains(principal), response.text.contains(consumerEmail) || response.text.contains(consumerPhone) {
                            failures.append("\(cell): shows the consumer's contact details")
                        }
                    }
                }
            }
            #expect(failures.isEmpty, "\(failures.count) wrong cells:\n\(failures.joined(separator: "\n"))")
            #expect(cells == Self.principals.count * (1 + Stage.allCases.count * Self.operations.count))
        }
    }

    /// The principals the shared world lacks: a second consumer, staff of platform A's other merchant,
    /// and a second mediator of body A. `mediator_a` of the world is the one the case gets assigned to.
    static func addPrincipals(_ app: TestApp, _ world: inout World) async throws {
        let admin = world.token("admin")
        let staff: [(String, String, String)] = [("merchant_staff_a2", "merchant_staff", world.merchantA2), ("mediator_a2", "mediator", world.bodyA)]
        for (name, role, organization) in staff {
            let id = try await app.create(
                "/api/v1/staff", token: admin,
                ["email": "\(name)@redress.test", "password": worldPassword, "display_name": name, "role": role, "organization_id": organization])
            world.accounts[name] = World.Account(id: id, email: "\(name)@redress.test", token: try await app.login("\(name)@redress.test"))
        }
        let other = try await app.createConsumer(["email": "other@redress.test", "password": worldPassword, "display_name": "另一位消费者"])
        world.accounts["other_consumer"] = World.Account(id: other, email: "other@redress.test", token: try await app.login("other@redress.test"))
        world.accounts["mediator_assigned"] = world.accounts["mediator_a"]
    }

    /// Four complaints by the world's consumer against platform A naming merchant A1, one in each stage.
    static func caseInEveryStage(_ app: TestApp, _ world: World) async throws -> [Stage: String] {
        func act(_ id: String, _ action: String, _ principal: String, _ body: [String: Any]? = nil) async throws {
            try await app.step(id, action, as: world.token(principal), body)
        }
        var body = app.complaintBody(world)
        body["merchant_id"] = world.merchantA
        var cases: [Stage: String] = [:]
        for stage in Stage.allCases {
            let id = try await app.create("/api/v1/complaints", token: world.token("consumer"), body)
            // Every stage has a message and a piece of evidence from the consumer, so reads have contents.
            _ = try await app.create("/api/v1/complaints/\(id)/messages", token: world.token("consumer"), ["body": "请尽快处理"])
            let uploaded = try await app.request(
                .post, "/api/v1/complaints/\(id)/evidence?kind=anomaly_proof&filename=a.png", token: world.token("consumer"),
                headers: [.contentType: "image/png"], rawBody: ByteBuffer(bytes: AuthorizationMatrixTests.png))
            guard uploaded.status == .created else { throw WorldError.setupFailed("evidence: \(uploaded.text)") }
            cases[stage] = id
            guard stage != .beforeEscalation else { continue }
            try await act(id, "respond", "platform_staff_a", ["decision": "reject", "reason": "已发货"])
            try await act(id, "reject", "consumer", ["reason": "卡密无效"])
            try await act(id, "escalate", "consumer", ["mediation_body_id": world.bodyA])
            guard stage != .escalated else { continue }
            try await act(id, "triage", "mediator_a", ["decision": "accept"])
            try await act(id, "assign", "mediation_lead_a", ["mediator_id": world.accounts["mediator_a"]!.id])
            guard stage != .inMediation else { continue }
            try await act(id, "propose", "mediator_a", ["terms": ["refund": 50_000], "text": "平台全额退款"])
            try await act(id, "accept", "consumer")
            try await act(id, "accept", "platform_staff_a")
            try await act(id, "confirm_fulfilment", "consumer")
        }
        return cases
    }
}
