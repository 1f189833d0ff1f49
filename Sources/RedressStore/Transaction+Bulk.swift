import Foundation
import PostgresNIO
import RedressCore


/// Writing many rows in one statement each, for the demo and volume generator: the same rows, audit
/// events and triggers as one at a time (the chaining, state-change and statistics triggers fire per
/// row), at a fraction of the round trips. Rows travel as one JSON array read by `jsonb_to_recordset`.
extension Transaction {
    /// Appends events in the given order (the trigger numbers and links them per chain).
    public func recordInBulk(_ events: [(entry: AuditEntry, at: Date)]) async throws {
        guard !events.isEmpty else { return }
        let rows: [[String: any JSONCell]] = events.map { event in
            let at = Date(timeIntervalSince1970: (event.at.timeIntervalSince1970 * 1000).rounded(.down) / 1000)
            return [
                "chain_id": event.entry.chain, "occurred_at": AuditContent.timestamp(at), "action": event.entry.action,
                "entity_type": event.entry.entityType, "entity_id": event.entry.entityID.uuidString.lowercased(),
                "actor_account_id": event.entry.actor.accountID?.uuidString.lowercased(), "actor_role": event.entry.actor.role,
                "actor_organization_id": event.entry.actor.organizationID?.uuidString.lowercased(),
                "content": AuditContent(entry: event.entry, occurredAt: at, origin: origin, key: auditKey).canonicalJSON(),
            ]
        }
        try await query(
            """
            INSERT INTO audit_events (chain_id, occurred_at, action, entity_type, entity_id, actor_account_id, actor_role,
                                      actor_organization_id, content)
            SELECT chain_id, occurred_at, action, entity_type, entity_id, actor_account_id, actor_role, actor_organization_id, content
            FROM jsonb_to_recordset(\(Self.jsonArray(rows))::jsonb) AS e (
                chain_id text, occurred_at timestamptz, action text, entity_type text, entity_id uuid, actor_account_id uuid,
                actor_role text, actor_organization_id uuid, content text)
            """)
    }

    /// Inserts accounts (no audit: the caller records their events, as `insertAccount` would).
    public func insertAccountsInBulk(_ accounts: [NewAccount]) async throws {
        guard !accounts.isEmpty else { return }
        let rows: [[String: any JSONCell]] = accounts.map { account in
            [
                "id": account.id.uuidString.lowercased(), "email": account.email, "display_name": account.displayName,
                "phone": account.phone, "password_hash": account.passwordHash, "role": account.role.rawValue,
                "organization_id": account.organizationID?.uuidString.lowercased(), "created_at": AuditContent.timestamp(now),
            ]
        }
        try await query(
            """
            INSERT INTO accounts (id, email, display_name, phone, password_hash, role, organization_id, created_at)
            SELECT id, email, display_name, phone, password_hash, role, organization_id, created_at
            FROM jsonb_to_recordset(\(Self.jsonArray(rows))::jsonb) AS a (
                id uuid, email text, display_name text, phone text, password_hash text, role text, organization_id uuid,
                created_at timestamptz)
            """)
    }

