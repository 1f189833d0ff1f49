import Foundation
import PostgresNIO
import RedressCore

/// The account behind a valid bearer token.
public struct AuthenticatedSession: Sendable {
    public let actor: Actor
    public let expiresAt: Date
}

extension Transaction {
    public func insertSession(digest: [UInt8], accountID: UUID, expiresAt: Date, actor: AuditActor) async throws {
        try await query(
            """
            INSERT INTO sessions (token_digest, account_id, created_at, expires_at)
            VALUES (\(PostgresByteBuffer(digest)), \(accountID), \(now), \(expiresAt))
            """)
        try await record(
            AuditEntry(
                chain: AuditChain.account(accountID), action: "session.create", entityType: "account",
                entityID: accountID, actor: actor, changes: ["expires_at": .init(after: .string(AuditContent.timestamp(expiresAt)))]))
    }

    /// Needs the identity's `sessionDigestHex` set to the same digest. Expired and revoked tokens find nothing.
    public func session(digest: [UInt8]) async throws -> AuthenticatedSession? {
        let rows = try await execute(SessionStatement(digest: digest, now: now))
        for try await (id, roleName, organizationID, kind, merchantPlatform, expiresAt) in rows.decode(
            (UUID, String, UUID?, String?, UUID?, Date).self)
        {
            guard let role = Role(rawValue: roleName) else { return nil }
            let platformID = kind == OrganizationKind.platform.rawValue ? organizationID : merchantPlatform
            return AuthenticatedSession(
                actor: Actor(accountID: id, role: role, organizationID: organizationID, platformID: platformID),
                expiresAt: expiresAt)
        }
        return nil
    }

    /// Revokes one token of the calling account. Returns whether there was one to revoke.
    public func revokeSession(digest: [UInt8], actor: AuditActor) async throws -> Bool {
        guard let accountID = actor.accountID else { return false }
        let rows = try await query(
            """
            UPDATE sessions SET revoked_at = \(now)
            WHERE token_digest = \(PostgresByteBuffer(digest)) AND account_id = \(accountID) AND revoked_at IS NULL
            RETURNING account_id
            """)
        var revoked = false
        for try await _ in rows { revoked = true }
        if revoked {
            try await record(
                AuditEntry(
                    chain: AuditChain.account(accountID), action: "session.revoke", entityType: "account",
                    entityID: accountID, actor: actor, changes: ["revoked": .init(before: .bool(false), after: .bool(true))]))
        }
        return revoked
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
