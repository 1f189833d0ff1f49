import Foundation
import Hummingbird
import HummingbirdTesting
import RedressCore
import RedressStore
import StoreTestSupport
import Testing
import TestSupport

@Suite("Accounts and sessions")
struct AuthTests {
    @Test func registerLoginMeLogout() async throws {
        try await withTestApp { app in
            let registered = try await app.register(
                ["email": "  Li.Lei@Example.CN ", "password": "a long passphrase", "display_name": "李雷", "phone": "138-0013-8000"])
            #expect(registered.status == .created)
            #expect(registered.json["email"].string == "li.lei@example.cn")
            #expect(registered.json["password_hash"].isNull)
            let roles = registered.json["roles"].array
            #expect(roles.first?["role"].string == "consumer")

            let login = try await app.request(.post, "/api/v1/auth/login", json: ["email": "LI.LEI@example.cn", "password": "a long passphrase"])
            #expect(login.status == .ok)
            let token = try #require(login.json["token"].string)
            #expect(token.count >= 43)  // 32 random bytes, base64url
            #expect(login.json["expires_at"].string != nil)

            let me = try await app.request(.get, "/api/v1/me", token: token)
            #expect(me.status == .ok)
            #expect(me.json["id"].string == registered.json["id"].string)
            #expect(me.json["phone"].string == "13800138000")

            #expect(try await app.request(.post, "/api/v1/auth/logout", token: token).status == .noContent)
            let after = try await app.request(.get, "/api/v1/me", token: token)
            #expect(after.status == .unauthorized)
            #expect(after.contentType?.hasPrefix("application/problem+json") == true)
        }
    }
}

@Suite("Login protection and sessions")
struct LoginProtectionTests {
    @Test func unknownEmailAndWrongPasswordAnswerAlike() async throws {
        try await withTestApp { app in
            _ = try await app.createConsumer(["email": "known@redress.test", "password": worldPassword, "display_name": "K"])
            let wrongPassword = try await app.request(.post, "/api/v1/auth/login", json: ["email": "known@redress.test", "password": "not the password"])
            let unknownEmail = try await app.request(.post, "/api/v1/auth/login", json: ["email": "nobody@redress.test", "password": "not the password"])
            #expect(wrongPassword.status == .unauthorized)
            #expect(unknownEmail.status == .unauthorized)
            #expect(wrongPassword.json["code"].string == "invalid_credentials")
            #expect(unknownEmail.json["code"].string == wrongPassword.json["code"].string)
            #expect(unknownEmail.json["title"].string == wrongPassword.json["title"].string)
        }
    }

    @Test func repeatedFailuresAreLimitedPerAccount() async throws {
        try await withTestApp { app in
            _ = try await app.createConsumer(["email": "target@redress.test", "password": worldPassword, "display_name": "T"])
            for _ in 0..<5 {
                let response = try await app.request(.post, "/api/v1/auth/login", json: ["email": "target@redress.test", "password": "guess-guess"])
                #expect(response.status == .unauthorized)
            }
            let limited = try await app.request(.post, "/api/v1/auth/login", json: ["email": "TARGET@redress.test", "password": worldPassword])
            #expect(limited.status == .tooManyRequests)
            #expect(limited.json["code"].string == "too_many_attempts")
            let retryAfter = try #require(limited.headers[.retryAfter].flatMap { Int($0) })
            #expect((1...900).contains(retryAfter))
            // Other accounts are not affected.
            _ = try await app.createConsumer(["email": "other@redress.test", "password": worldPassword, "display_name": "O"])
            #expect(try await app.request(.post, "/api/v1/auth/login", json: ["email": "other@redress.test", "password": worldPassword]).status == .ok)
        }
    }

