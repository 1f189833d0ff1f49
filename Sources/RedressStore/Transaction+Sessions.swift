import Foundation
import PostgresNIO
import RedressCore

/// The account behind a valid bearer token.
public struct AuthenticatedSession: Sendable {
    public let actor: Actor
    public let expiresAt: Date
    /// Opened with the second factor, or the one in which it was enrolled.
    public let secondFactor: Bool
}

/// A session as its owner sees it. The address and the client description are what his own client
/// sent: personal data of his, shown to nobody else and gone with the session's row.
public struct SessionRecord: Sendable, Equatable {
    public let id: UUID
    public let createdAt: Date
    public let lastUsedAt: Date
    public let expiresAt: Date
    public let clientDescription: String?
    public let clientAddress: String?
    /// Whether this is the session the request came with.
    public let isCurrent: Bool
}

/// Where a session was opened from, as the client said.
public struct SessionClient: Sendable {
    public let description: String?
    public let address: String?
    public init(description: String?, address: String?) {
        self.description = description
        self.address = address
    }
}

/// The channel on which a committed change of an account's sessions is announced to every replica.
public enum SessionAnnouncements {
    public static let channel = "redress_sessions"
    /// How stale `last_used_at` may be before a token check writes it again.
    static let touchInterval: TimeInterval = 60
}

extension Transaction {
    @discardableResult
    public func insertSession(
        digest: [UInt8], accountID: UUID, expiresAt: Date, client: SessionClient = SessionClient(description: nil, address: nil),
        secondFactor: Bool = false, actor: AuditActor
    ) async throws -> UUID {
        let id = UUID()
        try await query(
            """
            INSERT INTO sessions (id, token_digest, account_id, created_at, last_used_at, expires_at, client_description, client_address,
                                  second_factor, epoch)
            SELECT \(id), \(PostgresByteBuffer(digest)), \(accountID), \(now), \(now), \(expiresAt), \(client.description), \(client.address),
                   \(secondFactor), session_epoch
            FROM accounts WHERE id = \(accountID)
            """)
        var changes: [String: AuditFieldChange] = ["expires_at": .init(after: .string(AuditContent.timestamp(expiresAt)))]
        if secondFactor { changes["second_factor"] = .init(after: .bool(true)) }
        try await record(
            AuditEntry(
                chain: AuditChain.account(accountID), action: "session.create", entityType: "account",
                entityID: accountID, actor: actor, changes: changes))
        return id
    }

    /// Needs the identity's `sessionDigestHex` set to the same digest. Expired, idle (unused since
    /// `idleSince`), revoked and ended tokens, and those of disabled accounts, find nothing. Notes the
    /// use, at most once a minute, so that idleness is measured.
    public func session(digest: [UInt8], idleSince: Date) async throws -> AuthenticatedSession? {
        let rows = try await execute(SessionStatement(digest: digest, now: now, idleSince: idleSince))
        var found: (AuthenticatedSession, Date)? = nil
        for try await (id, roleName, organizationID, kind, merchantPlatform, expiresAt, lastUsedAt, secondFactor) in rows.decode(
            (UUID, String, UUID?, String?, UUID?, Date, Date, Bool).self)
        {
            guard let role = Role(rawValue: roleName) else { return nil }
            let platformID = kind == OrganizationKind.platform.rawValue ? organizationID : merchantPlatform
            found = (
                AuthenticatedSession(
                    actor: Actor(accountID: id, role: role, organizationID: organizationID, platformID: platformID), expiresAt: expiresAt,
                    secondFactor: secondFactor),
                lastUsedAt
            )
        }
        guard let (session, lastUsedAt) = found else { return nil }
        if now.timeIntervalSince(lastUsedAt) > SessionAnnouncements.touchInterval {
            // Not on a session ended meanwhile: a revocation that won the row's lock ends the lookup too.
            let rows = try await query(
                "UPDATE sessions SET last_used_at = \(now) WHERE token_digest = \(PostgresByteBuffer(digest)) AND revoked_at IS NULL RETURNING 1")
            var touched = false
            for try await _ in rows { touched = true }
            if !touched { return nil }
        }
        return session
    }

