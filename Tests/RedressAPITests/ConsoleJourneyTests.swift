import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import RedressAPI
import StoreTestSupport
import Testing
import TestSupport

/// The console as people use it: real Chromium, driven through chromedriver, filling and submitting
/// the forms. A consumer on a phone's screen files and follows a case to its end; the platform answers
/// in its queue on a desktop screen; the lead triages and assigns; the mediator proposes. On every page:
/// no console error, and no violation of the WCAG 2.1 A and AA rules axe-core checks. Screenshots of
/// every page are kept in `.build/console-screenshots`.
@Suite("The console in a browser", .serialized)
struct ConsoleJourneyTests {
    static let screenshots = URL(fileURLWithPath: ".build/console-screenshots", isDirectory: true)
    static let axeSource = URL(fileURLWithPath: ".build/axe/axe.min.js")

    /// One person's browser, and what was found wrong on the pages it showed.
    final class Person: @unchecked Sendable {
        let driver: WebDriver
        let name: String
        let width: Int
        let base: String
        var problems: [String] = []

        init(_ name: String, width: Int, base: String) async throws {
            self.driver = try await WebDriver.start(width: width)
            self.name = name
            self.width = width
            self.base = base
        }

        /// Checks the page the browser shows: no console error, no accessibility violation; keeps a
        /// screenshot.
        func check(_ page: String) async throws {
            let axe = try String(contentsOf: ConsoleJourneyTests.axeSource, encoding: .utf8)
            _ = try await driver.executeAsync(axe + "\n;arguments[arguments.length - 1](true);")
            let result = try await driver.executeAsync(
                """
                const done = arguments[arguments.length - 1];
                axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
                  .then(r => done({passes: r.passes.length,
                                   violations: r.violations.map(v => v.id + ' (' + v.nodes.map(n => n.target.join(' ')).join('; ') + ')')}))
                  .catch(e => done({passes: 0, violations: ['axe failed: ' + e]}));
                """) as? [String: Any]
            // A check that ran: axe found rules the page passes, and lists what it violates.
            let passes = result?["passes"] as? Int ?? 0
            if passes == 0 { problems.append("\(name) \(page): axe checked nothing") }
            problems += (result?["violations"] as? [String] ?? ["axe gave no answer"]).map { "\(name) \(page): \($0)" }
            problems += try await driver.consoleErrors().map { "\(name) \(page): console: \($0)" }
            try FileManager.default.createDirectory(at: ConsoleJourneyTests.screenshots, withIntermediateDirectories: true)
            try await driver.screenshot().write(to: ConsoleJourneyTests.screenshots.appendingPathComponent("\(name)-\(page)-\(width).png"))
        }

        func open(_ path: String, as page: String) async throws {
            try await driver.open(base + path)
            try await check(page)
        }

        func signIn(_ email: String) async throws {
            try await open("/console/sign-in", as: "sign-in")
            try await driver.type("#email", email)
            try await driver.type("#password", worldPassword)
            try await driver.submit("form button[type=submit]")
        }

