import Crypto
import Foundation
import Logging
import PostgresNIO
import _ConnectionPoolModule
import RedressCore

/// Who the database should believe the caller is, for one transaction. Row-level security reads it.
public struct DatabaseIdentity: Sendable, Equatable {
    public var role: String?
    public var accountID: UUID?
    public var organizationID: UUID?
    /// While logging in: the e-mail whose account may be read.
    public var authEmail: String?
    /// While authenticating a token: the hex SHA-256 of the token.
    public var sessionDigestHex: String?

    public init(role: String?, accountID: UUID? = nil, organizationID: UUID? = nil, authEmail: String? = nil, sessionDigestHex: String? = nil) {
        self.role = role
        self.accountID = accountID
        self.organizationID = organizationID
        self.authEmail = authEmail
        self.sessionDigestHex = sessionDigestHex
    }

    public init(_ principal: Principal) {
        switch principal {
        case .anonymous: self.init(role: "anonymous")
        case .account(let actor): self.init(role: actor.role.rawValue, accountID: actor.accountID, organizationID: actor.organizationID)
        }
    }

    /// The operator at the command line (`redress admin create`).
    public static let commandLine = DatabaseIdentity(role: "cli")
}

/// Where a request came from, recorded with every audit event it causes.
public struct RequestOrigin: Sendable, Equatable {
    public let requestID: String?
    public let clientAddress: String?

    public init(requestID: String?, clientAddress: String?) {
        self.requestID = requestID
        self.clientAddress = clientAddress
    }

    public static let commandLine = RequestOrigin(requestID: nil, clientAddress: nil)
}

/// The request pool: connections that log in as the request role. Every unit of work is one
/// transaction that starts by telling PostgreSQL who the caller is (transaction-local settings, so
/// nothing outlives the transaction on a pooled connection).
public final class Database: Sendable {
    public let client: PostgresClient
    public let clock: any RedressClock
    /// Kept current by a `DatabaseMonitor` (when the service runs one) and by connection failures.
    public let availability = DatabaseAvailability()
    public let metrics: ServiceMetrics
    /// Where `readTransaction` reads from while it is fresh enough.
    public let replica: ReadReplica?
    /// The keys outside the database: personal-data digests, second-factor secrets.
    public let keys: Keyring
    let logger: Logger

    public init(
        client: PostgresClient, keys: Keyring, clock: any RedressClock = SystemClock(), metrics: ServiceMetrics = ServiceMetrics(),
        replica: ReadReplica? = nil, logger: Logger
    ) {
        self.client = client
        self.clock = clock
        self.metrics = metrics
        self.replica = replica
        self.keys = keys
        self.logger = logger
    }

    public func transaction<Result: Sendable>(
        as identity: DatabaseIdentity,
        origin: RequestOrigin,
        _ work: (Transaction) async throws -> Result
    ) async throws -> Result {
        try await transaction(as: identity, origin: origin, start: .readCommitted, work)
    }

    /// The same, begun as `start` says.
    public func transaction<Result: Sendable>(
        as identity: DatabaseIdentity,
        origin: RequestOrigin,
        start: TransactionStart,
        _ work: (Transaction) async throws -> Result
    ) async throws -> Result {
        if availability.isDown { throw DatabaseAvailability.unavailable }
        do {
            return try await run(
                on: client, as: identity, origin: origin, start: start, waiting: availability.waiting, abandonWhile: { self.availability.isDown }, work)
        } catch {
            throw classify(error, logger: logger)
        }
    }

    /// A transaction that only reads, and may read data up to the replica's lag bound old: on the
    /// standby while it is fresh enough (statistics and public reports), on the primary otherwise —
    /// and on the primary again when a read from the standby fails for want of a connection.
    public func readTransaction<Result: Sendable>(
        as identity: DatabaseIdentity,
        origin: RequestOrigin,
        _ work: (Transaction) async throws -> Result
    ) async throws -> Result {
        if let replica, replica.isFresh {
            do {
                let result = try await run(
                    on: replica.client, as: identity, origin: origin, start: .readCommitted, waiting: replica.waiting, abandonWhile: { !replica.isFresh }, work)
                metrics.replicaRead(fromStandby: true)
                return result
            } catch where DatabaseAvailability.isConnectionFailure(error) || error is ConnectionPoolError || error as? RedressError == DatabaseAvailability.unavailable {
                replica.markUnusable()
                logger.warning("a read from the standby failed: reading from the primary", metadata: ["error": "\(String(reflecting: error))"])
            } catch {
                throw Self.classify(error, logger: logger)
            }
        }
        let result = try await transaction(as: identity, origin: origin, work)
        metrics.replicaRead(fromStandby: false)
        return result
    }

