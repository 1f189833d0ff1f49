import Foundation
import PostgresNIO
import RedressCore
import Synchronization

/// A statement with fixed text that every request runs, prepared once per pooled connection.
///
/// Under row-level security PostgreSQL spends more time planning a short statement than running it:
/// each policy's helper functions are parsed and inlined again for every plan (reading a complaint
/// by id: 0.23 ms planning against 0.02 ms execution; the session lookup: ~1 ms planning). A prepared
/// statement is planned once, and after five executions PostgreSQL keeps a generic plan for it
/// (Docs/benchmarks.md). Where the best plan depends on the values (a list's filters), the statement
/// calls a function that plans its own query for each call's values (`plan_cache_mode`).
protocol FixedStatement: PostgresPreparedStatement where Row == PostgresRow {}

extension FixedStatement {
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }

    /// The name the statement is prepared under: its type's name, as PostgresNIO's default, but
    /// worked out once per type instead of at every execution (`String(reflecting:)` walks the
    /// type's metadata: a fortieth of a filing's CPU, over its twenty-odd statements).
    static var name: String { StatementNames.name(of: Self.self) }
}

/// Each statement type's name, worked out once.
enum StatementNames {
    private static let names = Mutex<[ObjectIdentifier: String]>([:])

    static func name(of type: any FixedStatement.Type) -> String {
        let key = ObjectIdentifier(type)
        if let known = names.withLock({ $0[key] }) { return known }
        let name = String(reflecting: type)
        names.withLock { $0[key] = name }
        return name
    }
}

/// A fixed statement whose one parameter is an id.
protocol OneIDStatement: FixedStatement {
    var id: UUID { get }
}

extension OneIDStatement {
    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(id)
        return bindings
    }
}

extension Transaction {
    /// Runs a fixed statement on this transaction's connection, preparing it there the first time.
    @discardableResult
    func execute<Statement: FixedStatement>(
        _ statement: Statement, file: String = #fileID, line: Int = #line
    ) async throws -> AsyncThrowingMapSequence<PostgresRowSequence, PostgresRow> {
        try Self.requireOpen(connection)
        return try await Self.execute(statement, on: connection, logger: logger, file: file, line: line)
    }

    /// The same on a connection outside any transaction (`Database.statement`).
    static func execute<Statement: FixedStatement>(
        _ statement: Statement, on connection: PostgresConnection, logger: Logger, file: String = #fileID, line: Int = #line
    ) async throws -> AsyncThrowingMapSequence<PostgresRowSequence, PostgresRow> {
        do {
            return try await connection.execute(statement, logger: logger, file: file, line: line)
        } catch let error as PSQLError where Self.mayHaveFailedPreparation(error) {
            // PostgresNIO keeps the error of a preparation that failed and returns it to every later
            // execution of the statement on that connection: a preparation cancelled, or that waited
            // for a lock too long, would fail the statement there until the connection closed. Close
            // it now; the pool opens another.
            try? await connection.close()
            throw error
        }
    }

    /// Errors a statement's preparation meets by chance (a cancel, a lock wait, a deadlock, an
    /// administrator's shutdown), not by its text.
    static func mayHaveFailedPreparation(_ error: PSQLError) -> Bool {
        ["57014", "55P03", "40P01", "57P01", "57P02", "57P03"].contains(error.serverInfo?[.sqlState] ?? "")
    }
}

/// BEGIN and COMMIT as prepared statements: every transaction runs both, and an unnamed query would
/// be parsed and described anew each time, by PostgresNIO and by PostgreSQL. They take no lock while
/// prepared, so (unlike `Transaction.execute`) an error of theirs never means a failed preparation:
/// a COMMIT that fails (a deferred check, a deadlock) has rolled back and leaves the connection usable.
struct BeginStatement: FixedStatement {
    static let sql = "BEGIN"
    func makeBindings() -> PostgresBindings { PostgresBindings() }
}

