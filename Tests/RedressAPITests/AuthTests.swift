import Foundation
import HummingbirdTesting
import RedressCore
import RedressStore
import Testing
import TestSupport

@Suite("Accounts and sessions")
struct AuthTests {
    @Test func registerLoginMeLogout() async throws {
        try await withTestApp { app in
            let registered = try await app.request(
                .post, "/api/v1/auth/register",
                json: ["email": "  Li.Lei@Example.CN ", "password": "a long passphrase", "display_name": "李雷", "phone": "138-0013-8000"])
            #expect(registered.status == .created)
            #expect(registered.json["email"] as? String == "li.lei@example.cn")
            #expect(registered.json["password_hash"] == nil)
            let roles = registered.json["roles"] as? [[String: Any]]
            #expect(roles?.first?["role"] as? String == "consumer")

            let login = try await app.request(.post, "/api/v1/auth/login", json: ["email": "LI.LEI@example.cn", "password": "a long passphrase"])
            #expect(login.status == .ok)
            let token = try #require(login.json["token"] as? String)
            #expect(token.count >= 43)  // 32 random bytes, base64url
            #expect(login.json["expires_at"] is String)

            let me = try await app.request(.get, "/api/v1/me", token: token)
            #expect(me.status == .ok)
            #expect(me.json["id"] as? String == registered.json["id"] as? String)
            #expect(me.json["phone"] as? String == "13800138000")

            #expect(try await app.request(.post, "/api/v1/auth/logout", token: token).status == .noContent)
            let after = try await app.request(.get, "/api/v1/me", token: token)
            #expect(after.status == .unauthorized)
            #expect(after.contentType?.hasPrefix("application/problem+json") == true)
        }
    }
}
