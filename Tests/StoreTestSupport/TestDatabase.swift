import Foundation
import Logging
import PostgresNIO
import RedressStore

/// Databases for tests, on the throw-away server that `make test` starts. The schema is migrated
/// once into a template; each test gets a fresh copy (`CREATE DATABASE … TEMPLATE …`), so tests are
/// isolated and fast. Only databases whose names start with `redress_test_` are ever created or
/// dropped, and only on a loopback server marked as a test server.
public actor TestDatabase {
    public static let shared = TestDatabase()

    public struct Copy: Sendable {
        public let ownerURL: DatabaseURL
        public let secrets: DatabaseSecrets
    }

    public enum Failure: Error, CustomStringConvertible {
        case notATestServer
        public var description: String {
            "these tests need the throw-away PostgreSQL of `make test` (DATABASE_URL on loopback and REDRESS_TEST_SERVER=1)"
        }
    }

    /// The keys of every test database of this process (digests in a copied template stay valid).
    public static let keys = Keyring.generated(id: "test")

    public static let logger: Logger = {
        var logger = Logger(label: "redress-tests")
        logger.logLevel = .warning
        return logger
    }()

    private var template: (url: DatabaseURL, secrets: DatabaseSecrets)?
    /// Templates made from the migrated one by a seeding function, by name, with what it returned.
    private var derivedTemplates: [String: (url: DatabaseURL, seeded: any Sendable)] = [:]
    /// CREATE DATABASE … TEMPLATE fails while another copy of the template is being made, and an
    /// actor lets a second call in at every await: this serialises them.
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    private func acquire() async {
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            busy = true
        }
    }

    private func release() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }

    /// The superuser address of the test server.
    public static func serverURL() throws -> DatabaseURL {
        let environment = ProcessInfo.processInfo.environment
        guard environment["REDRESS_TEST_SERVER"] == "1", let raw = environment["DATABASE_URL"], let url = DatabaseURL(raw),
            url.host == "127.0.0.1" || url.host == "localhost"
        else { throw Failure.notATestServer }
        return url
    }

    /// A new database with the current schema, the request role and the service's secrets.
    public func copy() async throws -> Copy {
        await acquire()
        defer { release() }
        let server = try Self.serverURL()
        let template = try await migratedTemplate(server)
        return try await Self.copy(of: template.url.database, secrets: template.secrets, server)
    }

    /// A new database like `copy()`, with what `seed` wrote into it: `seed` runs once, on a template
    /// named `redress_test_<name>`, and every later call copies that template and returns what the
    /// first call's `seed` returned.
    public func copy<Seeded: Sendable>(
        derived name: String, seed: @Sendable (Copy) async throws -> Seeded
    ) async throws -> (Copy, Seeded) {
        await acquire()
        defer { release() }
        let server = try Self.serverURL()
        let template = try await migratedTemplate(server)
        let derived: (url: DatabaseURL, seeded: any Sendable)
        if let known = derivedTemplates[name] {
            derived = known
        } else {
            let database = "redress_test_" + name
            try await Self.administer(server) { connection in
                try await connection.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(database) WITH (FORCE)"), logger: Self.logger)
            }
            try await Self.createDatabase(database, from: template.url.database, server)
            let target = Copy(
                ownerURL: server.with(database: database),
                secrets: DatabaseSecrets(requestURL: template.secrets.requestURL.with(database: database)))
            derived = (target.ownerURL, try await seed(target))
            derivedTemplates[name] = derived
        }
        guard let seeded = derived.seeded as? Seeded else { preconditionFailure("template \(name) was seeded with another type") }
        return (try await Self.copy(of: derived.url.database, secrets: template.secrets, server), seeded)
    }

    private static func copy(of template: String, secrets: DatabaseSecrets, _ server: DatabaseURL) async throws -> Copy {
        let name = "redress_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await createDatabase(name, from: template, server)
        return Copy(
            ownerURL: server.with(database: name),
            secrets: DatabaseSecrets(requestURL: secrets.requestURL.with(database: name)))
    }

    /// CREATE DATABASE … TEMPLATE, waiting a moment while the template's last connections end (the
    /// server notices a closed connection a little after the client).
    private static func createDatabase(_ name: String, from template: String, _ server: DatabaseURL) async throws {
        for attempt in 0..<50 {
            do {
                try await administer(server) { connection in
                    try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name) TEMPLATE \(template)"), logger: logger)
                }
                return
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "55006" && attempt < 49 {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    public func drop(_ copy: Copy) async throws {
        let server = try Self.serverURL()
        guard copy.ownerURL.database.hasPrefix("redress_test_") else { return }
        try await Self.administer(server) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(copy.ownerURL.database) WITH (FORCE)"), logger: Self.logger)
        }
    }

    private func migratedTemplate(_ server: DatabaseURL) async throws -> (url: DatabaseURL, secrets: DatabaseSecrets) {
        if let template { return template }
        let url = server.with(database: "redress_test_template")
        try await Self.administer(server) { connection in
            try await connection.query("DROP DATABASE IF EXISTS redress_test_template WITH (FORCE)", logger: Self.logger)
            try await connection.query("CREATE DATABASE redress_test_template", logger: Self.logger)
        }
        let secrets = try await Migrator(ownerURL: url, logger: Self.logger).run()
        template = (url, secrets)
        return (url, secrets)
    }

    /// Runs `body` on a connection to the server's `postgres` database as the superuser.
    @discardableResult
    public static func administer<T: Sendable>(_ server: DatabaseURL, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await connect(server.with(database: "postgres"), body)
    }

    /// Runs `body` on a connection to `url` (any role), closing it afterwards.
    @discardableResult
    public static func connect<T: Sendable>(_ url: DatabaseURL, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await PostgresConnection.connect(configuration: url.connectionConfiguration(), id: 2, logger: logger)
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }
}

extension PostgresConnection {
    /// The first column of the first row, or `nil` when there is no row.
    public func scalar<T: PostgresDecodable & Sendable>(_ query: PostgresQuery, as type: T.Type = T.self) async throws -> T? {
        for try await value in try await self.query(query, logger: TestDatabase.logger).decode(T.self) { return value }
        return nil
    }
}

/// Runs `body` on a fresh copy of the migrated schema (see `TestDatabase.copy()`), and drops it.
public func withTestDatabase<T: Sendable>(_ body: @Sendable (TestDatabase.Copy) async throws -> T) async throws -> T {
    let copy = try await TestDatabase.shared.copy()
    do {
        let result = try await body(copy)
        try? await TestDatabase.shared.drop(copy)
        return result
    } catch {
        try? await TestDatabase.shared.drop(copy)
        throw error
    }
}