    /// Files complaints as they stand at intake (no audit: the caller records `complaint.submit`).
    public func insertComplaintsInBulk(_ complaints: [(complaint: Complaint, submittedOn: LocalDate)]) async throws {
        guard !complaints.isEmpty else { return }
        let rows: [[String: any JSONCell]] = complaints.map { complaint, submittedOn in
            [
                "id": complaint.id.uuidString.lowercased(), "consumer_id": complaint.consumerID.uuidString.lowercased(),
                "consumer_name": complaint.consumerName, "platform_id": complaint.platformID.uuidString.lowercased(),
                "merchant_id": complaint.merchantID?.uuidString.lowercased(), "category": complaint.category.rawValue,
                "title": complaint.title, "description": complaint.description, "order_no": complaint.order.orderNo,
                "product_name": complaint.order.productName, "amount_paid": complaint.order.amountPaid, "currency": complaint.order.currency,
                "ordered_at": Self.time(complaint.order.orderedAt), "payment_channel": complaint.order.paymentChannel,
                "payment_ref": complaint.order.paymentRef, "demands": Self.json(complaint.demands) ?? "[]",
                "refund_claimed": complaint.refundClaimed, "ultimatum_days": complaint.ultimatumDays,
                "ultimatum_at": Self.time(complaint.ultimatumAt), "state": complaint.state.rawValue,
                "submitted_at": Self.time(complaint.submittedAt), "submitted_on": submittedOn.description,
                "updated_at": Self.time(complaint.updatedAt), "stage_started_at": Self.time(complaint.stageStartedAt),
                "deadline_at": Self.time(complaint.deadlineAt),
            ]
        }
        try await query(
            """
            INSERT INTO complaints (id, consumer_id, consumer_name, platform_id, merchant_id, category, title, description, order_no,
                product_name, amount_paid, currency, ordered_at, payment_channel, payment_ref, demands, refund_claimed, ultimatum_days,
                ultimatum_at, state, version, submitted_at, submitted_on, updated_at, stage_started_at, deadline_at)
            SELECT id, consumer_id, consumer_name, platform_id, merchant_id, category, title, description, order_no, product_name,
                amount_paid, currency, ordered_at, payment_channel, payment_ref, demands::jsonb, refund_claimed, ultimatum_days,
                ultimatum_at, state, 1, submitted_at, submitted_on, updated_at, stage_started_at, deadline_at
            FROM jsonb_to_recordset(\(Self.jsonArray(rows))::jsonb) AS c (
                id uuid, consumer_id uuid, consumer_name text, platform_id uuid, merchant_id uuid, category text, title text,
                description text, order_no text, product_name text, amount_paid bigint, currency text, ordered_at timestamptz,
                payment_channel text, payment_ref text, demands text, refund_claimed bigint, ultimatum_days integer,
                ultimatum_at timestamptz, state text, submitted_at timestamptz, submitted_on date, updated_at timestamptz,
                stage_started_at timestamptz, deadline_at timestamptz)
            """)
    }

