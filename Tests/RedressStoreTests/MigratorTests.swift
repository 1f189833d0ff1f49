import Foundation
import PostgresNIO
@testable import RedressStore
import StoreTestSupport
import Testing

@Suite("Migrations")
struct MigratorTests {
    /// A fresh, empty database on the test server; dropped afterwards.
    /// Roles belong to the whole server: each test's database gets a request role of its own, so that
    /// setting its password does not change that of the role the other tests use.
    static func ownRole() throws -> DatabaseURL {
        try TestDatabase.serverURL().with(username: "redress_req_" + UUID().uuidString.prefix(8).lowercased(), password: nil)
    }

    static func withEmptyDatabase(_ body: (DatabaseURL) async throws -> Void) async throws {
        let server = try TestDatabase.serverURL()
        let name = "redress_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await TestDatabase.administer(server) { try await $0.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: TestDatabase.logger) }
        do {
            try await body(server.with(database: name))
        } catch {
            _ = try? await TestDatabase.administer(server) { try await $0.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"), logger: TestDatabase.logger) }
            throw error
        }
        try await TestDatabase.administer(server) { try await $0.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"), logger: TestDatabase.logger) }
    }

    static func appliedCount(_ url: DatabaseURL) async throws -> Int {
        try await TestDatabase.connect(url) { try await $0.scalar("SELECT count(*)::int FROM redress_private.schema_migrations") } ?? -1
    }

    @Test func concurrentMigrationsApplyEachFileOnceAndAgreeOnSecrets() async throws {
        let role = try Self.ownRole()
        try await Self.withEmptyDatabase { url in
            let results = try await withThrowingTaskGroup(of: DatabaseSecrets.self) { group in
                for _ in 0..<3 { group.addTask { [role] in try await Migrator(ownerURL: url, requestURL: role, logger: TestDatabase.logger).run() } }
                var all: [DatabaseSecrets] = []
                for try await secrets in group { all.append(secrets) }
                return all
            }
            let files = try Migrator(ownerURL: url, requestURL: role, logger: TestDatabase.logger).migrationFiles().count
            #expect(try await Self.appliedCount(url) == files)
            #expect(Set(results.map { $0.requestURL.password ?? "" }).count == 1)
            // Running again applies nothing and keeps the same secrets.
            let again = try await Migrator(ownerURL: url, requestURL: role, logger: TestDatabase.logger).run()
            #expect(again.requestURL.password == results[0].requestURL.password)
            // No key is kept in the database: the keys live outside it (Keyring).
            let keys = try await TestDatabase.connect(url) {
                try await $0.scalar("SELECT count(*)::int FROM redress_private.secrets WHERE name = 'audit_key'", as: Int.self)
            }
            #expect(keys == 0)
            #expect(try await Self.appliedCount(url) == files)
            // The request role can log in with what migration handed out.
            let user = try await TestDatabase.connect(again.requestURL) { try await $0.scalar("SELECT current_user::text", as: String.self) }
            #expect(user == role.username)
        }
    }

    @Test func anAppliedFileThatChangedIsAnErrorNamingIt() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("schema-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for file in try FileManager.default.contentsOfDirectory(atPath: Migrator.bundledSchema.path) {
            try FileManager.default.copyItem(at: Migrator.bundledSchema.appendingPathComponent(file), to: folder.appendingPathComponent(file))
        }
        let role = try Self.ownRole()
        try await Self.withEmptyDatabase { url in
            try await Migrator(ownerURL: url, requestURL: role, schemaDirectory: folder, logger: TestDatabase.logger).run()
            let first = folder.appendingPathComponent("0001_foundation.sql")
            try (try String(contentsOf: first, encoding: .utf8) + "\n-- edited\n").write(to: first, atomically: true, encoding: .utf8)
            do {
                try await Migrator(ownerURL: url, requestURL: role, schemaDirectory: folder, logger: TestDatabase.logger).run()
                Issue.record("an edited migration was accepted")
            } catch let failure as Migrator.Failure {
                #expect("\(failure)".contains("0001_foundation.sql"))
            }
        }
    }

    @Test func aFailingFileIsRolledBackAndNamed() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("schema-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "CREATE TABLE first_table (id int);\nCREATE TABLE broken (;\n".write(
            to: folder.appendingPathComponent("0001_broken.sql"), atomically: true, encoding: .utf8)
        let role = try Self.ownRole()
        try await Self.withEmptyDatabase { url in
            do {
                try await Migrator(ownerURL: url, requestURL: role, schemaDirectory: folder, logger: TestDatabase.logger).run()
                Issue.record("a broken migration was accepted")
            } catch let failure as Migrator.Failure {
                #expect("\(failure)".contains("0001_broken.sql"))
            }
            let tables = try await TestDatabase.connect(url) { try await $0.scalar("SELECT count(*)::int FROM pg_tables WHERE tablename = 'first_table'", as: Int.self) }
            #expect(tables == 0)
        }
    }

    @Test func scriptsSplitOnlyBetweenStatements() {
        let script = """
            -- a comment; with a semicolon
            CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$ SELECT 'a;b' $$;
            INSERT INTO t VALUES ('it''s; fine', "odd;name"); /* block; comment */
            DO $body$ BEGIN PERFORM 1; END $body$;
            """
        let statements = SQLScript.statements(in: script)
        #expect(statements.count == 3)
        #expect(statements[0].hasSuffix("$$ SELECT 'a;b' $$"))
        #expect(statements[2].hasSuffix("DO $body$ BEGIN PERFORM 1; END $body$"))
    }
}