struct CommitStatement: FixedStatement {
    static let sql = "COMMIT"
    func makeBindings() -> PostgresBindings { PostgresBindings() }
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

/// The account behind a bearer token, if the token is valid now: not revoked, not expired, not idle
/// since `$3`, of its account's current epoch (no disabling, role change or reset since), account enabled.
struct SessionStatement: FixedStatement {
    static let sql = """
        SELECT a.id, a.role, a.organization_id, o.kind, o.platform_id, s.expires_at, s.last_used_at, s.second_factor
        FROM sessions s
        JOIN accounts a ON a.id = s.account_id
        LEFT JOIN organizations o ON o.id = a.organization_id
        WHERE s.token_digest = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND s.last_used_at > $3
          AND a.disabled_at IS NULL AND s.epoch = a.session_epoch
        """
    let digest: [UInt8]
    let now: Date
    let idleSince: Date

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(ByteBuffer(bytes: digest))
        bindings.append(now)
        bindings.append(idleSince)
        return bindings
    }
}

/// One complaint by id, locked for the rest of the transaction or not.
struct ComplaintStatement: OneIDStatement {
    static let sql = "SELECT \(Transaction.complaintColumns) FROM complaints WHERE id = $1"
    let id: UUID
}

/// A complaint as reading it shows it, read as the caller in one statement (migration 0048): the
/// caller's identity, then the complaint with whether its platform sends consumers to the merchant
/// first, the kinds of evidence the caller may see, and, for mediators, the consumer's contact
/// (row-level security decides for each, as for their own statements).
struct ComplaintReadingStatement: FixedStatement {
    static let sql = "SELECT * FROM redress_complaint_reading($1, $2, $3, $4, $5, $6)"
    let identity: DatabaseIdentity
    let id: UUID

    func makeBindings() -> PostgresBindings {
        var bindings = SetIdentityStatement(identity: identity).makeBindings()
        bindings.append(id)
        return bindings
    }
}

/// A page of the complaint list as the caller may read it (migration 0049).
struct ComplaintPageStatement: FixedStatement {
    static let sql = "SELECT * FROM redress_complaint_page($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)"
    let identity: DatabaseIdentity
    let filter: ComplaintFilter
    let page: PageRequest

    func makeBindings() -> PostgresBindings {
        let after = page.after ?? .beginning
        let states = filter.states?.map(\.rawValue)
        // One state is asked for as an equality, so that the index by scope, state and submission time
        // gives the page in order (with `= ANY` of an array it gives rows to sort).
        let state = states?.count == 1 ? states?.first : nil
        let (consumer, platform, merchant, body) = filter.scope.columns
        var bindings = SetIdentityStatement(identity: identity).makeBindings()
        bindings.append(consumer)
        bindings.append(platform)
        bindings.append(merchant)
        bindings.append(body)
        bindings.append(state)
        bindings.append(state == nil ? states : nil)
        bindings.append(filter.category?.rawValue)
        bindings.append(filter.platformID)
        bindings.append(filter.merchantID)
        bindings.append(filter.overdue)
        bindings.append(filter.submittedFrom)
        bindings.append(filter.submittedTo)
        bindings.append(filter.titleContains.map(Self.containing))
        bindings.append(after.microseconds)
        bindings.append(after.id)
        bindings.append(Int32(clamping: page.limit + 1))
        // Row-level security's condition is estimated to keep about one row in a hundred, so the
        // planner expects the index range never to fill a page, reads every matching case and sorts
        // them (a platform's 521 open cases: 2.6 ms; a collapsed platform's 50,000: seconds). Where an
        // index gives the page in order, the function rules sorting out and the index is read for one
        // page only.
        bindings.append(filter.hasOrderedIndex)
        return bindings
    }

    /// An ILIKE pattern matching `text` anywhere, its own wildcards and escapes taken literally.
    static func containing(_ text: String) -> String {
        "%" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
    }
}

/// A page of a mediation body's triage queue as the caller may read it (migration 0050).
struct TriagePageStatement: FixedStatement {
    static let sql = "SELECT * FROM redress_triage_page($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    let identity: DatabaseIdentity
    let bodyID: UUID
    let states: [ComplaintState]
    let overdue: Bool?
    let mediatorID: UUID?
    let unassigned: Bool
    let offset: Int
    let limit: Int

