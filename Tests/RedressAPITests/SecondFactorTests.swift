import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import RedressAPI
import RedressCore
import RedressStore
import StoreTestSupport
import Testing
import TestSupport

/// RFC 6238 computed here, independently of the service's library: what an authenticator app shows.
enum Authenticator {
    static func code(base32 secret: String, at date: Date) -> String {
        let key = decode(secret)
        let counter = UInt64(date.timeIntervalSince1970 / 30)
        let message = (0..<8).map { UInt8(truncatingIfNeeded: counter >> (56 - 8 * $0)) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: key)))
        let offset = Int(mac[19] & 0x0F)
        let value = (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        let digits = String(value % 1_000_000)
        return String(repeating: "0", count: 6 - digits.count) + digits
    }

    static func decode(_ base32: String) -> [UInt8] {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var bytes: [UInt8] = [], buffer = 0, bits = 0
        for character in base32 {
            guard let value = alphabet.firstIndex(of: character) else { continue }
            buffer = (buffer << 5) | value
            bits += 5
            if bits >= 8 {
                bytes.append(UInt8((buffer >> (bits - 8)) & 0xFF))
                bits -= 8
                buffer &= (1 << bits) - 1
            }
        }
        return bytes
    }
}

@Suite("Two-factor sign-in")
struct SecondFactorTests {
    static func configuration(_ clock: ManualClock) -> APIConfiguration {
        var configuration = testConfiguration(clock: clock)
        configuration.secondFactorRoles = APIConfiguration.privilegedRoles
        configuration.sessionCacheSeconds = 0
        return configuration
    }

