import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import TestSupport

/// What `make fuzz` found, kept found: each request here once answered 404, 400, 500 or 200 where the
/// document promised something else.
@Suite("Fuzzing's findings")
struct FuzzFindingsTests {
    func send(_ app: TestApp, _ method: HTTPRequest.Method, _ path: String, token: String?, raw: String) async throws -> TestResponse {
        try await app.request(method, path, token: token, headers: [.contentType: "application/json"], rawBody: ByteBuffer(string: raw))
    }

    func reason(_ response: TestResponse) -> String? {
        response.json["invalid_fields"].array.first.map { "\($0["field"].string ?? "") \($0["reason"].string ?? "")" }
    }

    @Test func valuesNoSwiftTypeHoldsAreTheClientsMistakeNotMalformedJSON() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let id = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            let respond = "/api/v1/complaints/\(id)/actions/respond"
            let huge = try await send(app, .post, respond, token: world.token("platform_staff_a"),
                                      raw: #"{"decision": "propose", "proposal": {"compensation": 86256405414084902912}}"#)
            #expect(huge.status == .unprocessableContent)
            #expect(reason(huge) == "proposal.compensation out_of_range", "\(huge.text)")
            let surrogate = try await send(app, .post, "/api/v1/auth/login", token: nil, raw: #"{"email": "a\ud800@x.cn", "password": "x"}"#)
            #expect(reason(surrogate) == "body invalid_unicode", "\(surrogate.text)")
            let nul = try await send(app, .post, "/api/v1/auth/login", token: nil, raw: #"{"email": "a\u0000@x.cn", "password": "x"}"#)
            #expect(nul.status == .unprocessableContent, "\(nul.text)")  // once a 500: PostgreSQL refuses NUL in text
            #expect(reason(nul) == "email control_characters")
            let broken = try await send(app, .post, "/api/v1/auth/login", token: nil, raw: #"{"email": "#)
            #expect(broken.status == .badRequest)
        }
    }

    @Test func nullIsRefusedUnlessItClearsAField() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let id = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            let message = try await send(app, .post, "/api/v1/complaints/\(id)/messages", token: world.token("consumer"), raw: #"{"body": "你好", "visibility": null}"#)
            #expect(reason(message) == "visibility null_not_allowed", "\(message.text)")
            let platform = "/api/v1/platforms/\(world.platformA)"
            let set = try await send(app, .patch, platform, token: world.token("platform_admin_a"), raw: #"{"website": "https://a.example.cn"}"#)
            #expect(set.json["website"].string == "https://a.example.cn")
            let cleared = try await send(app, .patch, platform, token: world.token("platform_admin_a"), raw: #"{"website": null}"#)
            #expect(cleared.status == .ok && cleared.json["website"].isNull, "\(cleared.text)")
            let empty = try await send(app, .patch, platform, token: world.token("platform_admin_a"), raw: #"{"website": ""}"#)
            #expect(reason(empty) == "website invalid_url")
            let days = try await send(app, .patch, platform, token: world.token("platform_admin_a"), raw: #"{"response_days": null}"#)
            #expect(reason(days) == "response_days null_not_allowed")
        }
    }

    @Test func aKnownPathAskedWithAnotherMethodIs405WithAllow() async throws {
        try await withTestApp { app in
            let trace = try await app.request(.trace, "/ready")
            #expect(trace.status == .methodNotAllowed)
            #expect(trace.headers[.allow] == "GET, HEAD")
            #expect(trace.json["code"].string == "method_not_allowed")
            let delete = try await app.request(.delete, "/api/v1/complaints")
            #expect(delete.status == .methodNotAllowed)
            #expect(delete.headers[.allow] == "GET, HEAD, POST")
            #expect(try await app.request(.head, "/health").status == .ok)
            #expect(try await app.request(.get, "/no/such/path").status == .notFound)
            // Query values are checked too.
            let world = try await app.makeWorld()
            #expect(try await app.request(.get, "/api/v1/triage?assigned_to_me=yes", token: world.token("mediator_a")).status == .unprocessableContent)
        }
    }
}