    /// One transaction on a connection of `client`, begun with the caller's identity.
    private func run<Result: Sendable>(
        on client: PostgresClient, as identity: DatabaseIdentity, origin: RequestOrigin, start: TransactionStart,
        waiting: WaitingLeases, abandonWhile: @escaping @Sendable () -> Bool,
        _ work: (Transaction) async throws -> Result
    ) async throws -> Result {
        let effects = CommitEffects()
        let result = try await lease(on: client, waiting: waiting, abandonWhile: abandonWhile) { connection in
            try await Self.inTransaction(connection, start: start, logger: self.logger) { connection in
                for try await _ in try await connection.execute(SetIdentityStatement(identity: identity), logger: self.logger) {}
                let transaction = Transaction(
                    connection: connection, logger: self.logger, keys: self.keys, origin: origin, now: self.clock.now(), effects: effects)
                return try await work(transaction)
            }
        }
        metrics.committed(effects.value)
        return result
    }

    /// One statement that tells PostgreSQL who the caller is itself (a function that sets the identity
    /// and then reads as the caller), in the statement's own implicit transaction: one round trip
    /// instead of four. On the primary, with the same waiting, metrics and errors as a transaction.
    func statement<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        if availability.isDown { throw DatabaseAvailability.unavailable }
        do {
            return try await lease(on: client, waiting: availability.waiting, abandonWhile: { self.availability.isDown }) { connection in
                try Transaction.requireOpen(connection)
                return try await body(connection)
            }
        } catch {
            throw classify(error, logger: logger)
        }
    }

    /// Runs `body` on a connection of `client`. A caller still waiting for a connection when the
    /// server goes away (`abandonWhile` becomes true and `waiting` is abandoned) is answered 503 rather
    /// than kept waiting for the pool to give up, a minute later.
    private func lease<Result: Sendable>(
        on client: PostgresClient, waiting: WaitingLeases, abandonWhile: @escaping @Sendable () -> Bool,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await withoutActuallyEscaping(body) { body in
            // The body runs in a child task while the caller waits for it, never concurrently with the
            // caller, so handing the non-Sendable closure over is safe. A child task, so that abandoning
            // the wait cancels this lease only, never the request's own task.
            let body = UncheckedSendableBox(body)
            return try await withThrowingTaskGroup(of: Result.self) { group in
                group.addTask {
                    let asked = ContinuousClock.now
                    let leased = LeaseFlag()
                    self.metrics.leaseRequested()
                    defer { self.metrics.leaseEnded(wasGranted: leased.isSet) }
                    let ticket = waiting.enter()
                    // Registered before looking: a server lost in between is seen either here or by `abandonAll`.
                    if abandonWhile() {
                        _ = waiting.leave(ticket)
                        throw DatabaseAvailability.unavailable
                    }
                    do {
                        return try await client.withConnection { connection in
                            guard waiting.leave(ticket) else { throw DatabaseAvailability.unavailable }
                            leased.set()
                            self.metrics.leaseGranted(after: ContinuousClock.now - asked)
                            return try await body.value(connection)
                        }
                    } catch where !leased.isSet {
                        // The pool failed the wait: abandoned (cancelled), or its own error.
                        if !waiting.leave(ticket) { throw DatabaseAvailability.unavailable }
                        throw error
                    }
                }
                return try await group.next()!
            }
        }
    }

    /// BEGIN … COMMIT, as PostgresNIO's `withTransaction`, except that a connection the server has
    /// closed is never written to again: PostgresNIO 1.33 drops a write to a closed channel without
    /// failing the query's promise, so the ROLLBACK it sends after PostgreSQL terminated the connection
    /// waited forever — and held up graceful shutdown (seen by `make faults`).
    static func inTransaction<Value>(
        _ connection: PostgresConnection, start: TransactionStart = .readCommitted, logger: Logger,
        _ body: (PostgresConnection) async throws -> Value
    ) async throws -> Value {
        try Transaction.requireOpen(connection)
        switch start {
        case .readCommitted: for try await _ in try await connection.execute(BeginStatement(), logger: logger) {}
        case .repeatableRead, .snapshot: try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;", logger: logger)
        }
        let value: Value
        do {
            if case .snapshot(let snapshot) = start {
                // SET TRANSACTION SNAPSHOT takes no parameter: the id is checked to be PostgreSQL's form.
                guard TransactionStart.isSnapshotID(snapshot) else { throw TransactionStart.InvalidSnapshotID() }
                try await connection.query(PostgresQuery(unsafeSQL: "SET TRANSACTION SNAPSHOT '\(snapshot)'"), logger: logger)
            }
            value = try await body(connection)
        } catch {
            if !connection.isClosed { _ = try? await connection.query("ROLLBACK;", logger: logger) }
            throw error
        }
        try Transaction.requireOpen(connection)
        for try await _ in try await connection.execute(CommitStatement(), logger: logger) {}
        return value
    }

    /// `VACUUM (ANALYZE)` of the whole database, outside any transaction (after a bulk load).
    public func vacuumAnalyze() async throws {
        try await client.query("VACUUM (ANALYZE)", logger: logger)
    }

    /// `SELECT 1` on a pooled connection: the readiness probe.
    public func ping() async throws {
        if availability.isDown { throw DatabaseAvailability.unavailable }
        try await client.query("SELECT 1", logger: logger)
    }

    /// Maps database errors to the API's errors by SQLSTATE, never by message text.
    func classify(_ error: any Error, logger: Logger) -> any Error {
        if DatabaseAvailability.isConnectionFailure(error) {
            if availability.set(down: true) { logger.error("lost the database", metadata: ["error": "\(String(reflecting: error))"]) }
            return DatabaseAvailability.unavailable
        }
        return Self.classify(error, logger: logger)
    }

    static func classify(_ error: any Error, logger: Logger) -> any Error {
        if error is RedressError { return error }
        // The pool gave up creating connections (its circuit breaker) or is shutting down.
        if error is ConnectionPoolError { return DatabaseAvailability.unavailable }
        guard let psql = error as? PSQLError, let state = psql.serverInfo?[.sqlState] else { return error }
        switch state {
        case "23505": return RedressError(.conflict, detail: "A resource with the same unique value already exists.")
        // 22021: a character the database cannot hold (NUL in text) — the client's input, not a fault.
        case "23514":
            // The money bounds name the amount that broke them (an old case's stored amount can).
            let money: [String: String] = [
                "complaints_amount_paid_bounded": "order.amount_paid", "complaints_currency_cny": "order.currency",
                "complaints_refund_claimed_bounded": "demands", "complaints_agreed_refund_bounded": "agreed_refund",
            ]
            if let constraint = psql.serverInfo?[.constraintName], let field = money[constraint] {
                return RedressError.validation([.init(field: field, reason: "out_of_range")])
            }
            return RedressError(.validationFailed)
        case "23503", "22001", "22P02", "22021": return RedressError(.validationFailed)
        case "42501":
            // The database refused what the policy layer allowed: log loudly, answer as if absent.
            logger.error("row-level security refused a write the policy layer allowed", metadata: ["error": "\(String(reflecting: psql))"])
            return RedressError.forbidden
        case "40001", "40P01": return RedressError(.conflict, detail: "A concurrent change won; try again.")
        default: return error
        }
    }
}

