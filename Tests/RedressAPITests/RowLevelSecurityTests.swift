import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import RedressAPI
import RedressCore
@testable import RedressStore
import StoreTestSupport
import Testing
import TestSupport

/// Proofs from the database's side: whatever the application does, the request role cannot see or
/// change what row-level security does not allow.
@Suite("Row-level security")
struct RowLevelSecurityTests {
    static func values<T: PostgresDecodable & Sendable>(_ connection: PostgresConnection, _ query: PostgresQuery, as: T.Type) async throws -> [T] {
        var result: [T] = []
        for try await value in try await connection.query(query, logger: TestDatabase.logger).decode(T.self) { result.append(value) }
        return result
    }

    @Test func theRequestRoleIsNeitherOwnerNorSuperuserNorBypassesRowSecurity() async throws {
        try await withTestApp { app in
            try await app.asRequestRole { connection in
                let attributes = try await Self.values(
                    connection, "SELECT rolsuper OR rolbypassrls OR rolcreaterole OR rolcreatedb OR rolreplication FROM pg_roles WHERE rolname = current_user",
                    as: Bool.self)
                #expect(attributes == [false])
                let owned = try await Self.values(
                    connection,
                    """
                    SELECT (SELECT count(*) FROM pg_class WHERE relowner = r.oid) + (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid)
                         + (SELECT count(*) FROM pg_proc WHERE proowner = r.oid) + (SELECT count(*) FROM pg_type WHERE typowner = r.oid)
                    FROM pg_roles r WHERE r.rolname = current_user
                    """, as: Int.self)
                #expect(owned == [0])
                // An injected RESET ROLE changes nothing: the pool logs in as the request role itself.
                try await connection.query("RESET ROLE", logger: TestDatabase.logger)
                #expect(try await Self.values(connection, "SELECT current_user::text", as: String.self) == ["redress_request"])
                await #expect(throws: (any Error).self) {
                    try await connection.query("CREATE TABLE sneaky (id int)", logger: TestDatabase.logger)
                }
                await #expect(throws: (any Error).self) {
                    try await connection.query("SELECT count(*) FROM redress_private.secrets", logger: TestDatabase.logger)
                }
            }
        }
    }

    /// Read from pg_class, so that a table added later without row security fails here.
    @Test func everyTableTheRequestRoleCanReachHasForcedRowSecurity() async throws {
        try await withTestApp { app in
            let tables = try await app.asRequestRole { connection in
                try await Self.values(
                    connection,
                    """
                    SELECT c.relname::text || ':' || c.relrowsecurity::text || ':' || c.relforcerowsecurity::text
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
                      AND (has_table_privilege(c.oid, 'SELECT') OR has_table_privilege(c.oid, 'INSERT')
                           OR has_table_privilege(c.oid, 'UPDATE') OR has_table_privilege(c.oid, 'DELETE'))
                    """, as: String.self)
            }
            #expect(tables.count >= 8)
            for table in tables { #expect(table.hasSuffix(":true:true"), "\(table)") }
        }
    }

    /// A view reads its tables as its owner unless it is a security-invoker view; the owner here may
    /// be a superuser, whom row-level security never stops. So every view the request role can read
    /// must read as the caller.
    @Test func everyViewTheRequestRoleCanReadReadsAsTheCaller() async throws {
        try await withTestApp { app in
            let views = try await app.asRequestRole { connection in
                try await Self.values(
                    connection,
                    """
                    SELECT c.relname::text || ':' || coalesce('security_invoker=true' = ANY (c.reloptions), false)::text
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'public' AND c.relkind IN ('v', 'm') AND has_table_privilege(c.oid, 'SELECT')
                    """, as: String.self)
            }
            #expect(views.contains("redress_complaint_rows:true"))
            for view in views { #expect(view.hasSuffix(":true"), "\(view)") }
        }
    }

    @Test func withNoIdentityTheRequestRoleReadsNothingAndGetsNoError() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            // A webhook endpoint, so that the complaint below leaves a delivery for it.
            #expect(try await app.request(
                .post, "/api/v1/webhooks", token: world.token("platform_admin_a"),
                json: ["url": "https://93.184.215.14/hook", "event_types": ["*"]]).status == .created)
            // Terms with an unfair clause, so that the complaint below is flagged.
            #expect(try await app.request(
                .post, "/api/v1/platforms/\(world.platformA)/terms", token: world.token("platform_admin_a"),
                json: ["effective_from": "2020-01-01", "clauses": ["一经售出，概不退换"]]).status == .created)
            // A complaint (filed with an idempotency key), so that those tables have rows too.
            let filed = try await app.request(
                .post, "/api/v1/complaints", token: world.token("consumer"), json: app.complaintBody(world), headers: [.init("Idempotency-Key")!: "rls-proof"])
            #expect(filed.status == .created)
            let complaintID = try #require(filed.json["id"].string)
            #expect(try await app.request(
                .post, "/api/v1/complaints/\(complaintID)/messages", token: world.token("consumer"), json: ["body": "请处理"]).status == .created)
            #expect(try await app.request(
                .post, "/api/v1/complaints/\(complaintID)/evidence?kind=other&filename=a.txt", token: world.token("consumer"),
                headers: [.contentType: "text/plain"], rawBody: .init(string: "订单截图说明")).status == .created)
            // An answer, so that the response times have a row.
            #expect(try await app.request(
                .post, "/api/v1/complaints/\(complaintID)/actions/respond", token: world.token("platform_staff_a"),
                json: ["decision": "reject", "reason": "已发货"]).status == .ok)
            // Accepted and rated, so that the ratings by month have a row.
            try await app.step(complaintID, "accept", as: world.token("consumer"))
            try await app.step(complaintID, "rate", as: world.token("consumer"), ["rating": 3])
            // A second factor, so that the recovery codes have rows.
            let secret = try #require(try await app.request(.post, "/api/v1/me/second-factor", token: world.token("consumer"), json: ["password": worldPassword]).json["secret"].string)
            #expect(try await app.request(
                .post, "/api/v1/me/second-factor/confirm", token: world.token("consumer"),
                json: ["code": Authenticator.code(base32: secret, at: Date())]).status == .ok)
            _ = try await app.store.transaction(as: .commandLine, origin: .commandLine) { try await $0.anchorAuditChains() }
            // A reset link, and a registration waiting for its address to be verified.
            #expect(try await app.request(.post, "/api/v1/auth/password-reset", json: ["email": "consumer@redress.test"]).status == .accepted)
            #expect(try await app.request(
                .post, "/api/v1/auth/register", json: ["email": "waiting@redress.test", "password": worldPassword, "display_name": "W"]).status == .accepted)
            // A mail setting, and a mail queued.
            #expect(try await app.request(
                .patch, "/api/v1/me/notifications", token: world.token("consumer"), json: ["categories": ["messages": false]]).status == .ok)
            let notifier = MailService(database: app.store, settings: MailSettings(), logger: TestDatabase.logger)
            let start = ContinuousClock.now
            while try await app.asOwner({ try await $0.scalar("SELECT count(*)::int FROM mail_outbox", as: Int.self) }) ?? 0 == 0,
                ContinuousClock.now - start < .seconds(10)
            {
                _ = try await notifier.notifyOnce()
                try await Task.sleep(for: .milliseconds(50))
            }
            // An event still waiting in the notification queue; a case naming a merchant, for its record.
            var namingMerchant = app.complaintBody(world)
            namingMerchant["merchant_id"] = world.merchantA
            _ = try await app.create("/api/v1/complaints", token: world.token("consumer"), namingMerchant)
            // A cluster of the two cases naming the merchant, then one more waiting to be compared; a collective case.
            _ = try await app.create("/api/v1/complaints", token: world.token("consumer"), namingMerchant)
            _ = try await ClusterJob(database: app.store, interval: .seconds(60), logger: TestDatabase.logger).runOnce()
            _ = try await app.create("/api/v1/complaints", token: world.token("consumer"), namingMerchant)
            try await app.asOwner {
                _ = try await $0.query(
                    """
                    INSERT INTO collective_cases (id, mediation_body_id, mediator_id, title, created_by, created_at)
                    VALUES (gen_random_uuid(), \(UUID(uuidString: world.bodyA)!), \(UUID(uuidString: world.accounts["mediator_a"]!.id)!), '集体',
                            \(UUID(uuidString: world.accounts["mediation_lead_a"]!.id)!), now())
                    """, logger: TestDatabase.logger
                ).collect()
            }
            // A deadline warned of, as the deadline job does a working day ahead.
            try await app.asOwner {
                try await $0.query("INSERT INTO deadline_warnings SELECT id, now(), now() FROM complaints LIMIT 1")
            }
            let tables = try await app.asRequestRole { connection in
                try await Self.values(
                    connection,
                    """
                    SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'public' AND c.relkind = 'r' AND has_table_privilege(c.oid, 'SELECT')
                    """, as: String.self)
            }
            #expect(Set(tables).isSuperset(of: ["accounts", "sessions", "organizations", "platforms", "audit_events", "login_failures"]))
            for table in tables {
                let ownerCount = try await app.asOwner { try await Self.values($0, PostgresQuery(unsafeSQL: "SELECT count(*)::int FROM \(table)"), as: Int.self) }
                let requestCount = try await app.asRequestRole {
                    try await Self.values($0, PostgresQuery(unsafeSQL: "SELECT count(*)::int FROM \(table)"), as: Int.self)
                }
                #expect(requestCount == [0], "\(table)")
                if table != "login_failures" { #expect(ownerCount.first ?? 0 > 0, "\(table) should have rows for this proof to mean anything") }
            }
        }
    }

    @Test func platformAsIdentitySeesNoneOfPlatformBsPeople() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let adminA = try #require(world.accounts["platform_admin_a"])
            let identity = DatabaseIdentity(
                role: "platform_admin", accountID: UUID(uuidString: adminA.id), organizationID: UUID(uuidString: world.platformA))
            let (ownStaff, otherStaff, otherSessions, otherAudit) = try await app.store.transaction(as: identity, origin: .commandLine) { transaction in
                func count(_ query: PostgresQuery) async throws -> Int {
                    for try await value in try await transaction.query(query).decode(Int.self) { return value }
                    return -1
                }
                let platformB = UUID(uuidString: world.platformB)!, merchantB = UUID(uuidString: world.merchantB)!
                let platformA = UUID(uuidString: world.platformA)!
                return (
                    try await count("SELECT count(*)::int FROM accounts WHERE organization_id = \(platformA)"),
                    // No WHERE at all: row-level security alone must hide B's accounts.
                    try await count("SELECT count(*)::int FROM accounts WHERE organization_id IN (\(platformB), \(merchantB))"),
                    try await count("SELECT count(*)::int FROM sessions s WHERE s.account_id <> \(UUID(uuidString: adminA.id)!)"),
                    try await count("SELECT count(*)::int FROM audit_events")
                )
            }
            #expect(ownStaff == 2)
            #expect(otherStaff == 0)
            #expect(otherSessions == 0)
            #expect(otherAudit == 1)  // its own login, on its own account's chain
            let everything = try await app.store.transaction(as: identity, origin: .commandLine) { transaction in
                var count = 0
                for try await _ in try await transaction.query("SELECT id FROM accounts") { count += 1 }
                return count
            }
            #expect(everything == 3)  // A's two platform accounts and the staff of A's merchant
        }
    }

    @Test func theDatabaseRefusesWritesThePolicyLayerWouldRefuse() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let adminB = try #require(world.accounts["platform_admin_b"])
            let identity = DatabaseIdentity(
                role: "platform_admin", accountID: UUID(uuidString: adminB.id), organizationID: UUID(uuidString: world.platformB))
            await #expect(throws: RedressError.forbidden) {
                try await app.store.transaction(as: identity, origin: .commandLine) { transaction in
                    try await transaction.insertMerchant(
                        MerchantRecord(platformID: UUID(uuidString: world.platformA)!, name: "跨平台", shopURL: nil, createdAt: transaction.now),
                        actor: AuditActor(accountID: UUID(uuidString: adminB.id), role: "platform_admin", organizationID: UUID(uuidString: world.platformB)))
                }
            }
            let updated = try await app.store.transaction(as: identity, origin: .commandLine) { transaction in
                var count = 0
                for try await _ in try await transaction.query(
                    "UPDATE platforms SET response_days = 30 WHERE id = \(UUID(uuidString: world.platformA)!) RETURNING id")
                { count += 1 }
                return count
            }
            #expect(updated == 0)
        }
    }
}
