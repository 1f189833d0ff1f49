import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import RedressAPI
import RedressDemo
import RedressStore
import StoreTestSupport
import Testing
import TestSupport

/// The demo world (`redress serve --demo`) in a real browser: each of its printed accounts signs in
/// and opens every page its navigation offers and a case of its list, and the pages of someone not
/// signed in (registering, a forgotten password) are checked too — no console error, no WCAG 2.1 A or
/// AA violation axe-core finds, a screenshot of each at a phone's width and a desk's.
@Suite("The console over the demo world", .serialized)
struct ConsoleDemoTests {
    static let logins: [(email: String, width: Int)] = [
        ("consumer1@demo.redress.test", 390), ("p1-staff@demo.redress.test", 1280), ("p1-admin@demo.redress.test", 1280),
        ("p1-m1@demo.redress.test", 390), ("body1-lead@demo.redress.test", 1280), ("body1-mediator1@demo.redress.test", 390),
        ("auditor@demo.redress.test", 1280), ("admin@demo.redress.test", 1280),
    ]

    @Test func everyDemoAccountSignsInAndEveryPageItReachesPassesTheChecks() async throws {
        guard WebDriver.isAvailable, FileManager.default.fileExists(atPath: ConsoleJourneyTests.axeSource.path) else {
            Issue.record("Chromium, chromedriver or axe-core is missing: `make test` installs them (Deploy/ensure-chromium.sh, Deploy/ensure-axe.sh)")
            return
        }
        try await withTestApp(.live) { app in
            try await Self.writeDemoWorld(app)
            let base = "http://127.0.0.1:\(try #require(app.client.port))"
            var problems: [String] = []

            let stranger = try await ConsoleJourneyTests.Person("stranger", width: 390, base: base)
            defer { stranger.driver.kill() }
            for page in ["sign-in", "register", "reset-password"] { try await stranger.open("/console/\(page)", as: page) }
            problems += stranger.problems
            await stranger.driver.quit()

            for (email, width) in Self.logins {
                let name = String(email.prefix { $0 != "@" })
                let person = try await ConsoleJourneyTests.Person(name, width: width, base: base)
                defer { person.driver.kill() }
                try await person.signIn(email)
                let home = try await person.driver.currentURL()
                #expect(!home.contains("/console/sign-in"), "\(email) signs in")
                try await person.check("home")
                let source = try await person.driver.source()
                let nav = Self.matches(#"<li><a href="(/console/[^"?]+)""#, in: source)
                #expect(nav.contains("/console/account"), "\(email): \(nav)")
                // Every page the navigation offers, and a case one of them lists, with the case's records.
                var firstCase: String?
                for path in nav {
                    try await person.open(path, as: path.replacingOccurrences(of: "/", with: "_"))
                    if firstCase == nil {
                        firstCase = Self.matches(#"href="(/console/cases/[0-9a-f-]{36})""#, in: try await person.driver.source()).first
                    }
                }
                if let firstCase {
                    try await person.open(firstCase, as: "case")
                    let casePage = try await person.driver.source()
                    for link in Self.matches(#"href="(/console/(?:cases/[0-9a-f-]{36}/audit|merchants/[0-9a-f-]{36}/record))""#, in: casePage) {
                        try await person.open(link, as: link.contains("audit") ? "audit" : "record")
                    }
                } else {
                    // The operator reads no case; a merchant's staff may have none open in a small world.
                    #expect(["admin", "p1-m1"].contains(name), "\(email) reaches a case in the demo world")
                }
                problems += person.problems
                await person.driver.quit()
            }
            #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        }
    }

    /// The journey of the issue, in the demo world, with the second factor its privileged roles need
    /// (as `redress serve --demo` runs): consumer1 files on a phone, p1's staff answer, body1's lead
    /// sets up his second factor, triages and assigns body1-mediator1, and the case ends resolved.
    @Test func theJourneyRunsInTheDemoWorldWithItsSecondFactors() async throws {
        guard WebDriver.isAvailable, FileManager.default.fileExists(atPath: ConsoleJourneyTests.axeSource.path) else {
            Issue.record("Chromium, chromedriver or axe-core is missing: `make test` installs them (Deploy/ensure-chromium.sh, Deploy/ensure-axe.sh)")
            return
        }
        var configuration = testConfiguration()
        configuration.secondFactorRoles = APIConfiguration.privilegedRoles
        configuration.sessionCacheSeconds = 0
        try await withTestApp(.live, configuration: configuration) { app in
            try await Self.writeDemoWorld(app)
            func scalar(_ query: PostgresQuery) async throws -> String {
                try #require(try await app.asOwner { try await $0.scalar(query, as: UUID.self) }).uuidString.lowercased()
            }
            let cast = ConsoleJourneyTests.Cast(
                consumer: "consumer1@demo.redress.test", platformStaff: "p1-staff@demo.redress.test", lead: "body1-lead@demo.redress.test",
                mediator: "body1-mediator1@demo.redress.test",
                mediatorID: try await scalar("SELECT id FROM accounts WHERE email = 'body1-mediator1@demo.redress.test'"),
                platformID: try await scalar("SELECT organization_id FROM accounts WHERE email = 'p1-staff@demo.redress.test'"),
                bodyID: try await scalar("SELECT organization_id FROM accounts WHERE email = 'body1-lead@demo.redress.test'"),
                leadEnrols: true)
            try await ConsoleJourneyTests.journey(app, cast, consumerToken: nil)
        }
    }

    /// A demo world as `redress serve --demo` writes one (smaller), every account's password `worldPassword`.
    static func writeDemoWorld(_ app: TestApp) async throws {
        let logger = TestDatabase.logger
        let client = PostgresClient(configuration: app.database.ownerURL.clientConfiguration, backgroundLogger: logger)
        let hash = try await PasswordHasher(cost: 4).hash(worldPassword)
        _ = try await withThrowingTaskGroup(of: DemoSummary?.self) { group in
            group.addTask { await client.run(); return nil }
            defer { group.cancelAll() }
            let generator = DemoGenerator(
                database: Database(client: client, keys: TestDatabase.keys, logger: logger),
                timeZone: TimeZone(identifier: "Asia/Shanghai")!, now: Date(), passwordHash: hash, logger: logger)
            return try await generator.run(DemoSize(platforms: 3, merchants: 6, consumers: 20, complaints: 200, months: 6))
        }
    }

    static func matches(_ pattern: String, in text: String) -> [String] {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return [] }
        var seen: [String] = []
        for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            if let range = Range(match.range(at: 1), in: text), !seen.contains(String(text[range])) { seen.append(String(text[range])) }
        }
        return seen
    }
}
