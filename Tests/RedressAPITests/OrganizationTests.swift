import Foundation
import Hummingbird
import HummingbirdTesting
import StoreTestSupport
import Testing
import TestSupport

@Suite("Organisations")
struct OrganizationTests {
    @Test func platformsHaveTheirRegistrationFactsAndDefaultPolicy() async throws {
        try await withTestApp { app in
            let admin = try await app.bootstrapAdmin()
            let response = try await app.request(.post, "/api/v1/platforms", token: admin.token, json: app.platformBody("卡盟甲", seed: 7))
            #expect(response.status == .created)
            #expect(response.json["response_days"].int == 7)
            #expect(response.json["merchant_first"].bool == false)
            #expect(response.json["merchant_response_days"].int == 3)
            #expect(response.json["credit_code"].string == creditCode(7))

            let id = try #require(response.json["id"].string)
            let read = try await app.request(.get, "/api/v1/platforms/\(id)")
            #expect(read.json["company_name"].string == "卡盟甲 网络科技有限公司")
        }
    }

    @Test func invalidAndDuplicatePlatformsAreRefused() async throws {
        try await withTestApp { app in
            let admin = try await app.bootstrapAdmin()
            var body = app.platformBody("卡盟乙", seed: 8)
            body["credit_code"] = "911100000000000001"  // wrong check character
            body["response_days"] = 0
            body["website"] = "javascript:alert(1)"
            let invalid = try await app.request(.post, "/api/v1/platforms", token: admin.token, json: body)
            #expect(invalid.status == .unprocessableContent)
            let fields = Set(invalid.json["invalid_fields"].array.compactMap { $0["field"].string })
            #expect(fields == ["credit_code", "response_days", "website"])

            _ = try await app.create("/api/v1/platforms", token: admin.token, app.platformBody("卡盟乙", seed: 8))
            let sameName = try await app.request(.post, "/api/v1/platforms", token: admin.token, json: app.platformBody("卡盟乙", seed: 9))
            #expect(sameName.status == .conflict)
            let sameCode = try await app.request(.post, "/api/v1/platforms", token: admin.token, json: app.platformBody("卡盟丙", seed: 8))
            #expect(sameCode.status == .conflict)

            var unknownBody = app.platformBody("卡盟丁", seed: 10)
            unknownBody["default_mediation_body_id"] = UUID().uuidString
            #expect(try await app.request(.post, "/api/v1/platforms", token: admin.token, json: unknownBody).status == .unprocessableContent)
        }
    }

    @Test func aPlatformAdministratorChangesItsPolicyAndTheChangeIsAudited() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let path = "/api/v1/platforms/\(world.platformA)"
            let changed = try await app.request(
                .patch, path, token: world.token("platform_admin_a"),
                json: ["merchant_first": true, "merchant_response_days": 2, "default_mediation_body_id": world.bodyA])
            #expect(changed.status == .ok)
            #expect(changed.json["merchant_first"].bool == true)
            #expect(changed.json["merchant_response_days"].int == 2)
            #expect(changed.json["response_days"].int == 7)  // untouched
            let cleared = try await app.request(.patch, path, token: world.token("platform_admin_a"), json: ["default_mediation_body_id": NSNull()])
            #expect(cleared.json["default_mediation_body_id"].isNull)
            let content = try await app.asOwner {
                try await $0.scalar("SELECT content FROM audit_events WHERE action = 'platform.update_policy' ORDER BY seq LIMIT 1", as: String.self)
            } ?? ""
            #expect(content.contains("\"merchant_first\":{\"after\":true,\"before\":false}"))
            #expect(content.contains("\"merchant_response_days\":{\"after\":2,\"before\":3}"))
            #expect(!content.contains("response_days\":{\"after\":7"))
        }
    }

    @Test func merchantsBelongToTheirPlatform() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let listA = try await app.request(.get, "/api/v1/platforms/\(world.platformA)/merchants")
            let names = listA.json["items"].array.compactMap { $0["name"].string }
            #expect(names == ["商户A1", "商户A2"])
            let duplicate = try await app.request(
                .post, "/api/v1/platforms/\(world.platformA)/merchants", token: world.token("platform_admin_a"), json: ["name": "商户a1"])
            #expect(duplicate.status == .conflict)
            // The same name under another platform is another merchant.
            let elsewhere = try await app.request(
                .post, "/api/v1/platforms/\(world.platformB)/merchants", token: world.token("platform_admin_b"), json: ["name": "商户A1"])
            #expect(elsewhere.status == .created)
            #expect(try await app.request(.get, "/api/v1/platforms/\(world.bodyA)/merchants").status == .notFound)
        }
    }

    @Test func staffMustBelongToAnOrganisationOfTheirRolesKind() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let admin = world.token("admin")
            func attempt(_ role: String, _ organization: String?) async throws -> (Int, [String]) {
                var body: [String: Any] = ["email": "\(UUID().uuidString.prefix(8))@redress.test", "password": worldPassword, "display_name": "s", "role": role]
                if let organization { body["organization_id"] = organization }
                let response = try await app.request(.post, "/api/v1/staff", token: admin, json: body)
                return (Int(response.status.code), response.json["invalid_fields"].array.compactMap { $0["reason"].string })
            }
            #expect(try await attempt("mediator", world.platformA) == (422, ["wrong_kind_for_role"]))
            #expect(try await attempt("platform_staff", nil) == (422, ["required"]))
            #expect(try await attempt("auditor", world.bodyA) == (422, ["not_allowed_for_role"]))
            #expect(try await attempt("consumer", nil) == (422, ["unknown_value"]))
            #expect(try await attempt("platform_staff", UUID().uuidString) == (422, ["unknown_organization"]))
            #expect(try await attempt("merchant_staff", world.merchantB).0 == 201)
        }
    }
}
