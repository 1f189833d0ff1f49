import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import RedressCore
import RedressStore
import StoreTestSupport
import Testing
import TestSupport

@Suite("Staff lifecycle")
struct StaffLifecycleTests {
    /// A disabled mediator's token is refused by another replica that had it cached for 5 minutes,
    /// as soon as PostgreSQL's announcement arrives — not when its cache entry runs out.
    @Test func disablingEndsSessionsOnEveryReplicaAtOnce() async throws {
        try await withTestApp(world: .seeded) { a in
            let world = try await a.makeWorld()
            var longCache = testConfiguration()
            longCache.sessionCacheSeconds = 300
            try await withTestApp(on: a.database, configuration: longCache) { b in
                let mediator = world.token("mediator_a"), mediatorID = world.accounts["mediator_a"]!.id
                #expect(try await b.request(.get, "/api/v1/me", token: mediator).status == .ok)
                // Control: a change nobody announces (an operator's hand in the database) is not seen
                // by B within its cache's lifetime: the cache is in use.
                try await a.asOwner { connection in
                    try await connection.query("UPDATE accounts SET disabled_at = now() WHERE id = \(UUID(uuidString: mediatorID)!)", logger: TestDatabase.logger)
                    try await connection.query("UPDATE accounts SET disabled_at = NULL WHERE id = \(UUID(uuidString: mediatorID)!)", logger: TestDatabase.logger)
                }
                #expect(try await b.request(.get, "/api/v1/me", token: mediator).status == .ok)

                let disabled = try await a.request(
                    .patch, "/api/v1/staff/\(mediatorID)", token: world.token("mediation_lead_a"), json: ["disabled": true])
                #expect(disabled.status == .ok, "\(disabled.text)")
                #expect(disabled.json["disabled"].bool == true)
                #expect(disabled.json["disabled_at"].string != nil)
                let start = ContinuousClock.now
                var refusedAfter: Duration? = nil
                while ContinuousClock.now - start < .seconds(10) {
                    if try await b.request(.get, "/api/v1/me", token: mediator).status == .unauthorized {
                        refusedAfter = ContinuousClock.now - start
                        break
                    }
                    try await Task.sleep(for: .milliseconds(2))
                }
                let delay = try #require(refusedAfter, "replica B still accepted the disabled mediator's token after 10 s")
                print("session end reached the other replica after \(delay.formatted(.units(allowed: [.milliseconds], fractionalPart: .show(length: 1))))")
                #expect(delay < .seconds(1))
            }
        }
    }

    @Test func aDisabledAccountCannotSignInUntilEnabledAndOldTokensStayEnded() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let staff = world.accounts["platform_staff_a"]!
            let admin = world.token("platform_admin_a")
            #expect(try await app.request(.patch, "/api/v1/staff/\(staff.id)", token: admin, json: ["disabled": true]).status == .ok)
            let refused = try await app.request(.post, "/api/v1/auth/login", json: ["email": staff.email, "password": worldPassword])
            #expect(refused.status == .forbidden)
            #expect(refused.json["code"].string == "account_disabled")
            // A wrong password does not learn that the account is disabled.
            let guessed = try await app.request(.post, "/api/v1/auth/login", json: ["email": staff.email, "password": "wrong password"])
            #expect(guessed.json["code"].string == "invalid_credentials")

            let enabled = try await app.request(.patch, "/api/v1/staff/\(staff.id)", token: admin, json: ["disabled": false])
            #expect(enabled.json["disabled"].bool == false)
            #expect(try await app.request(.get, "/api/v1/me", token: staff.token).status == .unauthorized)
            let fresh = try await app.login(staff.email)
            #expect(try await app.request(.get, "/api/v1/me", token: fresh).status == .ok)

