import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import RedressAPI
import StoreTestSupport
import Testing
import TestSupport

/// The console's pages of records and figures hold the API's rules: who may see a dossier, an audit
/// check, clusters, a merchant's record, statistics, webhooks, the directory, staff and the calendar.
@Suite("The console: records and figures")
struct ConsoleRecordTests {
    @Test func everyRecordPageRefusesWhoMayNotSeeIt() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            var body = app.complaintBody(world)
            body["merchant_id"] = world.merchantA
            let id = try await app.create("/api/v1/complaints", token: world.token("consumer"), body)
            let created = try await app.request(
                .post, "/api/v1/webhooks", token: world.token("platform_admin_a"), json: ["url": "https://93.184.215.14/console", "event_types": ["*"]])
            let hook = try #require(created.json["endpoint"]["id"].string, "\(created.text)")
            let pages = [
                "/console/account", "/console/cases/\(id)/dossier", "/console/cases/\(id)/audit", "/console/clusters",
                "/console/merchants/\(world.merchantA)/record", "/console/statistics/\(world.platformA)", "/console/webhooks",
                "/console/webhooks/\(hook)", "/console/organisations", "/console/staff", "/console/calendar",
            ]
            // 200 shown, 303 sent to sign in (or to one's own figures), 403 refused, 404 not there for this caller.
            let expected: [String: [Int]] = [
                "anonymous": [303, 303, 303, 303, 303, 303, 303, 303, 303, 303, 303],
                "consumer": [200, 200, 200, 403, 403, 403, 403, 403, 403, 403, 200],
                "platform_staff_a": [200, 200, 200, 200, 200, 200, 403, 403, 403, 403, 200],
                "platform_admin_a": [200, 200, 200, 200, 200, 200, 200, 200, 403, 200, 200],
                "platform_staff_b": [200, 404, 404, 200, 404, 403, 403, 403, 403, 403, 200],
                "platform_admin_b": [200, 404, 404, 200, 404, 403, 200, 404, 403, 200, 200],
                "merchant_staff_a": [200, 200, 200, 200, 200, 403, 403, 403, 403, 403, 200],
                "mediator_a": [200, 404, 404, 200, 200, 200, 403, 403, 403, 403, 200],
                "auditor": [200, 403, 200, 200, 200, 200, 403, 403, 200, 403, 200],
                "admin": [200, 404, 404, 403, 403, 403, 403, 403, 200, 200, 200],
            ]
            for (name, statuses) in expected.sorted(by: { $0.key < $1.key }) {
                var browser = ConsoleBrowser(app)
                if name != "anonymous" {
                    let signedIn = try await browser.signIn(world.accounts[name]?.email ?? "")
                    #expect(signedIn.status == .seeOther, "\(name)")
                }
                for (page, status) in zip(pages, statuses) {
                    let response = try await browser.get(page)
                    #expect(Int(response.status.code) == status, "\(name) \(page): \(response.status) \(response.text.prefix(300))")
                    if status == 200 { #expect(response.headers[.contentType]?.hasPrefix("text/html") == true, "\(name) \(page)") }
                    if name == "auditor" || name == "admin" { #expect(!response.text.contains("充值卡密未到账"), "\(name) \(page)") }
                }
            }
        }
    }

    @Test func theRecordPagesShowWhatTheAPIShows() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            var body = app.complaintBody(world)
            body["merchant_id"] = world.merchantA
            let id = try await app.create("/api/v1/complaints", token: world.token("consumer"), body)

            var platform = ConsoleBrowser(app)
            _ = try await platform.signIn(world.accounts["platform_staff_a"]!.email)
            let own = try await platform.get("/console/statistics")
            #expect(own.status == .seeOther && own.headers[.location] == "/console/statistics/\(world.platformA)")
            let figures = try await platform.get("/console/statistics/\(world.platformA)")
            #expect(figures.status == .ok)
            let api = try await app.request(.get, "/api/v1/stats/platforms/\(world.platformA)", token: world.token("platform_staff_a"))
            let complaints = try #require(api.json["totals"]["complaints"].int)
            #expect(complaints == 1)
            #expect(figures.text.contains("<td>合计</td><td>\(complaints)</td>"), "\(figures.text)")
            let badPeriod = try await platform.get("/console/statistics/\(world.platformA)?from=2026-13")
            #expect(badPeriod.status == .unprocessableContent)