    /// The caller's sessions that are still valid, oldest first.
    public func activeSessions(
        accountID: UUID, current digest: [UInt8]?, idleSince: Date, page: PageRequest
    ) async throws -> Page<SessionRecord> {
        let after = page.after ?? .beginning
        let rows = try await query(
            """
            SELECT s.id, s.created_at, s.last_used_at, s.expires_at, s.client_description, s.client_address,
                   s.token_digest = \(PostgresByteBuffer(digest ?? []))
            FROM sessions s JOIN accounts a ON a.id = s.account_id
            WHERE s.account_id = \(accountID)
              AND s.revoked_at IS NULL AND s.expires_at > \(now) AND s.last_used_at > \(idleSince)
              AND a.disabled_at IS NULL AND s.epoch = a.session_epoch
              AND (s.created_at, s.id) > ('epoch'::timestamptz + \(after.microseconds) * interval '1 microsecond', \(after.id))
            ORDER BY s.created_at, s.id
            LIMIT \(page.limit + 1)
            """)
        var sessions: [SessionRecord] = []
        for try await (id, created, lastUsed, expires, description, address, current) in rows.decode(
            (UUID, Date, Date, Date, String?, String?, Bool).self)
        {
            sessions.append(
                SessionRecord(
                    id: id, createdAt: created, lastUsedAt: lastUsed, expiresAt: expires, clientDescription: description,
                    clientAddress: address, isCurrent: current))
        }
        return Page(fetched: sessions, limit: page.limit) { PageCursor(createdAt: $0.createdAt, id: $0.id) }
    }

    /// Revokes one token of the calling account. Returns whether there was one to revoke.
    public func revokeSession(digest: [UInt8], actor: AuditActor) async throws -> Bool {
        guard let accountID = actor.accountID else { return false }
        return try await revokeSessions(of: accountID, .token(digest), action: "session.revoke", actor: actor) > 0
    }

    /// Revokes the caller's session `id`. Returns whether there was one to revoke.
    public func revokeSession(id: UUID, actor: AuditActor) async throws -> Bool {
        guard let accountID = actor.accountID else { return false }
        return try await revokeSessions(of: accountID, .id(id), action: "session.revoke", actor: actor) > 0
    }

    /// Revokes every session of the caller but the one of `keeping`. Returns how many it revoked.
    public func revokeOtherSessions(keeping digest: [UInt8], actor: AuditActor) async throws -> Int {
        guard let accountID = actor.accountID else { return 0 }
        return try await revokeSessions(of: accountID, .allBut(digest), action: "session.revoke_others", actor: actor)
    }

    private enum SessionSelection {
        case token([UInt8])
        case id(UUID)
        case allBut([UInt8])
    }

    private func revokeSessions(of accountID: UUID, _ selection: SessionSelection, action: String, actor: AuditActor) async throws -> Int {
        var token: [UInt8]? = nil, id: UUID? = nil, kept: [UInt8]? = nil
        switch selection {
        case .token(let digest): token = digest
        case .id(let value): id = value
        case .allBut(let digest): kept = digest
        }
        let rows = try await query(
            """
            UPDATE sessions SET revoked_at = \(now)
            WHERE account_id = \(accountID) AND revoked_at IS NULL AND expires_at > \(now)
              AND (\(token == nil) OR token_digest = \(PostgresByteBuffer(token ?? [])))
              AND (\(id == nil) OR id = \(id ?? UUID()))
              AND (\(kept == nil) OR token_digest <> \(PostgresByteBuffer(kept ?? [])))
            RETURNING 1
            """)
        var revoked = 0
        for try await _ in rows { revoked += 1 }
        // Asking to end the others is recorded even when there were none: the person did act.
        var asked = false
        if case .allBut = selection { asked = true }
        if revoked > 0 || asked {
            try await record(
                AuditEntry(
                    chain: AuditChain.account(accountID), action: action, entityType: "account",
                    entityID: accountID, actor: actor, changes: ["sessions": .init(after: .int(revoked))]))
            try await announceSessionChange(of: accountID)
        }
        return revoked
    }

    /// Tells every replica, once this transaction commits, to forget what it cached of the sessions of `accountID`.
    public func announceSessionChange(of accountID: UUID) async throws {
        try await query("SELECT pg_notify(\(SessionAnnouncements.channel), \(accountID.uuidString.lowercased()))")
    }
}

/// Binds raw bytes as `bytea`.
struct PostgresByteBuffer: PostgresEncodable {
    static var psqlType: PostgresDataType { .bytea }
    static var psqlFormat: PostgresFormat { .binary }
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        byteBuffer.writeBytes(bytes)
    }
}