            // Every change is on the administration chain with who made it, and no personal value.
            let events = try await app.asOwner { connection in
                try await connection.query(
                    "SELECT content FROM audit_events WHERE action = 'staff.update' AND chain_id = 'administration' ORDER BY seq",
                    logger: TestDatabase.logger
                ).collect().map { try $0.decode(String.self) }
            }
            #expect(events.count == 2)
            #expect(events.allSatisfy { $0.contains(world.accounts["platform_admin_a"]!.id.lowercased()) && $0.contains("\"disabled\"") })
            #expect(!events.joined().contains(staff.email))
        }
    }

    @Test func rolesChangeOnlyWithinWhatTheCallerMayGrant() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            func patch(_ target: String, as caller: String, _ body: [String: Any]) async throws -> TestResponse {
                try await app.request(.patch, "/api/v1/staff/\(world.accounts[target]!.id)", token: world.token(caller), json: body)
            }
            // A platform admin promotes his own staff; the staff's old token ends with the old role.
            let oldToken = world.token("platform_staff_a")
            let promoted = try await patch("platform_staff_a", as: "platform_admin_a", ["role": "platform_admin"])
            #expect(promoted.status == .ok, "\(promoted.text)")
            #expect(promoted.json["roles"][0]["role"].string == "platform_admin")
            #expect(try await app.request(.get, "/api/v1/me", token: oldToken).status == .unauthorized)
            // Another platform's staff is not his to see; a role of another kind of organisation is refused.
            #expect(try await patch("platform_staff_b", as: "platform_admin_a", ["disabled": true]).status == .notFound)
            let wrongKind = try await patch("merchant_staff_a", as: "platform_admin_a", ["role": "platform_staff"])
            #expect(wrongKind.status == .unprocessableContent)
            #expect(wrongKind.json["invalid_fields"][0]["reason"].string == "wrong_kind_for_organization")
            // A lead manages mediators, but may not make one a lead, nor touch himself.
            #expect(try await patch("mediator_a", as: "mediation_lead_a", ["role": "mediation_lead"]).status == .forbidden)
            #expect(try await patch("mediation_lead_a", as: "mediation_lead_a", ["disabled": true]).status == .forbidden)
            #expect(try await patch("mediator_b", as: "mediation_lead_a", ["disabled": true]).status == .notFound)
            // The system admin may; nobody else may manage staff at all; nobody becomes a consumer.
            #expect(try await patch("mediator_a", as: "admin", ["role": "mediation_lead"]).status == .ok)
            #expect(try await patch("admin", as: "admin", ["disabled": true]).status == .forbidden)
            #expect(try await patch("platform_admin_b", as: "platform_staff_b", ["disabled": true]).status == .forbidden)
            #expect(try await patch("platform_admin_b", as: "consumer", ["disabled": true]).status == .forbidden)
            #expect(try await patch("platform_admin_b", as: "admin", ["role": "consumer"]).status == .unprocessableContent)
            #expect(try await patch("platform_admin_b", as: "admin", [:]).status == .unprocessableContent)
            #expect(try await patch("platform_admin_b", as: "admin", ["disabled": "yes"]).status == .unprocessableContent)
        }
    }

    /// The database refuses what the application would: an account cannot re-role or re-enable itself,
    /// and a platform admin cannot re-role another platform's staff, even with SQL of its own.
    @Test func rowLevelSecurityBacksTheRules() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let adminA = UUID(uuidString: world.accounts["platform_admin_a"]!.id)!, platformA = UUID(uuidString: world.platformA)!
            let staffB = UUID(uuidString: world.accounts["platform_staff_b"]!.id)!
            let refusals = try await app.asRequestRole { connection -> [String] in
                var failures: [String] = []
                for (label, sql) in [
                    ("self", "UPDATE accounts SET role = 'platform_staff' WHERE id = '\(adminA)'"),
                    ("self-status", "UPDATE accounts SET disabled_at = now() WHERE id = '\(adminA)'"),
                ] {
                    try await connection.query("BEGIN", logger: TestDatabase.logger)
                    try await connection.query(
                        "SELECT set_config('redress.role', 'platform_admin', true), set_config('redress.account_id', \(adminA.uuidString), true), set_config('redress.organization_id', \(platformA.uuidString), true)",
                        logger: TestDatabase.logger)
                    do {
                        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger)
                    } catch {
                        failures.append(label)
                    }
                    try await connection.query("ROLLBACK", logger: TestDatabase.logger)
                }
                try await connection.query("BEGIN", logger: TestDatabase.logger)
                try await connection.query(
                    "SELECT set_config('redress.role', 'platform_admin', true), set_config('redress.account_id', \(adminA.uuidString), true), set_config('redress.organization_id', \(platformA.uuidString), true)",
                    logger: TestDatabase.logger)
                let changed = try await connection.query(
                    "UPDATE accounts SET role = 'platform_admin' WHERE id = \(staffB) RETURNING id", logger: TestDatabase.logger
                ).collect().count
                try await connection.query("ROLLBACK", logger: TestDatabase.logger)
                if changed == 0 { failures.append("other-platform") }
                return failures
            }
            #expect(refusals == ["self", "self-status", "other-platform"])
        }
    }

    /// The cases of a mediator who left go back to the lead's queue, and he can be given none again.
    @Test func aDisabledMediatorsCasesGoBackToTheLead() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let consumer = world.token("consumer"), lead = world.token("mediation_lead_a")
            let mediatorID = world.accounts["mediator_a"]!.id
            let id = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))
            try await app.step(id, "respond", as: world.token("platform_staff_a"), ["decision": "reject", "reason": "已发货"])
            try await app.step(id, "reject", as: consumer)
            try await app.step(id, "escalate", as: consumer, ["mediation_body_id": world.bodyA])
            try await app.step(id, "triage", as: world.token("mediator_a"), ["decision": "accept"])
            try await app.step(id, "assign", as: lead, ["mediator_id": mediatorID])
            let unassignedBefore = try await app.request(.get, "/api/v1/triage?unassigned=true", token: lead)
            #expect(unassignedBefore.json["items"].array.isEmpty)

            #expect(try await app.request(.patch, "/api/v1/staff/\(mediatorID)", token: world.token("admin"), json: ["disabled": true]).status == .ok)
            let released = try await app.request(.get, "/api/v1/complaints/\(id)", token: lead)
            #expect(released.json["state"].string == "in_mediation")
            #expect(released.json["mediator_id"].isNull)
            let queue = try await app.request(.get, "/api/v1/triage?unassigned=true", token: lead)
            #expect(queue.json["items"].array.map { $0["id"].string } == [id])
            let timeline = try await app.request(.get, "/api/v1/complaints/\(id)/timeline", token: lead)
            #expect(timeline.json["events"].array.contains { $0["action"].string == "complaint.unassign" }, "\(timeline.text)")

            let again = try await app.act(id, "assign", as: lead, ["mediator_id": mediatorID])
            #expect(again.status == .unprocessableContent)
            #expect(again.json["invalid_fields"][0]["reason"].string == "not_a_mediator_of_the_body")
            #expect(try await app.request(.get, "/api/v1/triage?unassigned=maybe", token: lead).status == .unprocessableContent)
        }
    }
}

