import Foundation
import PostgresNIO
import RedressCore

/// An account as stored, without its password hash.
public struct AccountRecord: Sendable, Equatable {
    public let id: UUID
    public let email: String
    public let displayName: String
    public let phone: String?
    public let role: Role
    public let organizationID: UUID?
    public let createdAt: Date
}

public struct NewAccount: Sendable {
    public let id: UUID
    public let email: String
    public let displayName: String
    public let phone: String?
    public let passwordHash: String
    public let role: Role
    public let organizationID: UUID?

    public init(id: UUID = UUID(), email: String, displayName: String, phone: String?, passwordHash: String, role: Role, organizationID: UUID?) {
        self.id = id
        self.email = email
        self.displayName = displayName
        self.phone = phone
        self.passwordHash = passwordHash
        self.role = role
        self.organizationID = organizationID
    }
}

/// The facts the login check needs about one account.
public struct LoginCandidate: Sendable {
    public let account: AccountRecord
    public let passwordHash: String
}

extension Transaction {
    /// Inserts an account and records it on the administration chain (staff) or its own chain
    /// (a consumer's registration). A taken e-mail is `email_taken`.
    public func insertAccount(_ account: NewAccount, actor: AuditActor) async throws -> AccountRecord {
        let createdAt = now
        do {
            try await query(
                """
                INSERT INTO accounts (id, email, display_name, phone, password_hash, role, organization_id, created_at)
                VALUES (\(account.id), \(account.email), \(account.displayName), \(account.phone),
                        \(account.passwordHash), \(account.role.rawValue), \(account.organizationID), \(createdAt))
                """)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw RedressError(.emailTaken)
        }
        var changes: [String: AuditFieldChange] = [
            "email": .init(after: .personal(account.email)),
            "display_name": .init(after: .personal(account.displayName)),
            "role": .init(after: .string(account.role.rawValue)),
            "organization_id": .init(after: account.organizationID.map { .string($0.uuidString.lowercased()) } ?? .null),
        ]
        if let phone = account.phone { changes["phone"] = .init(after: .personal(phone)) }
        let isRegistration = account.role == .consumer
        try await record(
            AuditEntry(
                chain: isRegistration ? AuditChain.account(account.id) : AuditChain.administration,
                action: isRegistration ? "account.register" : "staff.create",
                entityType: "account", entityID: account.id, actor: actor, changes: changes))
        return AccountRecord(
            id: account.id, email: account.email, displayName: account.displayName, phone: account.phone,
            role: account.role, organizationID: account.organizationID, createdAt: createdAt)
    }

    public func account(id: UUID) async throws -> AccountRecord? {
        let rows = try await execute(AccountStatement(id: id))
        for try await row in rows { return try Self.decodeAccount(row) }
        return nil
    }

    /// Needs the identity's `authEmail` set to the same address: row-level security shows no other account.
    public func loginCandidate(email: String) async throws -> LoginCandidate? {
        let rows = try await query(
            """
            SELECT id, email, display_name, phone, role, organization_id, created_at, password_hash
            FROM accounts WHERE email = \(email)
            """)
        for try await row in rows {
            let hash = try row.decode((UUID, String, String, String?, String, UUID?, Date, String).self).7
            return LoginCandidate(account: try Self.decodeAccount(row), passwordHash: hash)
        }
        return nil
    }

    /// Staff accounts (everyone but consumers), optionally only those of some organisations.
    public func staff(in organizations: [UUID]?, page: PageRequest) async throws -> Page<AccountRecord> {
        let after = page.after ?? .beginning
        let rows = try await query(
            """
            SELECT id, email, display_name, phone, role, organization_id, created_at
            FROM accounts
            WHERE role <> 'consumer'
              AND (\(organizations == nil) OR organization_id = ANY(\(organizations ?? [])))
              AND (created_at, id) > ('epoch'::timestamptz + \(after.microseconds) * interval '1 microsecond', \(after.id))
            ORDER BY created_at, id
            LIMIT \(page.limit + 1)
            """)
        var accounts: [AccountRecord] = []
        for try await row in rows { accounts.append(try Self.decodeAccount(row)) }
        return Page(fetched: accounts, limit: page.limit) { PageCursor(createdAt: $0.createdAt, id: $0.id) }
    }

    public func staffMember(id: UUID, in organizations: [UUID]?) async throws -> AccountRecord? {
        let rows = try await query(
            """
            SELECT id, email, display_name, phone, role, organization_id, created_at
            FROM accounts
            WHERE id = \(id) AND role <> 'consumer'
              AND (\(organizations == nil) OR organization_id = ANY(\(organizations ?? [])))
            """)
        for try await row in rows { return try Self.decodeAccount(row) }
        return nil
    }

    static func decodeAccount(_ row: PostgresRow) throws -> AccountRecord {
        let columns = row.makeRandomAccess()
        let roleName = try columns["role"].decode(String.self)
        guard let role = Role(rawValue: roleName) else { throw RedressError(.internalError, detail: nil) }
        return AccountRecord(
            id: try columns["id"].decode(UUID.self),
            email: try columns["email"].decode(String.self),
            displayName: try columns["display_name"].decode(String.self),
            phone: try columns["phone"].decode(String?.self),
            role: role,
            organizationID: try columns["organization_id"].decode(UUID?.self),
            createdAt: try columns["created_at"].decode(Date.self))
    }
}