/// How a transaction begins.
public enum TransactionStart: Sendable, Equatable {
    /// Each statement sees what was committed before it began (PostgreSQL's default).
    case readCommitted
    /// Read only, every statement seeing the state at the first one; `Transaction.exportSnapshot()`
    /// lets other transactions share that state.
    case repeatableRead
    /// Read only, in the state another open transaction exported: several connections reading one store
    /// at once see exactly the same rows.
    case snapshot(String)

    struct InvalidSnapshotID: Error {}

    /// PostgreSQL's snapshot ids are hex digits and dashes (`00000003-0000001B-1`).
    static func isSnapshotID(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 64 && id.utf8.allSatisfy { $0 == UInt8(ascii: "-") || ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 70) || ($0 >= 97 && $0 <= 102) }
    }
}

/// One transaction of the request role, with the caller's identity already set.
public struct Transaction: Sendable {
    /// A statement on a connection the server closed would wait forever (see `Database.inTransaction`).
    static func requireOpen(_ connection: PostgresConnection) throws {
        if connection.isClosed { throw DatabaseAvailability.unavailable }
    }

    /// The connection stays inside the store: callers use the named operations of its extensions.
    let connection: PostgresConnection
    public let logger: Logger
    let keys: Keyring
    public let origin: RequestOrigin
    /// The service clock's time when the transaction began: every time this transaction records.
    public let now: Date
    /// What the metrics count once this transaction has committed.
    let effects: CommitEffects

    @discardableResult
    func query(_ query: PostgresQuery, file: String = #fileID, line: Int = #line) async throws -> PostgresRowSequence {
        try Self.requireOpen(connection)
        return try await connection.query(query, logger: logger, file: file, line: line)
    }

    /// Appends an event to its audit chain. The database assigns the sequence number and the hashes.
    public func record(_ entry: AuditEntry) async throws {
        let occurredAt = Date(timeIntervalSince1970: (now.timeIntervalSince1970 * 1000).rounded(.down) / 1000)
        let content = AuditContent(entry: entry, occurredAt: occurredAt, origin: origin, keys: keys).canonicalJSON()
        let clientDigest = origin.clientAddress.map { digest("client:" + $0) }
        try await execute(AuditInsertStatement(entry: entry, occurredAt: occurredAt, content: content, clientDigest: clientDigest))
    }

    /// A keyed digest of personal data, for audit events and throttling keys.
    public func digest(_ value: String) -> String {
        keys.digest(value)
    }
}

extension Array where Element == UInt8 {
    init(hexString: String) {
        var bytes: [UInt8] = []
        var index = hexString.startIndex
        while index < hexString.endIndex, let next = hexString.index(index, offsetBy: 2, limitedBy: hexString.endIndex) {
            if let byte = UInt8(hexString[index..<next], radix: 16) { bytes.append(byte) }
            index = next
        }
        self = bytes
    }
}