    /// Sessions changed behind the service's back: with the session cache off, at once.
    @Test func expiredAndRevokedTokensAreRefused() async throws {
        var configuration = testConfiguration()
        configuration.sessionCacheSeconds = 0
        try await withTestApp(configuration: configuration) { app in
            _ = try await app.createConsumer(["email": "exp@redress.test", "password": worldPassword, "display_name": "E"])
            let token = try await app.login("exp@redress.test")
            #expect(try await app.request(.get, "/api/v1/me", token: token).status == .ok)
            _ = try await app.asOwner { connection in
                try await connection.query("UPDATE sessions SET expires_at = now() - interval '1 second'", logger: TestDatabase.logger)
            }
            let expired = try await app.request(.get, "/api/v1/me", token: token)
            #expect(expired.status == .unauthorized)
            #expect(expired.headers[.wwwAuthenticate] == "Bearer")
            // A made-up token and a malformed header are refused the same way, never treated as anonymous.
            #expect(try await app.request(.get, "/api/v1/platforms", token: String(repeating: "x", count: 43)).status == .unauthorized)
            #expect(try await app.request(.get, "/api/v1/platforms", headers: [.authorization: "Basic abc"]).status == .unauthorized)
        }
    }

    /// With the cache on: a logout through this process ends the token at once; a revocation it did
    /// not see (another replica, a DBA) within the cache's lifetime.
    @Test func cachedSessionsEndOnLogoutAndAfterTheirLifetime() async throws {
        let clock = ManualClock("2026-09-24T10:00:00+08:00")
        var configuration = testConfiguration(clock: clock)
        configuration.sessionCacheSeconds = 1
        try await withTestApp(configuration: configuration) { app in
            _ = try await app.createConsumer(["email": "cache@redress.test", "password": worldPassword, "display_name": "C"])
            let loggedOut = try await app.login("cache@redress.test")
            #expect(try await app.request(.get, "/api/v1/me", token: loggedOut).status == .ok)
            #expect(try await app.request(.post, "/api/v1/auth/logout", token: loggedOut).status == .noContent)
            #expect(try await app.request(.get, "/api/v1/me", token: loggedOut).status == .unauthorized)

            let revoked = try await app.login("cache@redress.test")
            #expect(try await app.request(.get, "/api/v1/me", token: revoked).status == .ok)
            _ = try await app.asOwner { connection in
                try await connection.query("UPDATE sessions SET revoked_at = now() WHERE revoked_at IS NULL", logger: TestDatabase.logger)
            }
            // Within the lifetime the cache still answers; once the service's clock passes it, it does not.
            #expect(try await app.request(.get, "/api/v1/me", token: revoked).status == .ok)
            clock.set("2026-09-24T10:00:02+08:00")
            #expect(try await app.request(.get, "/api/v1/me", token: revoked).status == .unauthorized)
        }
    }

    @Test func tokensAreStoredOnlyAsDigests() async throws {
        try await withTestApp { app in
            _ = try await app.createConsumer(["email": "digest@redress.test", "password": worldPassword, "display_name": "D"])
            let token = try await app.login("digest@redress.test")
            let stored: [String] = try await app.asOwner { connection in
                var values: [String] = []
                let rows = try await connection.query(
                    "SELECT encode(token_digest, 'hex') FROM sessions UNION ALL SELECT password_hash FROM accounts",
                    logger: TestDatabase.logger)
                for try await value in rows.decode(String.self) { values.append(value) }
                return values
            }
            #expect(!stored.isEmpty)
            #expect(stored.allSatisfy { !$0.contains(token) && !$0.contains(worldPassword) })
            #expect(stored.contains { $0.hasPrefix("$2b$10$") })  // bcrypt at cost 10
        }
    }
}