    func makeBindings() -> PostgresBindings {
        var bindings = SetIdentityStatement(identity: identity).makeBindings()
        bindings.append(bodyID)
        bindings.append(states.map(\.rawValue))
        bindings.append(overdue)
        bindings.append(mediatorID)
        bindings.append(unassigned)
        bindings.append(Int64(offset))
        bindings.append(Int32(clamping: limit))
        return bindings
    }
}

struct ComplaintForUpdateStatement: OneIDStatement {
    static let sql = "SELECT \(Transaction.complaintColumns) FROM complaints WHERE id = $1 FOR UPDATE"
    let id: UUID
}

struct PlatformStatement: OneIDStatement {
    static let sql = "\(Transaction.platformSelect) WHERE o.id = $1"
    let id: UUID
}

struct PlatformStagesStatement: OneIDStatement {
    static let sql = "SELECT response_days, merchant_response_days, fulfilment_days FROM platforms WHERE id = $1"
    let id: UUID
}

struct MediationBodyStagesStatement: OneIDStatement {
    static let sql = "SELECT triage_days, mediation_days FROM mediation_bodies WHERE id = $1"
    let id: UUID
}

/// The kinds of evidence a complaint (`id`) holds.
struct EvidenceKindsStatement: OneIDStatement {
    static let sql = "SELECT DISTINCT kind FROM evidence WHERE complaint_id = $1"
    let id: UUID
}

struct AccountStatement: OneIDStatement {
    static let sql = "SELECT \(Transaction.accountColumns) FROM accounts WHERE id = $1"
    let id: UUID
}

/// An account not erased, held against its erasure until the transaction ends.
struct AccountHeldStatement: OneIDStatement {
    static let sql = "SELECT \(Transaction.accountColumns) FROM accounts WHERE id = $1 AND erased_at IS NULL FOR SHARE"
    let id: UUID
}

/// An event of a complaint written to the outbox.
struct OutboxPublishStatement: FixedStatement {
    static let sql = """
        INSERT INTO outbox_events (id, complaint_id, type, occurred_at, state, internal_org, hidden_from_platform, actor_account_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        """
    let complaintID: UUID
    let type: String
    let occurredAt: Date
    let state: String?
    let internalOrganization: UUID?
    let hiddenFromPlatform: Bool
    let actorID: UUID?

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 8)
        bindings.append(UUID())
        bindings.append(complaintID)
        bindings.append(type)
        bindings.append(occurredAt)
        bindings.append(state)
        bindings.append(internalOrganization)
        bindings.append(hiddenFromPlatform)
        bindings.append(actorID)
        return bindings
    }
}

