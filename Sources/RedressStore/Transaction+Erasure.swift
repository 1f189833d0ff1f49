import Foundation
import PostgresNIO
import RedressCore

/// What an erasure removed.
public struct ErasureOutcome: Sendable, Equatable {
    public var complaints = 0
    public var messages = 0
    public var evidence = 0
}

/// The words that stand where erased values were.
enum Erased {
    static let text = "（已删除）"
    static let name = "（已注销用户）"
    static let anonymised = "（已匿名）"
}

extension Transaction {
    /// How many of a consumer's complaints are still open (erasure waits until none is).
    public func openComplaintCount(consumerID: UUID) async throws -> Int {
        let rows = try await query(
            """
            SELECT count(*)::int FROM complaints
            WHERE consumer_id = \(consumerID) AND state NOT IN \(unescaped: Lifecycle.terminal.sqlList)
            """)
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }

    /// Erases the caller's own account (the identity must be the account): his name, e-mail, phone,
    /// password, second factor, sessions' client details and stored responses go at once; then, as the
    /// system, his complaints' names and texts, the messages he wrote and the evidence he uploaded.
    /// What the law keeps (the cases' facts) stays until the retention job anonymises it. Audited
    /// without a value. Changes the transaction's identity: it must be the last thing the transaction does.
    public func eraseOwnAccount(accountID: UUID, actor: AuditActor) async throws -> ErasureOutcome {
        // Waits for filings in flight (they hold the row FOR SHARE), which then count as open below.
        try await query("SELECT 1 FROM accounts WHERE id = \(accountID) FOR UPDATE")
        if try await openComplaintCount(consumerID: accountID) > 0 {
            throw RedressError(.conflict, detail: "A complaint of yours is open: withdraw it, or wait until it closes.")
        }
        try await query(
            """
            UPDATE sessions SET revoked_at = coalesce(revoked_at, \(now)), client_description = NULL, client_address = NULL
            WHERE account_id = \(accountID)
            """)
        try await query("DELETE FROM idempotency_keys WHERE account_id = \(accountID)")
        try await query("DELETE FROM recovery_codes WHERE account_id = \(accountID)")
        try await query(
            """
            UPDATE accounts
            SET email = 'erased-' || id::text || '@erased.invalid', display_name = \(Erased.name), phone = NULL,
                password_hash = '!erased', must_change_password = false, totp_secret = NULL, totp_confirmed_at = NULL,
                erased_at = \(now)
            WHERE id = \(accountID)
            """)
        try await record(
            AuditEntry(
                chain: AuditChain.account(accountID), action: "account.erased", entityType: "account", entityID: accountID, actor: actor,
                changes: ["erased": .init(before: .bool(false), after: .bool(true))]))
        try await announceSessionChange(of: accountID)

        try await actAsErasingSystem()
        // Mails to the address, queued or sent, and links made for it go with it.
        try await query("DELETE FROM mail_outbox WHERE account_id = \(accountID)")
        try await query("DELETE FROM password_reset_tokens WHERE account_id = \(accountID)")
        var outcome = ErasureOutcome()
        let complaints = try await query(
            """
            UPDATE complaints
            SET consumer_name = \(Erased.name), title = \(Erased.text), description = \(Erased.text),
                demands = (SELECT coalesce(jsonb_agg(d - 'text'), '[]'::jsonb) FROM jsonb_array_elements(demands) AS d),
                rating_comment = CASE WHEN rating_comment IS NULL THEN NULL ELSE \(Erased.text) END,
                referral_reference = CASE WHEN referral_reference IS NULL THEN NULL ELSE \(Erased.text) END,
                erased_at = \(now), version = version + 1, updated_at = \(now)
            WHERE consumer_id = \(accountID) AND erased_at IS NULL
            RETURNING id
            """)
        var erasedCases: [UUID] = []
        for try await id in complaints.decode(UUID.self) { erasedCases.append(id) }
        outcome.complaints = erasedCases.count
        outcome.messages = try await eraseMessages(authoredBy: accountID, inComplaints: nil)
        outcome.evidence = try await eraseEvidence(uploadedBy: accountID, inComplaints: nil)
        for id in erasedCases { try await recordCaseErasure(id, action: "complaint.erased") }
        return outcome
    }

