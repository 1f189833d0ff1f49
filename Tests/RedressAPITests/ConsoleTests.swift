import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostgresNIO
import RedressAPI
import StoreTestSupport
import Testing
import TestSupport

/// A browser's side of the console, through the real router: it keeps the cookies it is given, sends
/// them back, and reads each page's form token as a browser's form would carry it.
struct ConsoleBrowser {
    let app: TestApp
    var cookies: [String: String] = [:]
    var lastPage = ""

    init(_ app: TestApp) { self.app = app }

    mutating func get(_ path: String) async throws -> TestResponse {
        let response = try await app.request(.get, path, headers: cookieHeader())
        keepCookies(response)
        lastPage = response.text
        return response
    }

    /// Posts a form with the last page's token (unless `token` is given).
    mutating func post(_ path: String, _ fields: [(String, String)], token: String? = nil) async throws -> TestResponse {
        var fields = fields
        if let token = token ?? Self.formToken(in: lastPage) { fields.append(("csrf", token)) }
        let body = fields.map { Self.encode($0.0) + "=" + Self.encode($0.1) }.joined(separator: "&")
        var headers = cookieHeader()
        headers[.contentType] = "application/x-www-form-urlencoded"
        let response = try await app.request(.post, path, headers: headers, rawBody: ByteBuffer(string: body))
        keepCookies(response)
        if response.status != .seeOther { lastPage = response.text }
        return response
    }