/// The terms of a platform in force on a day: the version that took effect last by then.
struct PlatformClausesStatement: FixedStatement {
    static let sql = """
        SELECT id, clauses::text FROM platform_terms WHERE platform_id = $1 AND effective_from <= $2::date
        ORDER BY effective_from DESC, version DESC LIMIT 1
        """
    let platformID: UUID
    let day: String

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(platformID)
        bindings.append(day)
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
                                  actor_account_id, actor_role, actor_organization_id, content, client_digest)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        """
    static let bindingDataTypes: [PostgresDataType] = [.text, .timestamptz, .text, .text, .uuid, .uuid, .text, .uuid, .text, .text]
    let entry: AuditEntry
    let occurredAt: Date
    let content: String
    /// The keyed digest of the client's address, or nil.
    let clientDigest: String?

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 10)
        bindings.append(entry.chain)
        bindings.append(occurredAt)
        bindings.append(entry.action)
        bindings.append(entry.entityType)
        bindings.append(entry.entityID)
        bindings.append(entry.actor.accountID)
        bindings.append(entry.actor.role)
        bindings.append(entry.actor.organizationID)
        bindings.append(content)
        bindings.append(clientDigest)
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
    static let sql = "UPDATE idempotency_keys SET response_status = $1, response_body = $2, response_version = $3 WHERE account_id = $4 AND key = $5"
    /// Declared: a version that is NULL on the first call must not fix the parameter's type.
    static let bindingDataTypes: [PostgresDataType] = [.int8, .text, .int8, .uuid, .text]
    let answer: IdempotentAnswer
    let accountID: UUID
    let key: String

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 5)
        bindings.append(answer.status)
        bindings.append(answer.body)
        bindings.append(answer.version)
        bindings.append(accountID)
        bindings.append(key)
        return bindings
    }
}

/// A new complaint, as it stands at filing.
struct ComplaintInsertStatement: FixedStatement {
    static let sql = """
        INSERT INTO complaints (
            id, consumer_id, consumer_name, platform_id, merchant_id, category, title, description, order_no, product_name,
            amount_paid, currency, ordered_at, payment_channel, payment_ref, demands, refund_claimed, ultimatum_days,
            ultimatum_at, state, version, submitted_at, submitted_on, updated_at, stage_started_at, deadline_at,
            standard_deadline_at, promise, fault_claim, refiles)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::jsonb, $17, $18, $19, $20, 1, $21, $22::date,
                $23, $24, $25, $26, $27::jsonb, $28, $29)
        """
    /// Declared, not inferred from the first call: a parameter that is NULL then (a merchant, an
    /// ultimatum) would otherwise take the column's type, and later values would not fit it.
    static let bindingDataTypes: [PostgresDataType] = [
        .uuid, .uuid, .text, .uuid, .uuid, .text, .text, .text, .text, .text, .int8, .text, .timestamptz, .text, .text, .text,
        .int8, .int8, .timestamptz, .text, .timestamptz, .text, .timestamptz, .timestamptz, .timestamptz, .timestamptz, .text, .text, .uuid,
    ]
    let complaint: Complaint
    let submittedOn: LocalDate

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 29)
        bindings.append(complaint.id)
        bindings.append(complaint.consumerID)
        bindings.append(complaint.consumerName)
        bindings.append(complaint.platformID)
        bindings.append(complaint.merchantID)
        bindings.append(complaint.category.rawValue)
        bindings.append(complaint.title)
        bindings.append(complaint.description)
        bindings.append(complaint.order.orderNo)
        bindings.append(complaint.order.productName)
        bindings.append(Int64(complaint.order.amountPaid))
        bindings.append(complaint.order.currency)
        bindings.append(complaint.order.orderedAt)
        bindings.append(complaint.order.paymentChannel)
        bindings.append(complaint.order.paymentRef)
        bindings.append(Transaction.json(complaint.demands))
        bindings.append(Int64(complaint.refundClaimed))
        bindings.append(complaint.ultimatumDays)
        bindings.append(complaint.ultimatumAt)
        bindings.append(complaint.state.rawValue)
        bindings.append(complaint.submittedAt)
        bindings.append(submittedOn.description)
        bindings.append(complaint.updatedAt)
        bindings.append(complaint.stageStartedAt)
        bindings.append(complaint.deadlineAt)
        bindings.append(complaint.standardDeadlineAt)
        bindings.append(Transaction.json(complaint.promise))
        bindings.append(complaint.faultClaim?.rawValue)
        bindings.append(complaint.refiles)
        return bindings
    }
}

/// Every column an action may change, if the case is still at `expectedVersion`.
struct ComplaintUpdateStatement: FixedStatement {
    static let sql = """
        UPDATE complaints SET
            state = $1, version = $2, updated_at = $3, stage_started_at = $4, deadline_at = $5, overdue = $6, overdue_party = $7,
            merchant_missed_deadline = $8, platform_missed_deadline = $9, first_response_at = $10, first_response_by = $11,
            first_response_deadline_at = $12, first_response_on_time = $13, answered_by = $14, answer = $15::jsonb,
            answer_rejected = $16, mediation_body_id = $17, escalated_at = $18, triaged = $19, mediator_id = $20, mediated = $21,
            settlement = $22::jsonb, consumer_accepted_settlement = $23, platform_accepted_settlement = $24,
            agreed_outcome = $25::jsonb, agreed_refund = $26, resolved_at = $27, referral_channel = $28, referral_reference = $29,
            rating = $30, rating_comment = $31, closed_at = $32, ultimatum_at = $33, standard_deadline_passed = $34,
            invalid_reason = $35, outcome = $36, closes_at = $37, unfulfilled_reports = $38, rated_on = $39::date,
            ultimatum_days = $42, acknowledgements = $43, last_acknowledged_at = $44, fault_finding = $45, referral_outcome = $46,
            referral_closed_at = $47, platform_deadline_held_at = $48, escalated_by = $49
        WHERE id = $40 AND version = $41
        RETURNING id
        """
    /// Declared, as for the insert: most of these are NULL for a new case.
    static let bindingDataTypes: [PostgresDataType] = [
        .text, .int8, .timestamptz, .timestamptz, .timestamptz, .bool, .text, .bool, .bool, .timestamptz, .text, .timestamptz, .bool,
        .text, .text, .bool, .uuid, .timestamptz, .bool, .uuid, .bool, .text, .bool, .bool, .text, .int8, .timestamptz, .text, .text,
        .int8, .text, .timestamptz, .timestamptz, .bool, .text, .text, .timestamptz, .int8, .text, .uuid, .int8, .int8, .int8,
        .timestamptz, .text, .text, .timestamptz, .timestamptz, .text,
    ]
    let complaint: Complaint
    let expectedVersion: Int

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 49)
        bindings.append(complaint.state.rawValue)
        bindings.append(complaint.version)
        bindings.append(complaint.updatedAt)
        bindings.append(complaint.stageStartedAt)
        bindings.append(complaint.deadlineAt)
        bindings.append(complaint.overdue)
        bindings.append(complaint.overdueParty)
        bindings.append(complaint.merchantMissedDeadline)
        bindings.append(complaint.platformMissedDeadline)
        bindings.append(complaint.firstResponseAt)
        bindings.append(complaint.firstResponseBy?.rawValue)
        bindings.append(complaint.firstResponseDeadlineAt)
        bindings.append(complaint.firstResponseOnTime)
        bindings.append(complaint.answeredBy?.rawValue)
        bindings.append(Transaction.json(complaint.answer))
        bindings.append(complaint.answerRejected)
        bindings.append(complaint.mediationBodyID)
        bindings.append(complaint.escalatedAt)
        bindings.append(complaint.triaged)
        bindings.append(complaint.mediatorID)
        bindings.append(complaint.mediated)
        bindings.append(Transaction.json(complaint.settlement))
        bindings.append(complaint.consumerAcceptedSettlement)
        bindings.append(complaint.platformAcceptedSettlement)
        bindings.append(Transaction.json(complaint.agreedOutcome))
        bindings.append(complaint.agreedRefund.map(Int64.init))
        bindings.append(complaint.resolvedAt)
        bindings.append(complaint.referralChannel?.rawValue)
        bindings.append(complaint.referralReference)
        bindings.append(complaint.rating)
        bindings.append(complaint.ratingComment)
        bindings.append(complaint.closedAt)
        bindings.append(complaint.ultimatumAt)
        bindings.append(complaint.standardDeadlinePassed)
        bindings.append(complaint.invalidReason?.rawValue)
        bindings.append(complaint.outcome?.rawValue)
        bindings.append(complaint.closesAt)
        bindings.append(complaint.unfulfilledReports)
        bindings.append(complaint.ratedOn?.description)
        bindings.append(complaint.id)
        bindings.append(expectedVersion)
        bindings.append(complaint.ultimatumDays)
        bindings.append(complaint.acknowledgements)
        bindings.append(complaint.lastAcknowledgedAt)
        bindings.append(complaint.faultFinding?.rawValue)
        bindings.append(complaint.referralOutcome?.rawValue)
        bindings.append(complaint.referralClosedAt)
        bindings.append(complaint.platformDeadlineHeldAt)
        bindings.append(complaint.escalatedBy?.rawValue)
        return bindings
    }
}