@Suite("Bad input")
struct BadInputTests {
    @Test func malformedOversizedAndMistypedBodies() async throws {
        try await withTestApp { app in
            let malformed = try await app.request(
                .post, "/api/v1/auth/register", headers: [.contentType: "application/json"], rawBody: .init(string: "{\"email\": "))
            #expect(malformed.status == .badRequest)
            #expect(malformed.json["code"].string == "malformed_request")

            let huge = String(repeating: "a", count: 20 * 1024)
            let oversized = try await app.request(
                .post, "/api/v1/auth/register", headers: [.contentType: "application/json"],
                rawBody: .init(string: "{\"display_name\": \"\(huge)\"}"))
            #expect(oversized.status == .contentTooLarge)
            #expect(oversized.json["code"].string == "payload_too_large")

            let wrongType = try await app.request(
                .post, "/api/v1/auth/register", headers: [.contentType: "text/plain"], rawBody: .init(string: "{}"))
            #expect(wrongType.status == .unsupportedMediaType)
            #expect(wrongType.json["code"].string == "unsupported_media_type")

            let mistyped = try await app.request(.post, "/api/v1/auth/register", json: ["email": 42, "password": worldPassword, "display_name": "x"])
            #expect(mistyped.status == .unprocessableContent)

            for response in [malformed, oversized, wrongType, mistyped] {
                #expect(response.contentType?.hasPrefix("application/problem+json") == true)
                #expect(response.json["request_id"].string == response.headers[.init("X-Request-Id")!])
                #expect(response.json["status"].int == Int(response.status.code))
            }
        }
    }

    @Test func invalidEmailsAndWeakPasswordsAreRefusedWithTheirFields() async throws {
        try await withTestApp { app in
            let cases: [([String: Any], String, String)] = [
                (["email": "not-an-email", "password": worldPassword, "display_name": "x"], "email", "invalid_email"),
                (["email": "a@b", "password": worldPassword, "display_name": "x"], "email", "invalid_email"),
                (["email": "short@redress.test", "password": "Ab1!", "display_name": "x"], "password", "too_short"),
                (["email": "common@redress.test", "password": "Password123", "display_name": "x"], "password", "common_password"),
                (["email": "long@redress.test", "password": String(repeating: "ab", count: 65), "display_name": "x"], "password", "too_long"),
                (["email": "name@redress.test", "password": worldPassword, "display_name": "   "], "display_name", "required"),
                (["email": "phone@redress.test", "password": worldPassword, "display_name": "x", "phone": "call me"], "phone", "invalid_phone"),
                (["password": worldPassword, "display_name": "x"], "email", "required"),
            ]
            for (body, field, reason) in cases {
                let response = try await app.request(.post, "/api/v1/auth/register", json: body)
                #expect(response.status == .unprocessableContent, "\(body)")
                let fields = response.json["invalid_fields"].array
                #expect(fields.contains { $0["field"].string == field && $0["reason"].string == reason }, "\(field): \(response.text)")
            }
            // A password of exactly 128 characters is accepted.
            let longest = try await app.register(
                ["email": "max@redress.test", "password": String(repeating: "長い鍵", count: 42) + "ab", "display_name": "x"])
            #expect(longest.status == .created)
        }
    }