            let page = try await platform.get("/console/cases/\(id)")
            #expect(page.text.contains("/console/cases/\(id)/dossier") && page.text.contains("/console/merchants/\(world.merchantA)/record"))
            let dossier = try await platform.get("/console/cases/\(id)/dossier")
            #expect(dossier.text.contains("KM20260924001") && !dossier.text.contains("<style"))
            #expect(dossier.headers[.init("Content-Security-Policy")!]?.contains("default-src 'none'") == true)
            let audit = try await platform.get("/console/cases/\(id)/audit")
            #expect(audit.text.contains("<td>审计链完整</td><td>是</td>"), "\(audit.text)")

            var mediator = ConsoleBrowser(app)
            _ = try await mediator.signIn(world.accounts["mediator_a"]!.email)
            let record = try await mediator.get("/console/merchants/\(world.merchantA)/record?lang=en")
            #expect(record.status == .ok && record.text.contains("商户A1") && record.text.contains("By platform"))
            let list = try await mediator.get("/console/statistics")
            #expect(list.text.contains("/console/statistics/\(world.platformA)") && list.text.contains("/console/statistics/\(world.platformB)"))
        }
    }

    /// A consumer adds to his complaint: a statement and a file already on the case, ticked.
    @Test func aConsumerAddsASupplement() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let id = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            var consumer = ConsoleBrowser(app)
            _ = try await consumer.signIn(world.accounts["consumer"]!.email)
            _ = try await consumer.get("/console/cases/\(id)")
            let uploaded = try await consumer.postFile(
                "/console/cases/\(id)/evidence", [("kind", "payment_proof")], file: ("file", "付款.png", "image/png", EvidenceSamples.png))
            #expect(uploaded.status == .seeOther)
            let page = try await consumer.get("/console/cases/\(id)")
            let evidence = try #require(page.text.range(of: #"name="evidence\.[0-9a-f-]{36}""#, options: .regularExpression).map {
                String(page.text[$0].dropFirst("name=\"".count).dropLast())
            })
            let empty = try await consumer.post("/console/cases/\(id)/supplements", [("statement", "  ")])
            #expect(empty.status == .unprocessableContent)
            _ = try await consumer.get("/console/cases/\(id)")
            let foreign = try await consumer.post("/console/cases/\(id)/supplements", [("statement", "补充"), ("evidence.\(UUID())", "true")])
            #expect(foreign.status == .unprocessableContent, "a file of no case, or another's, is refused")
            _ = try await consumer.get("/console/cases/\(id)")
            let added = try await consumer.post("/console/cases/\(id)/supplements", [("statement", "补充：客服聊天记录显示已承认未发货"), (evidence, "true")])
            #expect(added.status == .seeOther, "\(added.text.prefix(300))")
            let listed = try await app.request(.get, "/api/v1/complaints/\(id)/supplements", token: world.token("consumer"))
            #expect(listed.json["items"].array.first?["evidence_ids"].array.count == 1, "\(listed.text)")

            var platform = ConsoleBrowser(app)
            _ = try await platform.signIn(world.accounts["platform_staff_a"]!.email)
            let seen = try await platform.get("/console/cases/\(id)")
            #expect(seen.text.contains("客服聊天记录显示已承认未发货") && !seen.text.contains("/supplements\""), "the platform reads it and cannot add one")
            #expect(try await platform.post("/console/cases/\(id)/supplements", [("statement", "平台冒充补充")]).status == .forbidden)
        }
    }

    /// A flag the platform's answer raised is shown to the parties with its legal basis; the assigned
    /// mediator confirms it from the case page, once; nobody else is offered the form or may post it.
    @Test func aMediatorDecidesAFlagFromTheCasePage() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let id = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            try await app.step(id, "respond", as: world.token("platform_staff_a"), ["decision": "reject", "reason": "根据平台规则，虚拟商品一经售出概不退换。"])
            var consumer = ConsoleBrowser(app)
            _ = try await consumer.signIn(world.accounts["consumer"]!.email)
            let shown = try await consumer.get("/console/cases/\(id)")
            #expect(shown.text.contains("疑似不公平格式条款") && shown.text.contains("待调解员认定"), "\(shown.text)")
            #expect(!shown.text.contains("/decision\""), "only a mediator decides")
            try await app.step(id, "reject", as: world.token("consumer"))
            try await app.step(id, "escalate", as: world.token("consumer"), ["mediation_body_id": world.bodyA])
            try await app.step(id, "triage", as: world.token("mediation_lead_a"), ["decision": "accept"])
            try await app.step(id, "assign", as: world.token("mediation_lead_a"), ["mediator_id": world.accounts["mediator_a"]!.id])
            let flagID = try #require(try await app.request(.get, "/api/v1/complaints/\(id)/flags", token: world.token("mediator_a")).json["items"].array
                .first { $0["source"].string == "answer" }?["id"].string)

            _ = try await consumer.get("/console/cases/\(id)")
            #expect(try await consumer.post("/console/cases/\(id)/flags/\(flagID)/decision", [("decision", "dismiss")]).status == .forbidden)
            var mediator = ConsoleBrowser(app)
            _ = try await mediator.signIn(world.accounts["mediator_a"]!.email)
            let page = try await mediator.get("/console/cases/\(id)")
            #expect(page.text.contains("/console/cases/\(id)/flags/\(flagID)/decision"))
            let unknown = try await mediator.post("/console/cases/\(id)/flags/\(flagID)/decision", [("decision", "maybe")])
            #expect(unknown.status == .unprocessableContent)
            _ = try await mediator.get("/console/cases/\(id)")
            let confirmed = try await mediator.post("/console/cases/\(id)/flags/\(flagID)/decision", [("decision", "confirm"), ("note", "条款排除消费者法定权利")])
            #expect(confirmed.status == .seeOther)
            let after = try await mediator.get("/console/cases/\(id)")
            #expect(after.text.contains("已认定") && !after.text.contains("/flags/\(flagID)/decision"))
            let again = try await mediator.post("/console/cases/\(id)/flags/\(flagID)/decision", [("decision", "dismiss")])
            #expect(again.status == .conflict, "decided once")
        }
    }

    /// A platform's administrator creates a merchant's staff account and disables one of his staff
    /// (whose session ends at once) from the staff page; another platform's people are not his.
    @Test func aPlatformAdministratorManagesHisStaff() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            var staffA = ConsoleBrowser(app)
            #expect(try await staffA.signIn(world.accounts["platform_staff_a"]!.email).status == .seeOther)
            var admin = ConsoleBrowser(app)
            _ = try await admin.signIn(world.accounts["platform_admin_a"]!.email)
            let page = try await admin.get("/console/staff")
            #expect(page.status == .ok && page.text.contains("platform_staff_a@redress.test") && !page.text.contains("platform_staff_b@redress.test"))
            #expect(page.text.contains("value=\"merchant_staff\"") && !page.text.contains("value=\"mediator\""), "only the roles he may grant")
            let weak = try await admin.post(
                "/console/staff", [("email", "m-new@redress.test"), ("display_name", "新客服"), ("password", "short"), ("role", "merchant_staff"),
                                   ("organization_id", world.merchantA)])
            #expect(weak.status == .unprocessableContent)
            let created = try await admin.post(
                "/console/staff", [("email", "m-new@redress.test"), ("display_name", "新客服"), ("password", "a-first-password-8"),
                                   ("role", "merchant_staff"), ("organization_id", world.merchantA)])
            #expect(created.status == .seeOther, "\(created.text.prefix(400))")
            _ = try await admin.get("/console/staff")
            let foreign = try await admin.post(
                "/console/staff", [("email", "m-b@redress.test"), ("display_name", "外人"), ("password", "a-first-password-8"),
                                   ("role", "merchant_staff"), ("organization_id", world.merchantB)])
            #expect(foreign.status == .forbidden, "another platform's merchant is not his")

            let staffID = world.accounts["platform_staff_a"]!.id.lowercased()
            _ = try await admin.get("/console/staff")
            #expect(try await admin.post("/console/staff/\(staffID)", [("disabled", "maybe")]).status == .unprocessableContent)
            _ = try await admin.get("/console/staff")
            #expect(try await admin.post("/console/staff/\(staffID)", [("disabled", "true")]).status == .seeOther)
            #expect(try await staffA.get("/console/cases").status == .seeOther, "the disabled account's session is over")
            let disabled = try await admin.get("/console/staff")
            #expect(disabled.text.contains("停用"))
            #expect(try await admin.post("/console/staff/\(world.accounts["platform_staff_b"]!.id.lowercased())", [("disabled", "true")]).status == .notFound)
            _ = try await admin.get("/console/staff")
            #expect(try await admin.post("/console/staff/\(staffID)", [("disabled", "false")]).status == .seeOther)
            #expect(try await staffA.signIn(world.accounts["platform_staff_a"]!.email).status == .seeOther)

            var mediator = ConsoleBrowser(app)
            _ = try await mediator.signIn(world.accounts["mediator_a"]!.email)
            _ = try await mediator.get("/console/cases")
            #expect(try await mediator.post("/console/staff/\(staffID)", [("disabled", "true")]).status == .forbidden)
        }
    }

    /// A platform's administrator adds an endpoint (its secret shown once), refused for an address
    /// deliveries may not go to, and disables it; a lead of a body sees only his own organisation's.
    @Test func aPlatformAdministratorManagesItsWebhooks() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            var admin = ConsoleBrowser(app)
            _ = try await admin.signIn(world.accounts["platform_admin_a"]!.email)
            _ = try await admin.get("/console/webhooks")
            let local = try await admin.post("/console/webhooks", [("url", "https://127.0.0.1/hook"), ("event.*", "true")])
            #expect(local.status == .unprocessableContent && local.text.contains("该地址不能接收投递"), "\(local.text.prefix(600))")
            let created = try await admin.post("/console/webhooks", [("url", "https://93.184.215.14/console-hook"), ("event.complaint.submit", "true")])
            #expect(created.status == .created, "\(created.text.prefix(400))")
            #expect(created.text.contains("<code>whsec_") && created.text.contains("签名密钥"), "the secret is shown once")
            let api = try await app.request(.get, "/api/v1/webhooks", token: world.token("platform_admin_a"))
            let endpoint = try #require(api.json["items"].array.first { $0["url"].string == "https://93.184.215.14/console-hook" })
            #expect(endpoint["event_types"].array.map(\.string) == ["complaint.submit"])
            let id = try #require(endpoint["id"].string)
            _ = try await admin.get("/console/webhooks")
            #expect(try await admin.post("/console/webhooks/\(id)", [("disabled", "true")]).status == .seeOther)
            let after = try await app.request(.get, "/api/v1/webhooks/\(id)", token: world.token("platform_admin_a"))
            #expect(after.json["disabled"].bool == true)

            var otherAdmin = ConsoleBrowser(app)
            _ = try await otherAdmin.signIn(world.accounts["platform_admin_b"]!.email)
            let theirs = try await otherAdmin.get("/console/webhooks")
            #expect(!theirs.text.contains("console-hook"))
            #expect(try await otherAdmin.post("/console/webhooks/\(id)", [("disabled", "false")]).status == .notFound)
        }
    }
}