    /// Posts a form with a file, as a browser sends `enctype="multipart/form-data"`.
    mutating func postFile(
        _ path: String, _ fields: [(String, String)], file: (name: String, filename: String, type: String, bytes: [UInt8]), token: String? = nil
    ) async throws -> TestResponse {
        let boundary = "----RedressTest\(UInt32.random(in: 0...UInt32.max))"
        var body = ByteBuffer()
        var fields = fields
        if let token = token ?? Self.formToken(in: lastPage) { fields.append(("csrf", token)) }
        for (name, value) in fields {
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
        }
        body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(file.name)\"; filename=\"\(file.filename)\"\r\n")
        body.writeString("Content-Type: \(file.type)\r\n\r\n")
        body.writeBytes(file.bytes)
        body.writeString("\r\n--\(boundary)--\r\n")
        var headers = cookieHeader()
        headers[.contentType] = "multipart/form-data; boundary=\(boundary)"
        let response = try await app.request(.post, path, headers: headers, rawBody: body)
        keepCookies(response)
        if response.status != .seeOther { lastPage = response.text }
        return response
    }

    /// Signs in through the form; returns the answer to the form.
    mutating func signIn(_ email: String, password: String = worldPassword) async throws -> TestResponse {
        _ = try await get("/console/sign-in")
        return try await post("/console/sign-in", [("email", email), ("password", password)])
    }

    func cookieHeader() -> HTTPFields {
        guard !cookies.isEmpty else { return [:] }
        return [.cookie: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")]
    }

    mutating func keepCookies(_ response: TestResponse) {
        for header in response.headers[values: .setCookie] {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { continue }
            if pair[1].isEmpty || header.contains("Max-Age=0") { cookies[String(pair[0])] = nil } else { cookies[String(pair[0])] = String(pair[1]) }
        }
    }

    static func formToken(in page: String) -> String? {
        guard let range = page.range(of: #"name="csrf" value="([0-9a-f]{64})""#, options: .regularExpression) else { return nil }
        return String(page[range].dropFirst(#"name="csrf" value=""#.count).prefix(64))
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// The case id a redirect to a case page names.
    static func caseID(_ response: TestResponse) -> String? {
        response.headers[.location].flatMap { $0.hasPrefix("/console/cases/") ? String($0.dropFirst("/console/cases/".count)) : nil }
    }
}

@Suite("The console")
struct ConsoleTests {
    func email(_ world: World, _ name: String) -> String { world.accounts[name]?.email ?? "\(name)@redress.test" }

    /// A second consumer, registered as anyone registers.
    func registerSecondConsumer(_ app: TestApp) async throws {
        let registered = try await app.register(["email": "consumer2@redress.test", "password": worldPassword, "display_name": "另一位消费者"])
        #expect(registered.status == .created, "\(registered.text)")
    }

    /// A consumer files with the readiness check's help; the platform answers in its queue; the
    /// consumer reads the answer — forms and pages only.
    @Test func aComplaintIsFiledAndAnsweredThroughTheForms() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            var consumer = ConsoleBrowser(app)
            let signedIn = try await consumer.signIn(email(world, "consumer"))
            #expect(signedIn.status == .seeOther, "\(signedIn.text.prefix(400))")
            let cookie = try #require(signedIn.headers[values: .setCookie].first { $0.hasPrefix("redress_session=") })
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/console"))
            let list = try await consumer.get("/console/cases")
            #expect(list.status == .ok)
            #expect(list.text.contains("我的投诉"))

            let form = try await consumer.get("/console/file")
            #expect(form.status == .ok)
            #expect(form.text.contains(world.platformA))
            let draft: [(String, String)] = [
                ("platform_id", world.platformA), ("category", "non_delivery"), ("order_no", "KM20261202"), ("product_name", "游戏点卡 100元"),
                ("amount_paid", "100"), ("title", "点卡付款后卡密未发放"), ("description", "12月1日付款100元购买点卡，卡密一直未发放，客服不回复。"),
                ("demand_kind", "other"), ("demand_text", "给个说法"),
            ]
            let checked = try await consumer.post("/console/file", draft + [("intent", "check")])
            #expect(checked.status == .ok, "\(checked.text.prefix(500))")
            #expect(checked.text.contains("证据链缺少"), "the check names the missing evidence")
            #expect(checked.text.contains("KM20261202"), "the draft is kept")

            let refused = try await consumer.post("/console/file", draft.filter { $0.0 != "amount_paid" } + [("amount_paid", "12.345"), ("intent", "file")])
            #expect(refused.status == .unprocessableContent)
            #expect(refused.text.contains("金额格式不正确"))

            let filed = try await consumer.post(
                "/console/file", draft.filter { !$0.0.hasPrefix("demand") } + [("demand_kind", "refund"), ("demand_amount", "100.00"), ("intent", "file")])
            #expect(filed.status == .seeOther, "\(filed.text.prefix(500))")
            let id = try #require(ConsoleBrowser.caseID(filed))
            let page = try await consumer.get("/console/cases/\(id)")
            #expect(page.status == .ok)
            #expect(page.text.contains("点卡付款后卡密未发放") && page.text.contains("¥100.00"))
            // The API sees the same case, filed as a consumer files it.
            let api = try await app.request(.get, "/api/v1/complaints/\(id)", token: world.token("consumer"))
            #expect(api.json["order"]["amount_paid"].int == 10_000)
            #expect(api.json["demands"].array.first?["amount"].int == 10_000)

            var platform = ConsoleBrowser(app)
            #expect(try await platform.signIn(email(world, "platform_staff_a")).status == .seeOther)
            let queue = try await platform.get("/console/cases")
            #expect(queue.text.contains("/console/cases/\(id)"))
            _ = try await platform.get("/console/cases/\(id)")
            #expect(platform.lastPage.contains("/console/cases/\(id)/actions/respond"))
            let holding = try await platform.post(
                "/console/cases/\(id)/actions/respond", [("decision", "reject"), ("reason", "正在核实，请耐心等待"), ("version", "1")])
            #expect(holding.status == .unprocessableContent, "a holding reply is no rejection: \(holding.text.prefix(300))")
            let answered = try await platform.post(
                "/console/cases/\(id)/actions/respond", [("decision", "propose"), ("proposal.refund", "100"), ("proposal.text", "全额退款")])
            #expect(answered.status == .seeOther, "\(answered.text.prefix(500))")
            let message = try await platform.post("/console/cases/\(id)/messages", [("body", "退款将在24小时内到账")])
            #expect(message.status == .seeOther)

            let seen = try await consumer.get("/console/cases/\(id)")
            #expect(seen.text.contains("已提出方案"))
            #expect(seen.text.contains("退款将在24小时内到账"))
            #expect(seen.text.contains("/console/cases/\(id)/actions/accept"))
            #expect(try await consumer.post("/console/cases/\(id)/actions/accept", []).status == .seeOther)
            let after = try await app.request(.get, "/api/v1/complaints/\(id)", token: world.token("consumer"))
            #expect(after.json["state"].string == "resolution_agreed")
        }
    }

    /// Forms need the page's token; the cookie is the console's only; every page says what a browser
    /// may do with it; what a person wrote is shown as text.
    @Test func formsCookiesAndHeadersHold() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            try await registerSecondConsumer(app)
            var browser = ConsoleBrowser(app)
            _ = try await browser.get("/console/sign-in")
            let noToken = try await browser.post("/console/sign-in", [("email", email(world, "consumer")), ("password", worldPassword)], token: "")
            #expect(noToken.status == .forbidden)
            let forged = try await browser.post(
                "/console/sign-in", [("email", email(world, "consumer")), ("password", worldPassword)], token: String(repeating: "a", count: 64))
            #expect(forged.status == .forbidden)
            let wrong = try await browser.signIn(email(world, "consumer"), password: "wrong-password-1")
            #expect(wrong.status == .unauthorized)
            #expect(wrong.text.contains("邮箱或密码不正确"))
            #expect(try await browser.signIn(email(world, "consumer")).status == .seeOther)

            let page = try await browser.get("/console/cases")
            let policy = try #require(page.headers[.init("Content-Security-Policy")!])
            #expect(policy.contains("default-src 'none'") && policy.contains("frame-ancestors 'none'") && !policy.contains("script-src"))
            #expect(page.headers[.init("X-Frame-Options")!] == "DENY")
            #expect(page.headers[.cacheControl] == "no-store")
            #expect(!page.text.contains("<script"))

            // The session cookie opens nothing of the API; the API's bearer token nothing of the console's forms.
            let api = try await app.request(.get, "/api/v1/me", headers: browser.cookieHeader())
            #expect(api.status == .unauthorized)

            // Another consumer's session cannot post this one's forms.
            var other = ConsoleBrowser(app)
            #expect(try await other.signIn(email(world, "consumer2")).status == .seeOther)
            _ = try await other.get("/console/cases")
            let stolen = try await browser.post("/console/sign-out", [], token: ConsoleBrowser.formToken(in: other.lastPage))
            #expect(stolen.status == .forbidden)

            // What a person wrote is text, never markup.
            var body = app.complaintBody(world)
            body["title"] = "<script>alert(1)</script>卡密"
            let id = try await app.create("/api/v1/complaints", token: world.token("consumer"), body)
            let shown = try await browser.get("/console/cases/\(id)")
            #expect(shown.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;卡密"))
            #expect(!shown.text.contains("<script>alert"))

            // Signing out ends the session: the cookie opens nothing afterwards.
            let cookie = browser.cookies["redress_session"]
            #expect(try await browser.post("/console/sign-out", []).status == .seeOther)
            let again = try await app.request(.get, "/console/cases", headers: [.cookie: "redress_session=\(cookie ?? "")"])
            #expect(again.status == .seeOther && again.headers[.location] == "/console/sign-in")

            // English on request, remembered.
            let english = try await browser.get("/console/sign-in?lang=en")
            #expect(english.text.contains("Sign in") && english.text.contains("lang=\"en\""))
            #expect(try await browser.get("/console/sign-in").text.contains("lang=\"en\""))
        }
    }

    /// Every page refuses the roles that may not see it, as the API does.
    @Test func everyPageRefusesWhoMayNotSeeIt() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            try await registerSecondConsumer(app)
            let id = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            let pages = ["/console/cases", "/console/triage", "/console/file", "/console/cases/\(id)"]
            // 200 shown, 303 sent to sign in, 403 refused, 404 not there for this caller.
            let expected: [String: [Int]] = [
                "anonymous": [303, 303, 303, 303],
                "consumer": [200, 403, 200, 200],
                "consumer2": [200, 403, 200, 404],
                "platform_staff_a": [200, 403, 403, 200],
                "platform_staff_b": [200, 403, 403, 404],
                "mediator_a": [200, 200, 403, 404],
                "auditor": [200, 403, 403, 200],
            ]
            for (name, statuses) in expected.sorted(by: { $0.key < $1.key }) {
                var browser = ConsoleBrowser(app)
                if name != "anonymous" { #expect(try await browser.signIn(email(world, name)).status == .seeOther, "\(name)") }
                for (page, status) in zip(pages, statuses) {
                    let response = try await browser.get(page)
                    #expect(Int(response.status.code) == status, "\(name) \(page): \(response.status) \(response.text.prefix(200))")
                    if status != 303 { #expect(response.headers[.contentType]?.hasPrefix("text/html") == true, "\(name) \(page)") }
                    // An auditor reads cases' metadata, never their texts: not even a title in a list.
                    if name == "auditor" { #expect(!response.text.contains("充值卡密未到账"), "\(page)") }
                }
                // Nobody acts on a case he may not act on, whatever he posts.
                if name != "anonymous" && name != "consumer" {
                    _ = try await browser.get("/console/cases")
                    let acted = try await browser.post("/console/cases/\(id)/actions/withdraw", [])
                    #expect(acted.status != .seeOther, "\(name) withdraw: \(acted.status)")
                }
            }
            var owner = ConsoleBrowser(app)
            _ = try await owner.signIn(email(world, "consumer"))
            _ = try await owner.get("/console/cases/\(id)")
            #expect(try await owner.post("/console/cases/\(id)/actions/withdraw", []).status == .seeOther)
        }
    }

    /// A role that must sign in with a second factor sets it up in the console before anything else.
    @Test func aLeadSetsUpTheSecondFactorBeforeAnythingElse() async throws {
        var configuration = testConfiguration()
        configuration.secondFactorRoles = [.mediationLead]
        configuration.sessionCacheSeconds = 0
        try await withTestApp(configuration: configuration, world: .seeded) { app in
            let world = try await app.makeWorld()
            var lead = ConsoleBrowser(app)
            let signedIn = try await lead.signIn(email(world, "mediation_lead_a"))
            #expect(signedIn.status == .seeOther && signedIn.headers[.location] == "/console/second-factor")
            let refused = try await lead.get("/console/triage")
            #expect(refused.status == .seeOther && refused.headers[.location] == "/console/second-factor")
            #expect(try await lead.get("/console/second-factor").status == .ok)
            let wrong = try await lead.post("/console/second-factor", [("password", "not-the-password-1")])
            #expect(wrong.status == .unprocessableContent)
            let started = try await lead.post("/console/second-factor", [("password", worldPassword)])
            #expect(started.status == .ok)
            #expect(started.text.contains("data:image/svg+xml;base64,"))
            let key = try #require(started.text.range(of: #"<code>[A-Z2-7 ]{16,}</code>"#, options: .regularExpression).map {
                String(started.text[$0].dropFirst(6).dropLast(7))
            })
            let bad = try await lead.post("/console/second-factor/confirm", [("code", "000000")])
            #expect(bad.status == .unprocessableContent)
            #expect(bad.text.contains("/console/second-factor/confirm") && !bad.text.contains("name=\"password\""), "the code may be typed again")
            let confirmed = try await lead.post("/console/second-factor/confirm", [("code", Authenticator.code(base32: key, at: Date()))])
            #expect(confirmed.status == .ok, "\(confirmed.text.prefix(300))")
            #expect(confirmed.text.components(separatedBy: "<li><code>").count == 11, "ten recovery codes")
            // The owner hears of it by mail: a stolen password alone could have enrolled someone else's authenticator.
            let leadEmail = email(world, "mediation_lead_a")
            let told = try await app.asOwner {
                try await $0.scalar("SELECT count(*)::int FROM mail_outbox WHERE to_address = \(leadEmail) AND subject LIKE '%两步验证%'", as: Int.self)
            }
            #expect(told == 1)
            #expect(try await lead.get("/console/triage").status == .ok)
        }
    }

    /// A consumer adds evidence from the case page; the readiness findings follow; what is not
    /// evidence, or comes without the page's token, is refused.
    @Test func evidenceIsUploadedFromTheCasePage() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let id = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            var consumer = ConsoleBrowser(app)
            _ = try await consumer.signIn(email(world, "consumer"))
            let before = try await consumer.get("/console/cases/\(id)")
            #expect(before.text.contains("缺少：订单记录、付款凭证。"), "the findings name the missing proof of payment")
            #expect(before.text.contains("enctype=\"multipart/form-data\""))
            let png = (name: "file", filename: "付款截图.png", type: "image/png", bytes: EvidenceSamples.png)
            let forged = try await consumer.postFile(
                "/console/cases/\(id)/evidence", [("kind", "payment_proof")], file: png, token: String(repeating: "0", count: 64))
            #expect(forged.status == .forbidden)
            _ = try await consumer.get("/console/cases/\(id)")
            let wrongType = try await consumer.postFile(
                "/console/cases/\(id)/evidence", [("kind", "payment_proof")],
                file: (name: "file", filename: "run.exe", type: "application/octet-stream", bytes: Array("MZ\u{90}\u{0}".utf8)))
            #expect(wrongType.status == .unsupportedMediaType, "\(wrongType.status)")
            // A form field past 1 KiB is no value (it is never copied out of the body): the kind is missing.
            _ = try await consumer.get("/console/cases/\(id)")
            let padded = try await consumer.postFile(
                "/console/cases/\(id)/evidence", [("kind", "payment_proof" + String(repeating: " ", count: 2048))], file: png)
            #expect(padded.status.code == 422, "\(padded.status)")
            _ = try await consumer.get("/console/cases/\(id)")
            let stored = try await consumer.postFile("/console/cases/\(id)/evidence", [("kind", "payment_proof")], file: png)
            #expect(stored.status == .seeOther, "\(stored.text.prefix(400))")
            let after = try await consumer.get("/console/cases/\(id)")
            #expect(after.text.contains("付款截图.png"))
            #expect(after.text.contains("缺少：订单记录。"), "the payment proof is no longer missing")
            let files = try await app.request(.get, "/api/v1/complaints/\(id)/evidence", token: world.token("consumer"))
            #expect(files.json["items"].array.first?["kind"].string == "payment_proof")
            // A name with a semicolon inside its quotes is one name; a header past 1 KiB is refused.
            let semicolon = (name: "file", filename: "收据; 三月.png", type: "image/png", bytes: EvidenceSamples.png)
            #expect(try await consumer.postFile("/console/cases/\(id)/evidence", [("kind", "order_record")], file: semicolon).status == .seeOther)
            _ = try await consumer.get("/console/cases/\(id)")
            let long = (name: "file", filename: String(repeating: "长", count: 400) + ".png", type: "image/png", bytes: EvidenceSamples.png)
            #expect(try await consumer.postFile("/console/cases/\(id)/evidence", [("kind", "other")], file: long).status == .contentTooLarge)
            // A form sent from another site's page is refused before it is read.
            _ = try await consumer.get("/console/cases/\(id)")
            var headers = consumer.cookieHeader()
            headers[.contentType] = "application/x-www-form-urlencoded"
            headers[.init("Sec-Fetch-Site")!] = "cross-site"
            let token = ConsoleBrowser.formToken(in: consumer.lastPage) ?? ""
            let crossSite = try await app.request(
                .post, "/console/cases/\(id)/messages", headers: headers, rawBody: ByteBuffer(string: "body=hi&csrf=\(token)"))
            #expect(crossSite.status == .forbidden)
            // Another platform's staff cannot add to the case.
            var stranger = ConsoleBrowser(app)
            _ = try await stranger.signIn(email(world, "platform_staff_b"))
            _ = try await stranger.get("/console/cases")
            #expect(try await stranger.postFile("/console/cases/\(id)/evidence", [("kind", "other")], file: png).status == .notFound)
        }
    }

    @Test func theTemplatesAllParse() throws {
        #expect(try ConsoleTemplates.load() >= 7)
    }
}
