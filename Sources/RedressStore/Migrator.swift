import Crypto
import Foundation
import Logging
import PostgresNIO

/// Applies the numbered SQL files of `Schema/` in order, each in its own transaction, under an
/// advisory lock so that replicas starting together cannot race; then makes sure the request role
/// exists and the service's secrets are there. Runs on the owner connection, the only work it is used for.
public struct Migrator: Sendable {
    public enum Failure: Error, CustomStringConvertible {
        case changedSinceApplied(file: String)
        case fileFailed(file: String, underlying: String)
        case schemaMissing(String)
        case invalidRoleName(String)
        case secretUnavailable(String)
        case roleSetupFailed(role: String, reason: String)

        public var description: String {
            switch self {
            case .changedSinceApplied(let file):
                "migration \(file) has changed since it was applied; add a new migration instead of editing it"
            case .fileFailed(let file, let underlying): "migration \(file) failed: \(underlying)"
            case .schemaMissing(let path): "no migrations found in \(path)"
            case .invalidRoleName(let name): "invalid request role name \(name): use lower-case letters, digits and _"
            case .roleSetupFailed(let role, let reason): "the request role \(role) could not be set up: \(reason)"
            case .secretUnavailable(let name): "the secret \(name) could not be read back from redress_private.secrets"
            }
        }
    }

    /// An arbitrary constant: the key of the advisory lock that serialises migrations.
    static let lockKey: Int64 = 0x5245_4452_4553_5301

    public let ownerURL: DatabaseURL
    /// Credentials the operator chose for the request role (`REDRESS_REQUEST_DATABASE_URL`), if any.
    public let requestURL: DatabaseURL?
    public let schemaDirectory: URL
    public let logger: Logger

    public init(ownerURL: DatabaseURL, requestURL: DatabaseURL? = nil, schemaDirectory: URL = Migrator.bundledSchema, logger: Logger) {
        self.ownerURL = ownerURL
        self.requestURL = requestURL
        self.schemaDirectory = schemaDirectory
        self.logger = logger
    }

    public static var bundledSchema: URL {
        Bundle.module.url(forResource: "Schema", withExtension: nil)!
    }