        /// Sets up the second factor the console asks for after the password: the key shown beside
        /// the QR code gives the first code, as an authenticator app would.
        func enrolSecondFactor() async throws {
            #expect(try await driver.currentURL().hasSuffix("/console/second-factor"), "\(name) is asked to set up a second factor")
            try await check("second-factor")
            try await driver.type("#password", worldPassword)
            try await driver.submit("form[action='/console/second-factor'] button[type=submit]")
            try await check("second-factor-key")
            let page = try await driver.source()
            let key = try #require(page.range(of: #"<code>[A-Z2-7 ]{16,}</code>"#, options: .regularExpression).map {
                String(page[$0].dropFirst(6).dropLast(7))
            })
            try await driver.type("#code", Authenticator.code(base32: key, at: Date()))
            try await driver.submit("form[action='/console/second-factor/confirm'] button[type=submit]")
            try await check("second-factor-codes")
            #expect(try await driver.source().contains("<li><code>"), "\(name) is shown recovery codes")
        }

        /// Opens the case, unfolds an action's form, fills it and submits it.
        func act(_ caseID: String, _ action: String, _ fields: [(String, String)] = [], page: String) async throws {
            try await open("/console/cases/\(caseID)", as: page)
            let form = "form[action$='/actions/\(action)']"
            try await driver.click("details:has(\(form)) > summary")
            for (name, value) in fields {
                if value == "check" {
                    try await driver.click("\(form) [name='\(name)']")
                } else if try await driver.source().contains("<select id=\"f-\(name.replacingOccurrences(of: ".", with: "-"))\"") {
                    try await driver.click("\(form) select[name='\(name)'] option[value='\(value)']")
                } else {
                    try await driver.type("\(form) [name='\(name)']", value)
                }
            }
            try await driver.submit("\(form) button[type=submit]")
        }
    }

    /// Who takes part in a journey, and where.
    struct Cast {
        var consumer: String
        var platformStaff: String
        var lead: String
        var mediator: String
        var mediatorID: String
        var platformID: String
        var bodyID: String
        /// The lead sets up a second factor at its first sign-in.
        var leadEnrols = false
    }

    @Test func aCaseGoesFromFilingToFulfilmentInTheBrowser() async throws {
        guard WebDriver.isAvailable, FileManager.default.fileExists(atPath: Self.axeSource.path) else {
            Issue.record("Chromium, chromedriver or axe-core is missing: `make test` installs them (Deploy/ensure-chromium.sh, Deploy/ensure-axe.sh)")
            return
        }
        try await withTestApp(.live, world: .seeded) { app in
            let world = try await app.makeWorld()
            let email = { (name: String) in world.accounts[name]!.email }
            try await Self.journey(
                app, Cast(
                    consumer: email("consumer"), platformStaff: email("platform_staff_a"), lead: email("mediation_lead_a"),
                    mediator: email("mediator_a"), mediatorID: world.accounts["mediator_a"]!.id.lowercased(), platformID: world.platformA,
                    bodyID: world.bodyA),
                consumerToken: world.token("consumer"))
        }
    }

    /// The consumer files on a phone, guided by the findings, and adds evidence; the platform offers
    /// half at a desk; the consumer rejects and escalates; the lead triages and assigns; the mediator
    /// proposes the whole amount; both accept; the consumer confirms fulfilment.
    static func journey(_ app: TestApp, _ cast: Cast, consumerToken: String?) async throws {
        let base = "http://127.0.0.1:\(try #require(app.client.port))"

        // The consumer, on a phone.
        let consumer = try await Person("consumer", width: 390, base: base)
        defer { consumer.driver.kill() }
        try await consumer.signIn(cast.consumer)
        #expect(try await consumer.driver.currentURL().hasSuffix("/console/cases"))
        try await consumer.check("cases")
        try await consumer.open("/console/file", as: "file")
        try await consumer.driver.click("#platform_id option[value='\(cast.platformID)']")
        try await consumer.driver.type("#order_no", "KM2026120601")
        try await consumer.driver.type("#product_name", "游戏点卡 100元")
        try await consumer.driver.type("#amount_paid", "100")
        try await consumer.driver.type("#title", "点卡付款后卡密未发放")
        try await consumer.driver.type("#description", "12月6日付款100元购买游戏点卡，卡密一直未发放，联系客服无人回复。")
        try await consumer.driver.click("#demand_kind option[value='other']")
        try await consumer.driver.type("#demand_text", "给个说法")
        try await consumer.driver.submit("button[value=check]")
        let checked = try await consumer.driver.source()
        #expect(checked.contains("证据链缺少"), "the check points out what the case lacks")
        try await consumer.check("file-checked")
        // Guided by the findings: a refund with its amount.
        try await consumer.driver.click("#demand_kind option[value='refund']")
        try await consumer.driver.type("#demand_amount", "100")
        try await consumer.driver.type("#demand_text", "退还货款")
        try await consumer.driver.submit("button[value=file]")
        let url = try await consumer.driver.currentURL()
        let caseID = try #require(url.components(separatedBy: "/console/cases/").last.flatMap { $0.count == 36 ? $0 : nil }, "\(url)")
        try await consumer.check("case-filed")
        // The case page names the evidence the chain lacks; the consumer adds it from there.
        #expect(try await consumer.driver.source().contains("证据链缺少：订单记录、付款凭证。"))
        let screenshot = FileManager.default.temporaryDirectory.appendingPathComponent("redress-evidence-\(UUID().uuidString).png")
        try Data(EvidenceSamples.png).write(to: screenshot)
        defer { try? FileManager.default.removeItem(at: screenshot) }
        for kind in ["order_record", "payment_proof"] {
            try await consumer.driver.click("#evidence-kind option[value='\(kind)']")
            try await consumer.driver.choose("#evidence-file", file: screenshot.path)
            try await consumer.driver.submit("form[action$='/evidence'] button[type=submit]")
        }
        let withEvidence = try await consumer.driver.source()
        #expect(!withEvidence.contains("缺少：订单记录"), "the order record and the payment are in the chain now")
        try await consumer.check("case-evidence")

        // The platform, at a desk: the case is in its queue; it offers half.
        let platform = try await Person("platform", width: 1280, base: base)
        defer { platform.driver.kill() }
        try await platform.signIn(cast.platformStaff)
        try await platform.check("queue")
        #expect(try await platform.driver.source().contains("/console/cases/\(caseID)"))
        try await platform.act(caseID, "respond", [("decision", "propose"), ("proposal.refund", "50"), ("proposal.text", "退一半")], page: "case")

        // The consumer rejects it and takes the case to mediation.
        try await consumer.act(caseID, "reject", [("reason", "只退一半不合理")], page: "case-proposal")
        try await consumer.act(caseID, "escalate", [("mediation_body_id", cast.bodyID), ("reason", "平台只愿退一半")], page: "case-rejected")

        // The lead triages and assigns; the mediator proposes the whole amount.
        let lead = try await Person("lead", width: 1280, base: base)
        defer { lead.driver.kill() }
        try await lead.signIn(cast.lead)
        if cast.leadEnrols { try await lead.enrolSecondFactor() }
        try await lead.open("/console/triage", as: "triage")
        #expect(try await lead.driver.source().contains("/console/cases/\(caseID)"))
        try await lead.act(caseID, "triage", [("decision", "accept")], page: "case")
        try await lead.act(caseID, "assign", [("mediator_id", cast.mediatorID)], page: "case-triaged")
        let mediator = try await Person("mediator", width: 1280, base: base)
        defer { mediator.driver.kill() }
        try await mediator.signIn(cast.mediator)
        try await mediator.act(caseID, "propose", [("terms.refund", "100"), ("text", "全额退款")], page: "case")

        // Both sides accept; the consumer confirms the refund arrived.
        try await consumer.act(caseID, "accept", page: "case-mediation")
        try await platform.act(caseID, "accept", page: "case-mediation")
        try await consumer.act(caseID, "confirm_fulfilment", page: "case-agreed")
        try await consumer.check("case-resolved")
        #expect(try await consumer.driver.source().contains("已解决"))
        if let consumerToken {
            let api = try await app.request(.get, "/api/v1/complaints/\(caseID)", token: consumerToken)
            #expect(api.json["state"].string == "closed_resolved", "\(api.text.prefix(300))")
        } else {
            let state = try await app.asOwner { try await $0.scalar("SELECT state FROM complaints WHERE id = \(UUID(uuidString: caseID)!)", as: String.self) }
            #expect(state == "closed_resolved")
        }

        let problems = consumer.problems + platform.problems + lead.problems + mediator.problems
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        for person in [consumer, platform, lead, mediator] { await person.driver.quit() }
    }
}