@Suite("Own sessions and passwords")
struct OwnSessionTests {
    @Test func aPersonSeesAndEndsHisSessions() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let consumer = world.accounts["consumer"]!
            let phone = try await app.request(
                .post, "/api/v1/auth/login", json: ["email": consumer.email, "password": worldPassword],
                headers: [.userAgent: "Redress-Phone/1.0 (Android 15)\u{7}\u{1B}[31m" + String(repeating: "长", count: 300)])
            let phoneToken = try #require(phone.json["token"].string)
            let laptop = try await app.login(consumer.email)

            let listed = try await app.request(.get, "/api/v1/me/sessions", token: laptop)
            #expect(listed.status == .ok)
            let items = listed.json["items"].array
            #expect(items.count == 3)
            #expect(items.filter { $0["current"].bool == true }.count == 1)
            let phoneSession = try #require(items.first { $0["client_description"].string?.hasPrefix("Redress-Phone/1.0 (Android 15)") == true })
            let description = try #require(phoneSession["client_description"].string)
            #expect(description.unicodeScalars.count == 200)
            #expect(!description.unicodeScalars.contains { $0.value < 0x20 })
            #expect(phoneSession["last_used_at"].string != nil)
            #expect(listed.text.range(of: "token") == nil)

            // Nobody else sees them, nor can end them.
            let other = try await app.request(.get, "/api/v1/me/sessions", token: world.token("platform_admin_a"))
            #expect(!other.text.contains("Redress-Phone"))
            let phoneID = try #require(phoneSession["id"].string)
            #expect(try await app.request(.delete, "/api/v1/me/sessions/\(phoneID)", token: world.token("platform_admin_a")).status == .notFound)
            #expect(try await app.request(.get, "/api/v1/me", token: phoneToken).status == .ok)

