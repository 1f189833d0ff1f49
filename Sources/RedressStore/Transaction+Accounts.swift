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
    /// When a manager disabled the account; `nil` while it may sign in.
    public var disabledAt: Date? = nil
    /// The next sign-in must choose a new password (after a forced reset).
    public var mustChangePassword = false
    /// A second factor is enrolled and confirmed: sign-in needs a code.
    public var secondFactorEnabled = false
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
    /// The sealed TOTP secret, once its enrolment is confirmed.
    public let sealedSecondFactor: String?
    /// Wrong authenticator codes since the last right one.
    public let secondFactorFailures: Int
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

    /// Whether the account still stands as the sign-in checked it (`candidate`), locked until the
    /// session is written: a reset, a disabling, a password change or a change of the second factor
    /// that committed while the password was being checked ends this sign-in instead.
    public func signInStillValid(_ candidate: LoginCandidate) async throws -> Bool {
        let rows = try await query(
            """
            SELECT password_hash, disabled_at IS NULL AND erased_at IS NULL, must_change_password,
                   CASE WHEN totp_confirmed_at IS NOT NULL THEN totp_secret END
            FROM accounts WHERE id = \(candidate.account.id) FOR UPDATE
            """)
        for try await (hash, usable, mustChange, secret) in rows.decode((String, Bool, Bool, String?).self) {
            return hash == candidate.passwordHash && usable && mustChange == candidate.account.mustChangePassword
                && secret == candidate.sealedSecondFactor
        }
        return false
    }

    /// The caller's own account, held against its erasure until this transaction ends (FOR SHARE: an
    /// erasure waits for it, or it waits for an erasure and then finds nothing).
    public func accountHeldAgainstErasure(id: UUID) async throws -> AccountRecord? {
        let rows = try await execute(AccountHeldStatement(id: id))
        for try await row in rows { return try Self.decodeAccount(row) }
        return nil
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
            SELECT \(unescaped: Self.accountColumns), password_hash, CASE WHEN totp_confirmed_at IS NOT NULL THEN totp_secret END AS totp, totp_failures
            FROM accounts WHERE email = \(email)
            """)
        for try await row in rows {
            let columns = row.makeRandomAccess()
            return LoginCandidate(
                account: try Self.decodeAccount(row), passwordHash: try columns["password_hash"].decode(String.self),
                sealedSecondFactor: try columns["totp"].decode(String?.self),
                secondFactorFailures: try columns["totp_failures"].decode(Int.self))
        }
        return nil
    }

    /// Staff accounts (everyone but consumers), optionally only those of some organisations.
    public func staff(in organizations: [UUID]?, page: PageRequest) async throws -> Page<AccountRecord> {
        let after = page.after ?? .beginning
        let rows = try await query(
            """
            SELECT \(unescaped: Self.accountColumns)
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
            SELECT \(unescaped: Self.accountColumns)
            FROM accounts
            WHERE id = \(id) AND role <> 'consumer'
              AND (\(organizations == nil) OR organization_id = ANY(\(organizations ?? [])))
            """)
        for try await row in rows { return try Self.decodeAccount(row) }
        return nil
    }

    static let accountColumns =
        "id, email, display_name, phone, role, organization_id, created_at, disabled_at, must_change_password, totp_confirmed_at IS NOT NULL AS second_factor"

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
            createdAt: try columns["created_at"].decode(Date.self),
            disabledAt: try columns["disabled_at"].decode(Date?.self),
            mustChangePassword: try columns["must_change_password"].decode(Bool.self),
            secondFactorEnabled: try columns["second_factor"].decode(Bool.self))
    }
}

/// What a manager changes about a staff account: any of its role and whether it is disabled.
public struct StaffChange: Sendable, Equatable {
    public var role: Role?
    public var disabled: Bool?

    public init(role: Role? = nil, disabled: Bool? = nil) {
        self.role = role
        self.disabled = disabled
    }
}

extension Transaction {
    /// The staff account `id` locked for a change, if the caller may see it (row-level security) and
    /// it belongs to one of `organizations` (`nil`: any).
    public func staffMemberForUpdate(id: UUID, in organizations: [UUID]?) async throws -> AccountRecord? {
        let rows = try await query(
            """
            SELECT \(unescaped: Self.accountColumns)
            FROM accounts
            WHERE id = \(id) AND role <> 'consumer'
              AND (\(organizations == nil) OR organization_id = ANY(\(organizations ?? [])))
            FOR UPDATE
            """)
        for try await row in rows { return try Self.decodeAccount(row) }
        return nil
    }

    /// Applies `change` to `member` (as read by `staffMemberForUpdate`). A new role or a disabling ends
    /// every session of the account; a disabling also hands the cases assigned to it back to its
    /// body's lead. Audited on the administration chain with who did it; nothing changed, nothing recorded.
    public func changeStaff(_ member: AccountRecord, _ change: StaffChange, actor: AuditActor) async throws -> AccountRecord {
        let role = change.role ?? member.role
        let disabling = change.disabled == true && member.disabledAt == nil
        let enabling = change.disabled == false && member.disabledAt != nil
        guard role != member.role || disabling || enabling else { return member }
        let endsSessions = role != member.role || disabling
        let rows = try await query(
            """
            UPDATE accounts
            SET role = \(role.rawValue),
                disabled_at = CASE WHEN \(disabling) THEN \(now) WHEN \(enabling) THEN NULL ELSE disabled_at END,
                session_epoch = CASE WHEN \(endsSessions) THEN session_epoch + 1 ELSE session_epoch END
            WHERE id = \(member.id)
            RETURNING \(unescaped: Self.accountColumns)
            """)
        var updated: AccountRecord? = nil
        for try await row in rows { updated = try Self.decodeAccount(row) }
        guard let updated else { throw RedressError.notFound }
        var changes: [String: AuditFieldChange] = [:]
        if role != member.role { changes["role"] = .init(before: .string(member.role.rawValue), after: .string(role.rawValue)) }
        if disabling || enabling { changes["disabled"] = .init(before: .bool(!enabling), after: .bool(disabling)) }
        try await record(
            AuditEntry(chain: AuditChain.administration, action: "staff.update", entityType: "account", entityID: member.id, actor: actor, changes: changes))
        if endsSessions { try await announceSessionChange(of: member.id) }
        if disabling { try await releaseAssignedCases(of: member.id) }
        return updated
    }

    /// A forced reset: the password becomes `temporaryHash`, which only serves to choose a new one at
    /// the next sign-in, and every session ends; the second factor starts over only when asked
    /// (`removingSecondFactor`: the person lost it too).
    public func forcePasswordReset(
        _ member: AccountRecord, temporaryHash: String, removingSecondFactor: Bool, actor: AuditActor
    ) async throws {
        try await query(
            """
            UPDATE accounts SET password_hash = \(temporaryHash), must_change_password = true, session_epoch = session_epoch + 1,
                password_changed_at = \(now),
                totp_secret = CASE WHEN \(removingSecondFactor) THEN NULL ELSE totp_secret END,
                totp_confirmed_at = CASE WHEN \(removingSecondFactor) THEN NULL ELSE totp_confirmed_at END,
                totp_last_step = CASE WHEN \(removingSecondFactor) THEN 0 ELSE totp_last_step END,
                totp_failures = CASE WHEN \(removingSecondFactor) THEN 0 ELSE totp_failures END
            WHERE id = \(member.id)
            """)
        if removingSecondFactor { try await query("DELETE FROM recovery_codes WHERE account_id = \(member.id)") }
        try await record(
            AuditEntry(
                chain: AuditChain.administration, action: "staff.password_reset", entityType: "account", entityID: member.id, actor: actor,
                changes: [
                    "must_change_password": .init(before: .bool(member.mustChangePassword), after: .bool(true)),
                    "second_factor": .init(before: .bool(member.secondFactorEnabled), after: .bool(member.secondFactorEnabled && !removingSecondFactor)),
                ]))
        try await announceSessionChange(of: member.id)
    }

    /// The caller's own new password (its current one checked by the caller of this function).
    /// Only while the password is still the one checked (`verifiedHash`): a reset or another change
    /// that won meanwhile is not undone (409).
    public func changeOwnPassword(accountID: UUID, newHash: String, verifiedHash: String, actor: AuditActor) async throws {
        let rows = try await query(
            """
            UPDATE accounts SET password_hash = \(newHash), must_change_password = false, password_changed_at = \(now)
            WHERE id = \(accountID) AND password_hash = \(verifiedHash) RETURNING 1
            """)
        var changed = false
        for try await _ in rows { changed = true }
        if !changed { throw RedressError(.conflict, detail: "The password changed meanwhile; sign in again.") }
        try await record(
            AuditEntry(
                chain: AuditChain.account(accountID), action: "account.password_change", entityType: "account", entityID: accountID,
                actor: actor, changes: ["password": .init(after: .string("changed"))]))
    }

    /// The cases a disabled account was assigned to go back to the lead's queue (unassigned, in the
    /// state they were in), each with an event on its own chain. The system does it: whoever disabled
    /// the account (an admin, say) may not see the cases.
    func releaseAssignedCases(of accountID: UUID) async throws {
        let system = DatabaseIdentity(role: "system")
        try await execute(SetIdentityStatement(identity: system))
        let rows = try await query(
            """
            UPDATE complaints SET mediator_id = NULL, version = version + 1, updated_at = \(now)
            WHERE mediator_id = \(accountID) AND state NOT IN \(unescaped: Lifecycle.terminal.sqlList)
            RETURNING id
            """)
        var released: [UUID] = []
        for try await id in rows.decode(UUID.self) { released.append(id) }
        let actor = AuditActor(accountID: nil, role: "system", organizationID: nil)
        for id in released {
            try await record(
                AuditEntry(
                    chain: AuditChain.complaint(id), action: "complaint.unassign", entityType: "complaint", entityID: id, actor: actor,
                    changes: [
                        "mediator_id": .init(before: .string(accountID.uuidString.lowercased()), after: .null),
                        "reason": .init(after: .string("mediator_disabled")),
                    ]))
            try await publish("complaint.unassign", complaintID: id, state: nil)
        }
    }
}