    /// Confirming a registration costs a password hash: attempts from one address are limited (three
    /// times the registrations), so a leaked link is no way to guess its registrant's password.
    @Test func confirmationAttemptsAreLimitedPerAddress() async throws {
        var configuration = testConfiguration()
        configuration.loginThrottle.registrationsPerAddress = 1
        try await withTestApp(configuration: configuration) { app in
            #expect(try await app.request(
                .post, "/api/v1/auth/register", json: ["email": "guess@redress.test", "password": worldPassword, "display_name": "x"]).status == .accepted)
            let token = try #require(try await app.verificationToken(for: "guess@redress.test"))
            for attempt in 0..<3 {
                let wrong = try await app.request(.post, "/api/v1/auth/register/confirm", json: ["token": token, "password": "guess-number-\(attempt)-x"])
                #expect(wrong.status == .unprocessableContent)
            }
            let limited = try await app.request(.post, "/api/v1/auth/register/confirm", json: ["token": token, "password": worldPassword])
            #expect(limited.status == .tooManyRequests)
        }
    }

    /// Registration tells nobody whether an address has an account: a taken address is answered as a
    /// new one, and its owner is told by mail; only the link of a verification mail creates an account.
    @Test func aTakenAddressIsAnsweredLikeANewOneAndErrorsSpeakEnglishOnRequest() async throws {
        try await withTestApp { app in
            let body: [String: Any] = ["email": "dup@redress.test", "password": worldPassword, "display_name": "x"]
            let first = try await app.request(.post, "/api/v1/auth/register", json: body)
            #expect(first.status == .accepted)
            // Nothing exists until the link is used.
            #expect(try await app.request(.post, "/api/v1/auth/login", json: ["email": "dup@redress.test", "password": worldPassword]).status == .unauthorized)
            let token = try #require(try await app.verificationToken(for: "dup@redress.test"))
            // The link alone creates nothing: whoever holds it proves he registered, with the password.
            #expect(try await app.request(.post, "/api/v1/auth/register/confirm", json: ["token": token]).status == .unprocessableContent)
            let stranger = try await app.request(.post, "/api/v1/auth/register/confirm", json: ["token": token, "password": "someone-elses-pw-1"])
            #expect(stranger.status == .unprocessableContent && stranger.json["invalid_fields"].array.first?["field"].string == "password")
            let created = try await app.request(.post, "/api/v1/auth/register/confirm", json: ["token": token, "password": worldPassword])
            #expect(created.status == .created)
            #expect(try await app.request(.post, "/api/v1/auth/register/confirm", json: ["token": token, "password": worldPassword]).status == .unprocessableContent)
            let taken = try await app.request(.post, "/api/v1/auth/register", json: body)
            let fresh = try await app.request(.post, "/api/v1/auth/register", json: ["email": "fresh@redress.test", "password": worldPassword, "display_name": "x"])
            #expect(taken.status == .accepted && fresh.status == .accepted)
            #expect(taken.text == fresh.text)
            #expect(taken.headers[.contentType] == fresh.headers[.contentType])
            // The owner of the taken address hears of it, with no link that creates anything.
            let mails = try await app.asOwner {
                try await $0.scalar(
                    "SELECT string_agg(subject, '|') FROM mail_outbox WHERE to_address = 'dup@redress.test' AND account_id IS NOT NULL", as: String.self)
            }
            #expect(mails == "【Redress】有人尝试用您的邮箱注册")
            // Registering someone's address again and again mails its owner at most three times an hour
            // (the answer stays the same), and a new address gets at most three links.
            for _ in 0..<5 {
                #expect(try await app.request(.post, "/api/v1/auth/register", json: body).status == .accepted)
                #expect(try await app.request(
                    .post, "/api/v1/auth/register", json: ["email": "victim@redress.test", "password": worldPassword, "display_name": "x"]).status == .accepted)
            }
            let counts = try await app.asOwner {
                try await $0.scalar(
                    """
                    SELECT count(*) FILTER (WHERE to_address = 'dup@redress.test' AND account_id IS NOT NULL)::text || '/'
                        || count(*) FILTER (WHERE to_address = 'victim@redress.test')::text FROM mail_outbox
                    """, as: String.self)
            }
            #expect(counts == "3/3")
            let english = try await app.request(
                .post, "/api/v1/auth/register", json: ["email": "dup@redress.test", "password": worldPassword],
                headers: [.acceptLanguage: "en-GB,en;q=0.9,zh;q=0.5"])
            #expect(english.json["title"].string == "Some fields are invalid")
        }
    }

    @Test func listsArePaginatedWithValidatedParameters() async throws {
        try await withTestApp { app in
            let admin = try await app.bootstrapAdmin()
            for index in 0..<5 {
                _ = try await app.create("/api/v1/platforms", token: admin.token, app.platformBody("分页\(index)", seed: 100 + index))
            }
            var names: [String] = []
            var cursor: String? = nil
            repeat {
                let response = try await app.request(.get, "/api/v1/platforms?limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""))
                let items = response.json["items"].array
                #expect(items.count <= 2)
                names += items.compactMap { $0["name"].string }
                cursor = response.json["next_cursor"].string
            } while cursor != nil
            #expect(names == (0..<5).map { "分页\($0)" })
            #expect(try await app.request(.get, "/api/v1/platforms?limit=0").status == .unprocessableContent)
            #expect(try await app.request(.get, "/api/v1/platforms?limit=1000").status == .unprocessableContent)
            #expect(try await app.request(.get, "/api/v1/platforms?cursor=%%%").status == .unprocessableContent)
        }
    }
}
