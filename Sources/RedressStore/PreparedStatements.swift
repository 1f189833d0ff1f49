import Foundation
import PostgresNIO
import RedressCore

/// A statement with fixed text that every request runs, prepared once per pooled connection.
///
/// Under row-level security PostgreSQL spends more time planning a short statement than running it:
/// each policy's helper functions are parsed and inlined again for every plan (reading a complaint
/// by id: 0.23 ms planning against 0.02 ms execution; the session lookup: ~1 ms planning). A prepared
/// statement is planned once, and after five executions PostgreSQL keeps a generic plan for it
/// (Docs/benchmarks.md). Statements whose text depends on the request (list filters) stay ordinary
/// queries.
protocol FixedStatement: PostgresPreparedStatement where Row == PostgresRow {}

extension FixedStatement {
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

extension Transaction {
    /// Runs a fixed statement on this transaction's connection, preparing it there the first time.
    @discardableResult
    func execute<Statement: FixedStatement>(
        _ statement: Statement, file: String = #fileID, line: Int = #line
    ) async throws -> AsyncThrowingMapSequence<PostgresRowSequence, PostgresRow> {
        try await connection.execute(statement, logger: logger, file: file, line: line)
    }
}

/// Who the caller is, for row-level security: transaction-local settings.
struct SetIdentityStatement: FixedStatement {
    static let sql = """
        SELECT set_config('redress.role', $1, true), set_config('redress.account_id', $2, true),
               set_config('redress.organization_id', $3, true), set_config('redress.auth_email', $4, true),
               set_config('redress.session_digest', $5, true)
        """
    let identity: DatabaseIdentity

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 5)
        bindings.append(identity.role ?? "")
        bindings.append(identity.accountID?.uuidString ?? "")
        bindings.append(identity.organizationID?.uuidString ?? "")
        bindings.append(identity.authEmail ?? "")
        bindings.append(identity.sessionDigestHex ?? "")
        return bindings
    }
}

/// The account behind a bearer token, if the token is valid now.
struct SessionStatement: FixedStatement {
    static let sql = """
        SELECT a.id, a.role, a.organization_id, o.kind, o.platform_id, s.expires_at
        FROM sessions s
        JOIN accounts a ON a.id = s.account_id
        LEFT JOIN organizations o ON o.id = a.organization_id
        WHERE s.token_digest = $1 AND s.revoked_at IS NULL AND s.expires_at > $2
        """
    let digest: [UInt8]
    let now: Date

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(ByteBuffer(bytes: digest))
        bindings.append(now)
        return bindings
    }
}

/// One complaint by id, locked for the rest of the transaction or not.
struct ComplaintStatement: FixedStatement {
    static let sql = "SELECT \(Transaction.complaintColumns) FROM complaints WHERE id = $1"
    let id: UUID

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(id)
        return bindings
    }
}

struct ComplaintForUpdateStatement: FixedStatement {
    static let sql = "SELECT \(Transaction.complaintColumns) FROM complaints WHERE id = $1 FOR UPDATE"
    let id: UUID

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(id)
        return bindings
    }
}

struct PlatformStatement: FixedStatement {
    static let sql = "\(Transaction.platformSelect) WHERE o.id = $1"
    let id: UUID

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(id)
        return bindings
    }
}

struct PlatformStagesStatement: FixedStatement {
    static let sql = "SELECT response_days, merchant_response_days, fulfilment_days FROM platforms WHERE id = $1"
    let id: UUID

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(id)
        return bindings
    }
}

struct MediationBodyStagesStatement: FixedStatement {
    static let sql = "SELECT triage_days, mediation_days FROM mediation_bodies WHERE id = $1"
    let id: UUID

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(id)
        return bindings
    }
}

struct EvidenceKindsStatement: FixedStatement {
    static let sql = "SELECT DISTINCT kind FROM evidence WHERE complaint_id = $1"
    let complaintID: UUID

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(complaintID)
        return bindings
    }
}

struct AccountStatement: FixedStatement {
    static let sql = "SELECT id, email, display_name, phone, role, organization_id, created_at FROM accounts WHERE id = $1"
    let id: UUID

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(id)
        return bindings
    }
}

struct CalendarDaysStatement: FixedStatement {
    static let sql = """
        SELECT to_char(day, 'YYYY-MM-DD'), kind, name FROM calendar_days
        WHERE day BETWEEN $1::date AND $2::date ORDER BY day
        """
    let from: String
    let through: String

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(from)
        bindings.append(through)
        return bindings
    }
}

/// Appends an event to its chain; the trigger numbers, links and hashes it.
struct AuditInsertStatement: FixedStatement {
    static let sql = """
        INSERT INTO audit_events (chain_id, occurred_at, action, entity_type, entity_id,
                                  actor_account_id, actor_role, actor_organization_id, content)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        """
    let entry: AuditEntry
    let occurredAt: Date
    let content: String

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 9)
        bindings.append(entry.chain)
        bindings.append(occurredAt)
        bindings.append(entry.action)
        bindings.append(entry.entityType)
        bindings.append(entry.entityID)
        bindings.append(entry.actor.accountID)
        bindings.append(entry.actor.role)
        bindings.append(entry.actor.organizationID)
        bindings.append(content)
        return bindings
    }
}

struct IdempotencyClaimStatement: FixedStatement {
    static let sql = """
        INSERT INTO idempotency_keys (account_id, key, request_sha256, created_at) VALUES ($1, $2, $3, $4)
        ON CONFLICT (account_id, key) DO NOTHING RETURNING 1
        """
    let accountID: UUID
    let key: String
    let requestSHA256: String
    let now: Date

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 4)
        bindings.append(accountID)
        bindings.append(key)
        bindings.append(requestSHA256)
        bindings.append(now)
        return bindings
    }
}

struct IdempotencyCompleteStatement: FixedStatement {
    static let sql = "UPDATE idempotency_keys SET response_status = $1, response_body = $2 WHERE account_id = $3 AND key = $4"
    let status: Int
    let body: String
    let accountID: UUID
    let key: String

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 4)
        bindings.append(status)
        bindings.append(body)
        bindings.append(accountID)
        bindings.append(key)
        return bindings
    }
}