    /// Stores the next version of each complaint (each must be exactly one version ahead of the
    /// stored one) and returns how many were stored. No audit: the caller records the actions.
    @discardableResult
    public func storeComplaintVersionsInBulk(_ complaints: [Complaint]) async throws -> Int {
        guard !complaints.isEmpty else { return 0 }
        let rows: [[String: any JSONCell]] = complaints.map { c in
            [
                "id": c.id.uuidString.lowercased(), "state": c.state.rawValue, "version": c.version, "updated_at": Self.time(c.updatedAt),
                "stage_started_at": Self.time(c.stageStartedAt), "deadline_at": Self.time(c.deadlineAt), "overdue": c.overdue,
                "overdue_party": c.overdueParty, "merchant_missed_deadline": c.merchantMissedDeadline,
                "platform_missed_deadline": c.platformMissedDeadline, "first_response_at": Self.time(c.firstResponseAt),
                "first_response_by": c.firstResponseBy?.rawValue,
                "first_response_deadline_at": Self.time(c.firstResponseDeadlineAt),
                "first_response_on_time": c.firstResponseOnTime, "answered_by": c.answeredBy?.rawValue,
                "answer": Self.json(c.answer), "answer_rejected": c.answerRejected,
                "mediation_body_id": c.mediationBodyID?.uuidString.lowercased(), "escalated_at": Self.time(c.escalatedAt),
                "triaged": c.triaged, "mediator_id": c.mediatorID?.uuidString.lowercased(), "mediated": c.mediated,
                "settlement": Self.json(c.settlement), "consumer_accepted_settlement": c.consumerAcceptedSettlement,
                "platform_accepted_settlement": c.platformAcceptedSettlement, "agreed_outcome": Self.json(c.agreedOutcome),
                "agreed_refund": c.agreedRefund, "resolved_at": Self.time(c.resolvedAt),
                "referral_channel": c.referralChannel?.rawValue, "referral_reference": c.referralReference,
                "rating": c.rating, "rating_comment": c.ratingComment, "closed_at": Self.time(c.closedAt),
                "ultimatum_at": Self.time(c.ultimatumAt),
            ]
        }
        var stored = 0
        for try await _ in try await query(
            """
            UPDATE complaints c SET
                state = v.state, version = v.version, updated_at = v.updated_at, stage_started_at = v.stage_started_at,
                deadline_at = v.deadline_at, overdue = v.overdue, overdue_party = v.overdue_party,
                merchant_missed_deadline = v.merchant_missed_deadline, platform_missed_deadline = v.platform_missed_deadline,
                first_response_at = v.first_response_at, first_response_by = v.first_response_by,
                first_response_deadline_at = v.first_response_deadline_at, first_response_on_time = v.first_response_on_time,
                answered_by = v.answered_by, answer = v.answer::jsonb, answer_rejected = v.answer_rejected,
                mediation_body_id = v.mediation_body_id, escalated_at = v.escalated_at, triaged = v.triaged,
                mediator_id = v.mediator_id, mediated = v.mediated, settlement = v.settlement::jsonb,
                consumer_accepted_settlement = v.consumer_accepted_settlement,
                platform_accepted_settlement = v.platform_accepted_settlement, agreed_outcome = v.agreed_outcome::jsonb,
                agreed_refund = v.agreed_refund, resolved_at = v.resolved_at, referral_channel = v.referral_channel,
                referral_reference = v.referral_reference, rating = v.rating, rating_comment = v.rating_comment,
                closed_at = v.closed_at, ultimatum_at = v.ultimatum_at
            FROM jsonb_to_recordset(\(Self.jsonArray(rows))::jsonb) AS v (
                id uuid, state text, version integer, updated_at timestamptz, stage_started_at timestamptz, deadline_at timestamptz,
                overdue boolean, overdue_party text, merchant_missed_deadline boolean, platform_missed_deadline boolean,
                first_response_at timestamptz, first_response_by text, first_response_deadline_at timestamptz,
                first_response_on_time boolean, answered_by text, answer text, answer_rejected boolean, mediation_body_id uuid,
                escalated_at timestamptz, triaged boolean, mediator_id uuid, mediated boolean, settlement text,
                consumer_accepted_settlement boolean, platform_accepted_settlement boolean, agreed_outcome text, agreed_refund bigint,
                resolved_at timestamptz, referral_channel text, referral_reference text, rating integer, rating_comment text,
                closed_at timestamptz, ultimatum_at timestamptz)
            WHERE c.id = v.id AND c.version = v.version - 1
            RETURNING c.id
            """)
        {
            stored += 1
        }
        return stored
    }

    /// Every complaint the caller may see (all of them, for the owner).
    public func complaintCount() async throws -> Int {
        for try await count in try await query("SELECT count(*)::bigint FROM complaints").decode(Int64.self) { return Int(count) }
        return 0
    }

    static func jsonArray(_ rows: [[String: any JSONCell]]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: rows), as: UTF8.self)
    }

    /// A time as PostgreSQL reads it exactly (microseconds), or JSON null.
    static func time(_ date: Date?) -> String? {
        date.map(UTCTime.microseconds)
    }
}

/// A value of a row handed to `jsonb_to_recordset`.
protocol JSONCell {
    func appendJSON(to text: inout String)
}

extension String: JSONCell {
    func appendJSON(to text: inout String) { JSONString.append(self, to: &text) }
}

extension Int: JSONCell {
    func appendJSON(to text: inout String) { text += String(self) }
}

extension Bool: JSONCell {
    func appendJSON(to text: inout String) { text += self ? "true" : "false" }
}

extension Optional: JSONCell where Wrapped: JSONCell {
    func appendJSON(to text: inout String) {
        if let value = self { value.appendJSON(to: &text) } else { text += "null" }
    }
}

enum JSONString {
    /// Appends `value` as a JSON string: quotes, backslashes and control characters escaped.
    static func append(_ value: String, to text: inout String) {
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                text += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}