    @Test func aPrivilegedAccountActsOnlyOnceEnrolledAndEachCodeWorksOnce() async throws {
        let clock = ManualClock("2026-09-24T10:00:00+08:00")
        try await withTestApp(configuration: Self.configuration(clock)) { app in
            let admin = try await app.bootstrapAdmin()
            let body: [String: Any] = ["name": "消协", "kind": "consumer_association", "region": "北京"]
            let refused = try await app.request(.post, "/api/v1/mediation-bodies", token: admin.token, json: body)
            #expect(refused.status == .forbidden)
            #expect(refused.json["code"].string == "second_factor_enrolment_required")
            #expect(try await app.request(.get, "/api/v1/me", token: admin.token).json["second_factor"].bool == false)

            // A token alone (a thief's) cannot tie the account to an authenticator; nor can an enrol-only
            // session change the password or end the owner's other sessions.
            #expect(try await app.request(.post, "/api/v1/me/second-factor", token: admin.token, json: ["password": "a thief's guess"]).status
                == .unprocessableContent)
            #expect(try await app.request(.post, "/api/v1/me/password", token: admin.token,
                                          json: ["current_password": worldPassword, "new_password": "taken over for good"]).status == .forbidden)
            #expect(try await app.request(.post, "/api/v1/me/sessions/end-others", token: admin.token).status == .forbidden)
            let enrolment = try await app.request(.post, "/api/v1/me/second-factor", token: admin.token, json: ["password": worldPassword])
            #expect(enrolment.status == .created, "\(enrolment.text)")
            let secret = try #require(enrolment.json["secret"].string)
            #expect(secret.count == 52)
            let uri = try #require(enrolment.json["otpauth_uri"].string)
            #expect(uri.hasPrefix("otpauth://totp/Redress:admin@redress.test?secret=\(secret)&issuer=Redress"))
            let svg = try #require(enrolment.json["qr_svg"].string)
            #expect(svg.hasPrefix("<svg") && !svg.contains("<script"))
            // Sealed in the database: neither the secret nor its letters are there to read.
            let stored = try await app.asOwner { try await $0.scalar("SELECT totp_secret FROM accounts WHERE email = 'admin@redress.test'", as: String.self) }
            #expect(stored?.hasPrefix("test:") == true)
            #expect(stored?.contains(secret) == false)

            #expect(try await app.request(.post, "/api/v1/me/second-factor/confirm", token: admin.token, json: ["code": "000000"]).status == .unauthorized)
            let code = Authenticator.code(base32: secret, at: clock.now())
            let confirmed = try await app.request(.post, "/api/v1/me/second-factor/confirm", token: admin.token, json: ["code": code])
            #expect(confirmed.status == .ok, "\(confirmed.text)")
            let recovery = confirmed.json["recovery_codes"].array.compactMap(\.string)
            #expect(recovery.count == 10 && Set(recovery).count == 10)
            // This session proved the factor: it may act now.
            #expect(try await app.request(.post, "/api/v1/mediation-bodies", token: admin.token, json: body).status == .created)

            // Signing in needs a code; the one just used does not work again, the next one does.
            let login = ["email": admin.email, "password": worldPassword]
            let missing = try await app.request(.post, "/api/v1/auth/login", json: login)
            #expect(missing.status == .unauthorized)
            #expect(missing.json["code"].string == "second_factor_required")
            let replayed = try await app.request(.post, "/api/v1/auth/login", json: login.merging(["code": code]) { $1 })
            #expect(replayed.json["code"].string == "invalid_second_factor")
            clock.advance(by: .seconds(30))
            let next = Authenticator.code(base32: secret, at: clock.now())
            let signedIn = try await app.request(.post, "/api/v1/auth/login", json: login.merging(["code": next]) { $1 })
            #expect(signedIn.status == .ok, "\(signedIn.text)")
            let token = try #require(signedIn.json["token"].string)
            #expect(try await app.request(.get, "/api/v1/staff", token: token).status == .ok)
            #expect(try await app.request(.post, "/api/v1/auth/login", json: login.merging(["code": next]) { $1 }).status == .unauthorized)

            // A recovery code once, in any case and spacing.
            let spare = recovery[0].uppercased().replacingOccurrences(of: "-", with: " ")
            #expect(try await app.request(.post, "/api/v1/auth/login", json: login.merging(["code": spare]) { $1 }).status == .ok)
            #expect(try await app.request(.post, "/api/v1/auth/login", json: login.merging(["code": recovery[0]]) { $1 }).status == .unauthorized)
            // A role that must have it cannot turn it off.
            clock.advance(by: .seconds(30))
            let off = try await app.request(
                .delete, "/api/v1/me/second-factor", token: token, json: ["code": Authenticator.code(base32: secret, at: clock.now())])
            #expect(off.status == .forbidden)
        }
    }

    @Test func wrongCodesAreThrottledLikeWrongPasswords() async throws {
        let clock = ManualClock("2026-09-24T10:00:00+08:00")
        try await withTestApp(configuration: Self.configuration(clock)) { app in
            let admin = try await app.bootstrapAdmin()
            let secret = try #require(try await app.request(.post, "/api/v1/me/second-factor", token: admin.token, json: ["password": worldPassword]).json["secret"].string)
            let code = Authenticator.code(base32: secret, at: clock.now())
            #expect(try await app.request(.post, "/api/v1/me/second-factor/confirm", token: admin.token, json: ["code": code]).status == .ok)
            clock.advance(by: .seconds(60))
            var statuses: [Int] = []
            for guess in 0..<6 {
                let response = try await app.request(
                    .post, "/api/v1/auth/login", json: ["email": admin.email, "password": worldPassword, "code": String(format: "%06d", 111_111 * guess)])
                statuses.append(Int(response.status.code))
            }
            #expect(statuses.prefix(5).allSatisfy { $0 == 401 })
            #expect(statuses.last == 429)
            let right = Authenticator.code(base32: secret, at: clock.now())
            #expect(try await app.request(.post, "/api/v1/auth/login", json: ["email": admin.email, "password": worldPassword, "code": right]).status
                == .tooManyRequests)
        }
    }

    /// A consumer may choose a second factor, and turn it off again with a code; a forced reset starts
    /// a staff member's over.
    @Test func optionalForConsumersAndStartedOverByAReset() async throws {
        let clock = ManualClock("2026-09-24T10:00:00+08:00")
        var configuration = Self.configuration(clock)
        configuration.secondFactorRoles = []
        try await withTestApp(configuration: configuration) { app in
            _ = try await app.createConsumer(["email": "c@redress.test", "password": worldPassword, "display_name": "C"])
            let token = try await app.login("c@redress.test")
            let secret = try #require(try await app.request(.post, "/api/v1/me/second-factor", token: token, json: ["password": worldPassword]).json["secret"].string)
            #expect(try await app.request(.post, "/api/v1/me/second-factor", token: token, json: ["password": worldPassword]).status == .created)  // a new secret replaces a pending one
            #expect(try await app.request(.post, "/api/v1/me/second-factor/confirm", token: token,
                                          json: ["code": Authenticator.code(base32: secret, at: clock.now())]).status == .unauthorized)
            let fresh = try #require(try await app.request(.post, "/api/v1/me/second-factor", token: token, json: ["password": worldPassword]).json["secret"].string)
            #expect(try await app.request(.post, "/api/v1/me/second-factor/confirm", token: token,
                                          json: ["code": Authenticator.code(base32: fresh, at: clock.now())]).status == .ok)
            #expect(try await app.request(.post, "/api/v1/me/second-factor", token: token, json: ["password": worldPassword]).status == .conflict)
            #expect(try await app.request(.delete, "/api/v1/me/second-factor", token: token, json: ["code": "123"]).status == .unauthorized)
            #expect(try await app.request(.delete, "/api/v1/me/second-factor", token: token, json: [:]).status == .unprocessableContent)
            clock.advance(by: .seconds(30))
            #expect(try await app.request(.delete, "/api/v1/me/second-factor", token: token,
                                          json: ["code": Authenticator.code(base32: fresh, at: clock.now())]).status == .noContent)
            #expect(try await app.request(.post, "/api/v1/auth/login", json: ["email": "c@redress.test", "password": worldPassword]).status == .ok)

            // A manager's reset removes a staff member's second factor with everything else.
            let admin = try await app.bootstrapAdmin()
            let auditorID = try await app.create(
                "/api/v1/staff", token: admin.token, ["email": "aud@redress.test", "password": worldPassword, "display_name": "A", "role": "auditor"])
            let auditor = try await app.login("aud@redress.test")
            let auditorSecret = try #require(try await app.request(.post, "/api/v1/me/second-factor", token: auditor, json: ["password": worldPassword]).json["secret"].string)
            clock.advance(by: .seconds(30))
            #expect(try await app.request(.post, "/api/v1/me/second-factor/confirm", token: auditor,
                                          json: ["code": Authenticator.code(base32: auditorSecret, at: clock.now())]).status == .ok)
            let reset = try await app.request(.post, "/api/v1/staff/\(auditorID)/password-reset?remove_second_factor=true", token: admin.token)
            #expect(reset.json["account"]["second_factor"].bool == false)
            let codes = try await app.asOwner { try await $0.scalar("SELECT count(*)::int FROM recovery_codes", as: Int.self) }
            #expect(codes == 0)
        }
    }
}