    /// The retention period's end for closed cases: every text, message and evidence file of cases
    /// closed before `closedBefore`, and their order facts, go (at most `limit` cases per call). The
    /// figures, the states, the dates and the amounts stay. Runs as the system.
    public func anonymiseClosedCases(closedBefore: Date, limit: Int) async throws -> ErasureOutcome {
        try await actAsErasingSystem()
        let rows = try await query(
            """
            WITH due AS (
                SELECT id FROM complaints
                WHERE anonymised_at IS NULL AND closed_at IS NOT NULL AND closed_at < \(closedBefore)
                  AND state IN \(unescaped: Lifecycle.terminal.sqlList)
                ORDER BY closed_at LIMIT \(limit) FOR UPDATE SKIP LOCKED)
            UPDATE complaints c
            SET consumer_name = \(Erased.anonymised), title = \(Erased.anonymised), description = \(Erased.anonymised),
                demands = (SELECT coalesce(jsonb_agg(d - 'text'), '[]'::jsonb) FROM jsonb_array_elements(c.demands) AS d),
                order_no = \(Erased.anonymised), product_name = \(Erased.anonymised),
                payment_ref = CASE WHEN payment_ref IS NULL THEN NULL ELSE \(Erased.anonymised) END,
                referral_reference = CASE WHEN referral_reference IS NULL THEN NULL ELSE \(Erased.anonymised) END,
                rating_comment = CASE WHEN rating_comment IS NULL THEN NULL ELSE \(Erased.anonymised) END,
                answer = redress_anonymise_answer(answer, \(Erased.anonymised)),
                settlement = redress_anonymise_proposal(settlement, \(Erased.anonymised)),
                agreed_outcome = redress_anonymise_proposal(agreed_outcome, \(Erased.anonymised)),
                erased_at = coalesce(erased_at, \(now)), anonymised_at = \(now), version = version + 1, updated_at = \(now)
            FROM due WHERE c.id = due.id
            RETURNING c.id
            """)
        var cases: [UUID] = []
        for try await id in rows.decode(UUID.self) { cases.append(id) }
        var outcome = ErasureOutcome(complaints: cases.count)
        guard !cases.isEmpty else { return outcome }
        outcome.messages = try await eraseMessages(authoredBy: nil, inComplaints: cases)
        outcome.evidence = try await eraseEvidence(uploadedBy: nil, inComplaints: cases)
        for id in cases { try await recordCaseErasure(id, action: "complaint.anonymised") }
        return outcome
    }

    /// Clears the client details (User-Agent, address) of sessions that ended before `endedBefore`:
    /// their owner no longer needs them to recognise a session of his. As the system; how many.
    public func forgetSessionClients(endedBefore: Date) async throws -> Int {
        let rows = try await query(
            """
            UPDATE sessions SET client_description = NULL, client_address = NULL
            WHERE (client_description IS NOT NULL OR client_address IS NOT NULL)
              AND (expires_at < \(endedBefore) OR revoked_at < \(endedBefore))
            RETURNING 1
            """)
        var count = 0
        for try await _ in rows { count += 1 }
        return count
    }

    private func actAsErasingSystem() async throws {
        try await execute(SetIdentityStatement(identity: DatabaseIdentity(role: "system")))
        try await query("SELECT set_config('redress.erasing', 'on', true)")
    }

    private func eraseMessages(authoredBy author: UUID?, inComplaints cases: [UUID]?) async throws -> Int {
        // A consumer's account of a reported threat is his text too.
        try await query(
            """
            UPDATE case_flags SET statement = \(Erased.text)
            WHERE statement IS NOT NULL AND statement <> \(Erased.text)
              AND (\(author == nil) OR raised_by = \(author ?? UUID()))
              AND (\(cases == nil) OR complaint_id = ANY(\(cases ?? [])))
            """)
        let rows = try await query(
            """
            UPDATE complaint_messages SET body = \(Erased.text)
            WHERE body <> \(Erased.text)
              AND (\(author == nil) OR author_id = \(author ?? UUID()))
              AND (\(cases == nil) OR complaint_id = ANY(\(cases ?? [])))
            RETURNING 1
            """)
        var count = 0
        for try await _ in rows { count += 1 }
        return count
    }

    /// Removes evidence rows, and each file once no evidence uses it any more.
    private func eraseEvidence(uploadedBy uploader: UUID?, inComplaints cases: [UUID]?) async throws -> Int {
        let rows = try await query(
            """
            DELETE FROM evidence
            WHERE (\(uploader == nil) OR uploaded_by = \(uploader ?? UUID()))
              AND (\(cases == nil) OR complaint_id = ANY(\(cases ?? [])))
            RETURNING encode(sha256, 'hex')
            """)
        var digests: [String] = []
        for try await digest in rows.decode(String.self) { digests.append(digest) }
        guard !digests.isEmpty else { return 0 }
        try await query(
            """
            DELETE FROM evidence_blobs b
            WHERE b.sha256 IN (SELECT decode(hex, 'hex') FROM unnest(\(digests)::text[]) AS hex)
              AND NOT EXISTS (SELECT 1 FROM evidence e WHERE e.sha256 = b.sha256)
            """)
        return digests.count
    }

    private func recordCaseErasure(_ id: UUID, action: String) async throws {
        try await record(
            AuditEntry(
                chain: AuditChain.complaint(id), action: action, entityType: "complaint", entityID: id,
                actor: AuditActor(accountID: nil, role: "system", organizationID: nil),
                changes: ["erased": .init(after: .bool(true))]))
    }
}