            #expect(try await app.request(.delete, "/api/v1/me/sessions/\(phoneID)", token: laptop).status == .noContent)
            #expect(try await app.request(.get, "/api/v1/me", token: phoneToken).status == .unauthorized)
            #expect(try await app.request(.delete, "/api/v1/me/sessions/\(phoneID)", token: laptop).status == .notFound)

            let ended = try await app.request(.post, "/api/v1/me/sessions/end-others", token: laptop)
            #expect(ended.json["ended"].int == 1)
            #expect(try await app.request(.get, "/api/v1/me", token: consumer.token).status == .unauthorized)
            let remaining = try await app.request(.get, "/api/v1/me/sessions", token: laptop)
            #expect(remaining.json["items"].array.count == 1)
            #expect(remaining.json["items"][0]["current"].bool == true)
        }
    }

    /// A token unused for longer than the idle timeout ends before its lifetime; one in use does not.
    @Test func idleSessionsEnd() async throws {
        let clock = ManualClock("2026-09-24T10:00:00+08:00")
        var configuration = testConfiguration(clock: clock)
        configuration.sessionIdleTimeout = .seconds(30 * 60)
        configuration.sessionCacheSeconds = 0
        try await withTestApp(configuration: configuration) { app in
            _ = try await app.createConsumer(["email": "idle@redress.test", "password": worldPassword, "display_name": "I"])
            let idle = try await app.login("idle@redress.test")
            let busy = try await app.login("idle@redress.test")
            for _ in 0..<4 {
                clock.advance(by: .seconds(20 * 60))
                #expect(try await app.request(.get, "/api/v1/me", token: busy).status == .ok)
            }
            // 80 minutes: the lifetime is 12 hours, but the idle token ended after 30.
            #expect(try await app.request(.get, "/api/v1/me", token: idle).status == .unauthorized)
            let listed = try await app.request(.get, "/api/v1/me/sessions", token: busy)
            #expect(listed.json["items"].array.count == 1)
        }
    }

    @Test func changingOnesPasswordEndsEveryOtherSession() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let consumer = world.accounts["consumer"]!
            let current = try await app.login(consumer.email)
            func change(_ body: [String: Any]) async throws -> TestResponse {
                try await app.request(.post, "/api/v1/me/password", token: current, json: body)
            }
            let wrong = try await change(["current_password": "not it at all", "new_password": "a brand new passphrase"])
            #expect(wrong.status == .unprocessableContent)
            #expect(wrong.json["invalid_fields"][0]["field"].string == "current_password")
            #expect(wrong.json["invalid_fields"][0]["reason"].string == "incorrect")
            let common = try await change(["current_password": worldPassword, "new_password": "baseball1"])
            #expect(common.json["invalid_fields"][0]["reason"].string == "common_password")
            let same = try await change(["current_password": worldPassword, "new_password": worldPassword])
            #expect(same.json["invalid_fields"][0]["reason"].string == "same_as_current")
            #expect(try await change(["current_password": String(repeating: "x", count: 10_000), "new_password": "a brand new passphrase"]).status
                == .unprocessableContent)

            #expect(try await change(["current_password": worldPassword, "new_password": "a brand new passphrase"]).status == .noContent)
            #expect(try await app.request(.get, "/api/v1/me", token: consumer.token).status == .unauthorized)
            #expect(try await app.request(.get, "/api/v1/me", token: current).status == .ok)
            #expect(try await app.request(.post, "/api/v1/auth/login", json: ["email": consumer.email, "password": worldPassword]).status == .unauthorized)
            _ = try await app.login(consumer.email, password: "a brand new passphrase")
        }
    }

    /// A stolen token is no way to guess the password: wrong current passwords are throttled like sign-ins.
    @Test func guessingTheCurrentPasswordIsThrottled() async throws {
        var configuration = testConfiguration()
        configuration.loginThrottle.perAccount = 3
        configuration.loginThrottle.perAccountAndAddress = 3
        try await withTestApp(configuration: configuration) { app in
            _ = try await app.createConsumer(["email": "victim@redress.test", "password": worldPassword, "display_name": "V"])
            let stolen = try await app.login("victim@redress.test")
            var statuses: [HTTPResponse.Status] = []
            for attempt in 0..<5 {
                let response = try await app.request(
                    .post, "/api/v1/me/password", token: stolen, json: ["current_password": "guess number \(attempt)", "new_password": "taken over for good"])
                statuses.append(response.status)
            }
            #expect(statuses.prefix(3).allSatisfy { $0 == .unprocessableContent })
            #expect(statuses.last == .tooManyRequests)
        }
    }

    @Test func aForcedResetEndsSessionsAndTheNextSignInChoosesAPassword() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let staff = world.accounts["merchant_staff_a"]!
            let reset = try await app.request(.post, "/api/v1/staff/\(staff.id)/password-reset", token: world.token("platform_admin_a"))
            #expect(reset.status == .ok, "\(reset.text)")
            let temporary = try #require(reset.json["temporary_password"].string)
            #expect(temporary.count >= 20)
            #expect(reset.json["account"]["must_change_password"].bool == true)
            #expect(try await app.request(.get, "/api/v1/me", token: staff.token).status == .unauthorized)
            #expect(try await app.request(.post, "/api/v1/auth/login", json: ["email": staff.email, "password": worldPassword]).status == .unauthorized)

            let blocked = try await app.request(.post, "/api/v1/auth/login", json: ["email": staff.email, "password": temporary])
            #expect(blocked.status == .forbidden)
            #expect(blocked.json["code"].string == "password_change_required")
            let weak = try await app.request(.post, "/api/v1/auth/login", json: ["email": staff.email, "password": temporary, "new_password": "password"])
            #expect(weak.status == .unprocessableContent)
            let chosen = try await app.request(
                .post, "/api/v1/auth/login", json: ["email": staff.email, "password": temporary, "new_password": "merchant's own passphrase"])
            #expect(chosen.status == .ok, "\(chosen.text)")
            #expect(chosen.json["account"]["must_change_password"].bool == false)
            // The temporary password is spent.
            #expect(try await app.request(.post, "/api/v1/auth/login", json: ["email": staff.email, "password": temporary]).status == .unauthorized)
            _ = try await app.login(staff.email, password: "merchant's own passphrase")
            // Only whoever could create the account may reset it.
            #expect(try await app.request(.post, "/api/v1/staff/\(staff.id)/password-reset", token: world.token("platform_admin_b")).status == .notFound)
            #expect(try await app.request(.post, "/api/v1/staff/\(staff.id)/password-reset", token: world.token("mediation_lead_a")).status == .notFound)
        }
    }
}