    /// Migrates and returns what the service needs to run: the request role's address and the audit key.
    @discardableResult
    public func run() async throws -> DatabaseSecrets {
        let files = try migrationFiles()
        let connection = try await PostgresConnection.connect(
            configuration: ownerURL.connectionConfiguration(), id: 1, logger: logger)
        do {
            // Read to the end: a statement's error (a timeout while waiting) can follow its row description.
            for try await _ in try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger) {}
            let secrets = try await migrate(files: files, on: connection)
            try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
            try await connection.close()
            return secrets
        } catch {
            try? await connection.close()
            throw error
        }
    }

    func migrationFiles() throws -> [(name: String, sql: String)] {
        let names = try FileManager.default.contentsOfDirectory(atPath: schemaDirectory.path)
            .filter { $0.hasSuffix(".sql") }
            .sorted()
        guard !names.isEmpty else { throw Failure.schemaMissing(schemaDirectory.path) }
        return try names.map { name in
            (name, try String(contentsOf: schemaDirectory.appendingPathComponent(name), encoding: .utf8))
        }
    }

    private func migrate(files: [(name: String, sql: String)], on connection: PostgresConnection) async throws -> DatabaseSecrets {
        try await execute(
            """
            CREATE SCHEMA IF NOT EXISTS redress_private;
            REVOKE ALL ON SCHEMA redress_private FROM PUBLIC;
            CREATE TABLE IF NOT EXISTS redress_private.schema_migrations (
                name text PRIMARY KEY,
                sha256 text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE IF NOT EXISTS redress_private.secrets (
                name text PRIMARY KEY,
                value text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            """, on: connection)
        var applied: [String: String] = [:]
        for try await (name, digest) in try await connection.query(
            "SELECT name, sha256 FROM redress_private.schema_migrations", logger: logger
        ).decode((String, String).self) {
            applied[name] = digest
        }
        for file in files {
            let digest = SHA256.hash(data: Data(file.sql.utf8)).hexString
            if let recorded = applied[file.name] {
                guard recorded == digest else { throw Failure.changedSinceApplied(file: file.name) }
                continue
            }
            do {
                try await connection.query("BEGIN", logger: logger)
                try await execute(file.sql, on: connection)
                try await connection.query(
                    "INSERT INTO redress_private.schema_migrations (name, sha256) VALUES (\(file.name), \(digest))",
                    logger: logger)
                try await connection.query("COMMIT", logger: logger)
                logger.info("applied migration", metadata: ["file": "\(file.name)"])
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw Failure.fileFailed(file: file.name, underlying: String(reflecting: error))
            }
        }
        let requestURL = try await ensureRequestRole(on: connection)
        return DatabaseSecrets(requestURL: requestURL)
    }

    /// Creates the login role the service's request pool uses, or brings it in line: no superuser,
    /// no BYPASSRLS, owning nothing, with its grants only through membership of `redress_app`.
    private func ensureRequestRole(on connection: PostgresConnection) async throws -> DatabaseURL {
        let name = requestURL?.username ?? "redress_request"
        guard name.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) != nil else {
            throw Failure.invalidRoleName(name)
        }
        let password: String
        if let given = requestURL?.password {
            password = given
        } else {
            password = try await secret(named: "request_role_password", on: connection) { SecureRandom.token(bytes: 24) }
        }
        let literal = "'" + password.replacingOccurrences(of: "'", with: "''") + "'"
        let database = ownerURL.database.replacingOccurrences(of: "\"", with: "\"\"")
        // Roles are shared by every database of the server, so migrations of other databases may be
        // setting up the same role at this moment: a lost race is retried.
        for attempt in 1...5 {
            do {
                let exists = try await connection.query(
                    "SELECT 1 FROM pg_roles WHERE rolname = \(name)", logger: logger
                ).collect().count > 0
                // Role statements take no bound parameters: the name is checked above, the password
                // quoted. ALTER may not even mention SUPERUSER, REPLICATION or BYPASSRLS unless the
                // owner is a superuser, so an existing role's attributes are checked below instead.
                let roleStatement =
                    exists
                    ? "ALTER ROLE \"\(name)\" WITH LOGIN INHERIT NOCREATEDB NOCREATEROLE PASSWORD \(literal)"
                    : "CREATE ROLE \"\(name)\" WITH LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD \(literal)"
                try await execute(
                    """
                    \(roleStatement);
                    GRANT redress_app TO "\(name)";
                    GRANT CONNECT ON DATABASE "\(database)" TO "\(name)";
                    """, on: connection)
                break
            } catch let error as PSQLError {
                let state = error.serverInfo?[.sqlState] ?? ""
                if attempt < 5 && ["23505", "42710", "XX000", "40001"].contains(state) {
                    try await Task.sleep(for: .milliseconds(50 * attempt))
                    continue
                }
                // Never rethrow the error itself: its query holds the password.
                throw Failure.roleSetupFailed(role: name, reason: "\(state) \(error.serverInfo?[.message] ?? "unknown error")")
            }
        }
        var privileged = true
        let rows = try await connection.query(
            "SELECT rolsuper OR rolbypassrls OR rolreplication FROM pg_roles WHERE rolname = \(name)", logger: logger)
        for try await flag in rows.decode(Bool.self) { privileged = flag }
        if privileged {
            throw Failure.roleSetupFailed(role: name, reason: "it is a superuser or may bypass row-level security or replicate; remove those attributes")
        }
        return (requestURL ?? ownerURL).with(username: name, password: password)
    }

    /// Runs a script statement by statement. The strings come from the schema files and from this
    /// type, never from a request.
    private func execute(_ script: String, on connection: PostgresConnection) async throws {
        for statement in SQLScript.statements(in: script) {
            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
        }
    }

    private func secret(named name: String, on connection: PostgresConnection, generate: () -> String) async throws -> String {
        let candidate = generate()
        try await connection.query(
            "INSERT INTO redress_private.secrets (name, value) VALUES (\(name), \(candidate)) ON CONFLICT (name) DO NOTHING",
            logger: logger)
        let rows = try await connection.query(
            "SELECT value FROM redress_private.secrets WHERE name = \(name)", logger: logger
        ).decode(String.self)
        for try await value in rows { return value }
        throw Failure.secretUnavailable(name)
    }
}

/// What migration hands to the service: how to log in as the request role (its password lives in
/// the owner-only schema `redress_private`, so that every replica finds the same one). The keys are
/// not in the database at all (`Keyring`).
public struct DatabaseSecrets: Sendable {
    public let requestURL: DatabaseURL

    public init(requestURL: DatabaseURL) {
        self.requestURL = requestURL
    }
}
