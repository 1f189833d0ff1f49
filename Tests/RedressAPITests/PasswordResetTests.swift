import Foundation
import Hummingbird
import HummingbirdTesting
import RedressAPI
import RedressCore
import RedressStore
import StoreTestSupport
import Testing
import TestSupport

@Suite("Password reset by a mailed link")
struct PasswordResetTests {
    /// Sends every queued mail to the test SMTP server and returns the reset links `email` received,
    /// once there are `expecting` (the request makes its link after answering) or 3 s have passed.
    /// The reset links `email` has received, once `expecting` of them have arrived or `wait` has
    /// passed. Mail goes through a real SMTP receiver: on a loaded machine a link due can take seconds,
    /// so a wait for mail that must come is long; a wait for mail that must not come is the short one.
    static func resetLinks(
        _ app: TestApp, to email: String, settings: MailSettings, expecting: Int, wait: Duration = .seconds(30)
    ) async throws -> [String] {
        let service = MailService(database: app.store, settings: settings, logger: TestDatabase.logger)
        let start = ContinuousClock.now
        while true {
            // A send that failed by chance (the receiver is busy under a loaded CI run) is retried after
            // a pause on the service's clock, which this test has stopped: make such mails due again.
            try await app.asOwner { connection in
                _ = try await connection.query(
                    "UPDATE mail_outbox SET next_attempt_at = '2000-01-01' WHERE state = 'pending' AND last_error IS NOT NULL",
                    logger: TestDatabase.logger)
            }
            while try await service.sendOnce() > 0 {}
            let links = try await TestMailbox.mails(containing: "reset-password?token=").filter { $0.to == [email] }.compactMap { mail in
                mail.body.components(separatedBy: .whitespacesAndNewlines).first { $0.contains("reset-password?token=") }
            }
            if links.count >= expecting || ContinuousClock.now - start > wait { return links }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    static func token(_ link: String) -> String { String(link.split(separator: "=", maxSplits: 1)[1]) }

    @Test func aLinkWorksOnceEndsEverySessionAndTellsNobodyWhetherAnAddressIsRegistered() async throws {
        let clock = ManualClock("2026-10-12T10:00:00+08:00")
        var configuration = testConfiguration(clock: clock)
        configuration.mail = try TestMailbox.mailSettings()
        let settings = configuration.mail
        try await withTestApp(configuration: configuration) { app in
            let email = "reset-\(UUID().uuidString.prefix(8).lowercased())@redress.test"
            _ = try await app.createConsumer(["email": email, "password": "the first passphrase", "display_name": "甲"])
            let session = try await app.login(email, password: "the first passphrase")

            // The same answer for an address with an account and one without.
            let known = try await app.request(.post, "/api/v1/auth/password-reset", json: ["email": email])
            let unknown = try await app.request(.post, "/api/v1/auth/password-reset", json: ["email": "nobody-\(UUID().uuidString.prefix(8))@redress.test"])
            #expect(known.status == .accepted && unknown.status == .accepted)
            #expect(known.text == unknown.text)
            let links = try await Self.resetLinks(app, to: email, settings: settings, expecting: 1)
            #expect(links.count == 1)
            let link = try #require(links.first)
            #expect(link.hasPrefix("https://redress.test/console/reset-password?token="))

            // Too weak a password is refused and the link still works.
            let weak = try await app.request(.post, "/api/v1/auth/password-reset/confirm", json: ["token": Self.token(link), "new_password": "password"])
            #expect(weak.status == .unprocessableContent)
            let reset = try await app.request(
                .post, "/api/v1/auth/password-reset/confirm", json: ["token": Self.token(link), "new_password": "a second passphrase"])
            #expect(reset.status == .ok, "\(reset.text)")
            // Once only; the old password and every session are over.
            let again = try await app.request(
                .post, "/api/v1/auth/password-reset/confirm", json: ["token": Self.token(link), "new_password": "a third passphrase"])
            #expect(again.json["invalid_fields"].array.first?["reason"].string == "invalid_or_expired")
            #expect(try await app.request(.get, "/api/v1/me", token: session).status == .unauthorized)
            #expect(try await app.request(.post, "/api/v1/auth/login", json: ["email": email, "password": "the first passphrase"]).status == .unauthorized)
            _ = try await app.login(email, password: "a second passphrase")

            // A link older than 30 minutes no longer works.
            #expect(try await app.request(.post, "/api/v1/auth/password-reset", json: ["email": email]).status == .accepted)
            let late = try #require(try await Self.resetLinks(app, to: email, settings: settings, expecting: 2).last)
            #expect(late != link)
            clock.advance(by: .seconds(31 * 60))
            let expired = try await app.request(.post, "/api/v1/auth/password-reset/confirm", json: ["token": Self.token(late), "new_password": "a third passphrase"])
            #expect(expired.json["invalid_fields"].array.first?["reason"].string == "invalid_or_expired")

            // At most three links an hour: the fourth request answers the same and sends nothing.
            for _ in 0..<2 { _ = try await app.request(.post, "/api/v1/auth/password-reset", json: ["email": email]) }
            #expect(try await Self.resetLinks(app, to: email, settings: settings, expecting: 3).count == 3)
            let fourth = try await app.request(.post, "/api/v1/auth/password-reset", json: ["email": email])
            #expect(fourth.status == .accepted && fourth.text == unknown.text)
            // Waits the full 3 s for a fourth that must not come.
            #expect(try await Self.resetLinks(app, to: email, settings: settings, expecting: 4, wait: .seconds(3)).count == 3)
            // A link's mail is not kept once it has left: its token would lie there in clear.
            #expect(try await app.asOwner { try await $0.scalar("SELECT count(*)::int FROM mail_outbox WHERE category = 'account'", as: Int.self) } == 0)
        }
    }
}
