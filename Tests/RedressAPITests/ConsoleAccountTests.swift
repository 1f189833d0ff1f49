import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostgresNIO
import RedressAPI
import StoreTestSupport
import Testing
import TestSupport

/// A person's own account in the console: registering by the mailed link, a forgotten password,
/// sessions, the export and erasure — through the API's own use cases.
@Suite("The console: accounts")
struct ConsoleAccountTests {
    /// The link of the newest mail of `category` to `email` (the mail is written as the request ends
    /// or, for a reset, just after).
    func mailedLink(_ app: TestApp, to email: String, category: String, path: String) async throws -> String? {
        for _ in 0..<50 {
            let body = try await app.asOwner {
                try await $0.scalar(
                    "SELECT body FROM mail_outbox WHERE to_address = \(email) AND category = \(category) ORDER BY created_at DESC LIMIT 1",
                    as: String.self)
            }
            if let link = body?.components(separatedBy: .whitespacesAndNewlines).first(where: { $0.contains(path) }) { return link }
            try await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    @Test func aConsumerRegistersByTheMailedLinkAndManagesHisAccount() async throws {
        try await withTestApp(world: .seeded) { app in
            var browser = ConsoleBrowser(app)
            let form = try await browser.get("/console/register")
            #expect(form.status == .ok && form.text.contains("name=\"password\""))
            let weak = try await browser.post("/console/register", [("email", "new@redress.test"), ("password", "aaaaaaaaaaab"), ("display_name", "新用户")])
            #expect(weak.status == .unprocessableContent)
            #expect(weak.text.contains("常见密码") || weak.text.contains("过于简单"), "\(weak.text.prefix(600))")
            #expect(weak.text.contains("value=\"新用户\""), "what was typed is kept (the password is not)")
            let sent = try await browser.post("/console/register", [("email", "new@redress.test"), ("password", "a-long-new-password-7"), ("display_name", "新用户")])
            #expect(sent.status == .ok && sent.text.contains("请查收邮件"))

            let link = try #require(try await mailedLink(app, to: "new@redress.test", category: "registration", path: "/console/verify-email?token="))
            let path = String(link[try #require(link.range(of: "/console/verify-email?token=")).lowerBound...])
            // Opening the link creates nothing (a mail scanner follows links): the button does.
            let landing = try await browser.get(path)
            #expect(landing.status == .ok && landing.text.contains("name=\"token\""))
            #expect(try await app.request(.post, "/api/v1/auth/login", json: ["email": "new@redress.test", "password": "a-long-new-password-7"]).status == .unauthorized)
            let token = String(path.dropFirst("/console/verify-email?token=".count))
            let forged = try await browser.post("/console/verify-email", [("token", String(token.reversed())), ("password", "a-long-new-password-7")])
            #expect(forged.status == .unprocessableContent && forged.text.contains("无效或已过期"))
            // Someone who registered another's address cannot have its owner create the account for him:
            // the button needs the password chosen when registering.
            _ = try await browser.get(path)
            let owner = try await browser.post("/console/verify-email", [("token", token), ("password", "the-owners-own-pw-5")])
            #expect(owner.status == .unprocessableContent && owner.text.contains("name=\"token\""), "a wrong password leaves the link working")
            let created = try await browser.post("/console/verify-email", [("token", token), ("password", "a-long-new-password-7")])
            #expect(created.status == .ok && created.text.contains("账号已创建"), "\(created.text.prefix(400))")
            _ = try await browser.get(path)
            #expect(try await browser.post("/console/verify-email", [("token", token), ("password", "a-long-new-password-7")]).status == .unprocessableContent, "a link works once")
            // The link of an older mail moves to the console, its token with it.
            let old = try await browser.get("/verify-email?token=\(token)")
            #expect(old.status == .seeOther && old.headers[.location] == "/console/verify-email?token=\(token)")
            #expect(try await browser.get("/verify-email?token=%3Cscript%3E").headers[.location] == "/console/verify-email")

            // Signed in twice (a phone and a laptop): the account page lists both and ends the other.
            var phone = ConsoleBrowser(app)
            #expect(try await phone.signIn("new@redress.test", password: "a-long-new-password-7").status == .seeOther)
            #expect(try await browser.signIn("new@redress.test", password: "a-long-new-password-7").status == .seeOther)
            let account = try await browser.get("/console/account")
            #expect(account.status == .ok)
            #expect(account.text.components(separatedBy: "<li>").count - 1 >= 2, "\(account.text)")
            #expect(account.text.contains("当前设备"))
            #expect(try await browser.post("/console/account/sessions/end-others", []).status == .seeOther)
            #expect(try await phone.get("/console/cases").status == .seeOther, "the other session is over")
            #expect(try await browser.get("/console/cases").status == .ok)

            // The export is the API's, as a file.
            let export = try await browser.get("/console/account/export")
            #expect(export.status == .ok)
            #expect(export.headers[.contentDisposition]?.hasPrefix("attachment") == true)
            #expect(export.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(export.json["account"]["email"].string == "new@redress.test")

            // Erasure needs the password; then the account and the session are gone.
            _ = try await browser.get("/console/account")
            let wrong = try await browser.post("/console/account/erase", [("password", "not-my-password-9")])
            #expect(wrong.status == .unprocessableContent && wrong.text.contains("不正确"))
            let erased = try await browser.post("/console/account/erase", [("password", "a-long-new-password-7")])
            #expect(erased.status == .seeOther && erased.headers[.location] == "/console/sign-in")
            #expect(try await browser.signIn("new@redress.test", password: "a-long-new-password-7").status == .unauthorized)
        }
    }

    @Test func aForgottenPasswordIsResetByTheMailedLink() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let email = try #require(world.accounts["consumer"]?.email)
            var browser = ConsoleBrowser(app)
            #expect(try await browser.get("/console/reset-password").text.contains("name=\"email\""))
            let unknown = try await browser.post("/console/reset-password", [("email", "nobody@redress.test")])
            _ = try await browser.get("/console/reset-password")
            let known = try await browser.post("/console/reset-password", [("email", email)])
            #expect(unknown.status == .ok && known.status == .ok)
            #expect(unknown.text == known.text, "the answer tells nobody which addresses have accounts")
            let link = try #require(try await mailedLink(app, to: email, category: "account", path: "/console/reset-password?token="))
            let path = String(link[try #require(link.range(of: "/console/reset-password?token=")).lowerBound...])
            let page = try await browser.get(path)
            #expect(page.status == .ok && page.text.contains("name=\"new_password\""))
            let token = String(path.dropFirst("/console/reset-password?token=".count))
            let short = try await browser.post("/console/reset-password", [("token", token), ("new_password", "short")])
            #expect(short.status == .unprocessableContent && short.text.contains("name=\"new_password\""), "the link still works after a refused password")
            // A link opened from webmail arrives without the browser's cookies (SameSite=Strict): the page
            // binds its form to a new form cookie, and the form comes back with the session cookie the
            // browser still holds. It is accepted.
            var signedIn = ConsoleBrowser(app)
            #expect(try await signedIn.signIn(email).status == .seeOther)
            var fromMail = ConsoleBrowser(app)
            _ = try await fromMail.get(path)
            fromMail.cookies["redress_session"] = signedIn.cookies["redress_session"]
            let changed = try await fromMail.post("/console/reset-password", [("token", token), ("new_password", "a-brand-new-password-3")])
            #expect(changed.status == .ok && changed.text.contains("密码已更改"))
            #expect(try await browser.signIn(email, password: worldPassword).status == .unauthorized)
            #expect(try await browser.signIn(email, password: "a-brand-new-password-3").status == .seeOther)
            var other = ConsoleBrowser(app)
            _ = try await other.get(path)
            #expect(try await other.post("/console/reset-password", [("token", token), ("new_password", "another-new-password-4")]).status == .unprocessableContent)
        }
    }

    /// Signing in again from a signed-in browser (another account, say) ends the session the cookie
    /// held, instead of leaving it valid and unreachable.
    @Test func signingInAgainEndsTheCookiesSession() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            var browser = ConsoleBrowser(app)
            #expect(try await browser.signIn(world.accounts["consumer"]!.email).status == .seeOther)
            let first = try #require(browser.cookies["redress_session"])
            _ = try await browser.get("/console/cases")
            let again = try await browser.post("/console/sign-in", [("email", world.accounts["platform_staff_a"]!.email), ("password", worldPassword)])
            #expect(again.status == .seeOther)
            #expect(browser.cookies["redress_session"] != first)
            var old = ConsoleBrowser(app)
            old.cookies["redress_session"] = first
            let page = try await old.get("/console/cases")
            #expect(page.status == .seeOther && page.headers[.location] == "/console/sign-in", "the first session is over")
        }
    }
}
