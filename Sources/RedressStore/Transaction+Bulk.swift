import Crypto
import Foundation
import PostgresNIO
import RedressCore


/// Loading volume data (`redress demo`): many rows per statement, with the database's triggers
/// suspended for the transaction and their work done here instead, set-wise — audit events numbered,
/// linked and hashed exactly as `audit_events_link` would, chain heads written, statistics added with
/// the same contribution function the statistics trigger uses. `redress audit verify` and a recount of
/// the statistics prove the result equal to what the triggers would have written (the demo's tests do).
/// Rows travel as one JSON array read by `jsonb_to_recordset`.
extension Transaction {
    /// Suspends every trigger (and the foreign-key checks, which are triggers) until the end of the
    /// transaction, or until `resumeTriggers`. Superusers only.
    public func suspendTriggers() async throws {
        try await query("SET LOCAL session_replication_role = replica")
    }

    public func resumeTriggers() async throws {
        try await query("SET LOCAL session_replication_role = origin")
    }

    /// Writes whole new chains: each list is one chain's events in order (all of one chain). Needs
    /// the triggers suspended (the linking trigger would renumber them).
    public func insertNewChainsInBulk(_ chains: [[(entry: AuditEntry, at: Date)]]) async throws {
        var rows: [[String: any JSONCell]] = []
        var heads: [[String: any JSONCell]] = []
        for events in chains where !events.isEmpty {
            var previous = [UInt8](repeating: 0, count: 32)
            for (index, event) in events.enumerated() {
                let at = Date(timeIntervalSince1970: (event.at.timeIntervalSince1970 * 1000).rounded(.down) / 1000)
                let content = AuditContent(entry: event.entry, occurredAt: at, origin: origin, keys: keys).canonicalJSON()
                let seq = index + 1
                let hash = Array(SHA256.hash(data: Array("\(event.entry.chain)\n\(seq)\n\(previous.hexString)\n\(content)".utf8)))
                rows.append([
                    "chain_id": event.entry.chain, "seq": seq, "occurred_at": AuditContent.timestamp(at), "action": event.entry.action,
                    "entity_type": event.entry.entityType, "entity_id": event.entry.entityID.uuidString.lowercased(),
                    "actor_account_id": event.entry.actor.accountID?.uuidString.lowercased(), "actor_role": event.entry.actor.role,
                    "actor_organization_id": event.entry.actor.organizationID?.uuidString.lowercased(), "content": content,
                    "prev_hash": previous.hexString, "hash": hash.hexString,
                ])
                previous = hash
            }
            heads.append(["chain_id": events[0].entry.chain, "seq": events.count, "hash": previous.hexString])
        }
        guard !rows.isEmpty else { return }
        try await query(
            """
            INSERT INTO audit_events (chain_id, seq, occurred_at, action, entity_type, entity_id, actor_account_id, actor_role,
                                      actor_organization_id, content, prev_hash, hash)
            SELECT chain_id, seq, occurred_at, action, entity_type, entity_id, actor_account_id, actor_role, actor_organization_id,
                   content, decode(prev_hash, 'hex'), decode(hash, 'hex')
            FROM jsonb_to_recordset(\(Self.jsonArray(rows))::jsonb) AS e (
                chain_id text, seq bigint, occurred_at timestamptz, action text, entity_type text, entity_id uuid, actor_account_id uuid,
                actor_role text, actor_organization_id uuid, content text, prev_hash text, hash text)
            """)
        try await query(
            """
            INSERT INTO audit_chain_heads (chain_id, seq, hash)
            SELECT chain_id, seq, decode(hash, 'hex') FROM jsonb_to_recordset(\(Self.jsonArray(heads))::jsonb) AS h (chain_id text, seq bigint, hash text)
            """)
    }

    /// Appends events in the given order through the linking trigger (triggers on).
    public func recordInBulk(_ events: [(entry: AuditEntry, at: Date)]) async throws {
        guard !events.isEmpty else { return }
        let rows: [[String: any JSONCell]] = events.map { event in
            let at = Date(timeIntervalSince1970: (event.at.timeIntervalSince1970 * 1000).rounded(.down) / 1000)
            return [
                "chain_id": event.entry.chain, "occurred_at": AuditContent.timestamp(at), "action": event.entry.action,
                "entity_type": event.entry.entityType, "entity_id": event.entry.entityID.uuidString.lowercased(),
                "actor_account_id": event.entry.actor.accountID?.uuidString.lowercased(), "actor_role": event.entry.actor.role,
                "actor_organization_id": event.entry.actor.organizationID?.uuidString.lowercased(),
                "content": AuditContent(entry: event.entry, occurredAt: at, origin: origin, keys: keys).canonicalJSON(),
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

    /// Inserts complaints as they stand after their history (every column, the version included).
    /// Needs the triggers suspended: a complaint is filed awaiting an answer, at version 1.
    public func insertComplaintsAsTheyStandInBulk(_ complaints: [(complaint: Complaint, submittedOn: LocalDate)]) async throws {
        guard !complaints.isEmpty else { return }
        let rows: [[String: any JSONCell]] = complaints.map { c, submittedOn in
            [
                "id": c.id.uuidString.lowercased(), "consumer_id": c.consumerID.uuidString.lowercased(), "consumer_name": c.consumerName,
                "platform_id": c.platformID.uuidString.lowercased(), "merchant_id": c.merchantID?.uuidString.lowercased(),
                "category": c.category.rawValue, "title": c.title, "description": c.description, "order_no": c.order.orderNo,
                "product_name": c.order.productName, "amount_paid": c.order.amountPaid, "currency": c.order.currency,
                "ordered_at": Self.time(c.order.orderedAt), "payment_channel": c.order.paymentChannel, "payment_ref": c.order.paymentRef,
                "demands": Self.json(c.demands) ?? "[]", "refund_claimed": c.refundClaimed, "ultimatum_days": c.ultimatumDays,
                "submitted_at": Self.time(c.submittedAt), "submitted_on": submittedOn.description,
                "state": c.state.rawValue, "version": c.version, "updated_at": Self.time(c.updatedAt),
                "stage_started_at": Self.time(c.stageStartedAt), "deadline_at": Self.time(c.deadlineAt), "overdue": c.overdue,
                "overdue_party": c.overdueParty, "merchant_missed_deadline": c.merchantMissedDeadline,
                "platform_missed_deadline": c.platformMissedDeadline, "first_response_at": Self.time(c.firstResponseAt),
                "first_response_by": c.firstResponseBy?.rawValue, "first_response_deadline_at": Self.time(c.firstResponseDeadlineAt),
                "first_response_on_time": c.firstResponseOnTime, "answered_by": c.answeredBy?.rawValue, "answer": Self.json(c.answer),
                "answer_rejected": c.answerRejected, "mediation_body_id": c.mediationBodyID?.uuidString.lowercased(),
                "escalated_at": Self.time(c.escalatedAt), "triaged": c.triaged, "mediator_id": c.mediatorID?.uuidString.lowercased(),
                "mediated": c.mediated, "settlement": Self.json(c.settlement), "consumer_accepted_settlement": c.consumerAcceptedSettlement,
                "platform_accepted_settlement": c.platformAcceptedSettlement, "agreed_outcome": Self.json(c.agreedOutcome),
                "agreed_refund": c.agreedRefund, "resolved_at": Self.time(c.resolvedAt), "referral_channel": c.referralChannel?.rawValue,
                "referral_reference": c.referralReference, "rating": c.rating, "rating_comment": c.ratingComment,
                "closed_at": Self.time(c.closedAt), "ultimatum_at": Self.time(c.ultimatumAt),
                "standard_deadline_at": Self.time(c.standardDeadlineAt), "standard_deadline_passed": c.standardDeadlinePassed,
                "promise": Self.json(c.promise), "invalid_reason": c.invalidReason?.rawValue, "outcome": c.outcome?.rawValue,
                "closes_at": Self.time(c.closesAt), "unfulfilled_reports": c.unfulfilledReports, "rated_on": c.ratedOn?.description,
            ]
        }
        try await query(
            """
            INSERT INTO complaints (id, consumer_id, consumer_name, platform_id, merchant_id, category, title, description, order_no,
                product_name, amount_paid, currency, ordered_at, payment_channel, payment_ref, demands, refund_claimed, ultimatum_days,
                submitted_at, submitted_on, state, version, updated_at, stage_started_at, deadline_at, overdue, overdue_party,
                merchant_missed_deadline, platform_missed_deadline, first_response_at, first_response_by, first_response_deadline_at,
                first_response_on_time, answered_by, answer, answer_rejected, mediation_body_id, escalated_at, triaged, mediator_id,
                mediated, settlement, consumer_accepted_settlement, platform_accepted_settlement, agreed_outcome, agreed_refund,
                resolved_at, referral_channel, referral_reference, rating, rating_comment, closed_at, ultimatum_at,
                standard_deadline_at, standard_deadline_passed, promise, invalid_reason, outcome, closes_at, unfulfilled_reports,
                rated_on)
            SELECT id, consumer_id, consumer_name, platform_id, merchant_id, category, title, description, order_no, product_name,
                amount_paid, currency, ordered_at, payment_channel, payment_ref, demands::jsonb, refund_claimed, ultimatum_days,
                submitted_at, submitted_on, state, version, updated_at, stage_started_at, deadline_at, overdue, overdue_party,
                merchant_missed_deadline, platform_missed_deadline, first_response_at, first_response_by, first_response_deadline_at,
                first_response_on_time, answered_by, answer::jsonb, answer_rejected, mediation_body_id, escalated_at, triaged,
                mediator_id, mediated, settlement::jsonb, consumer_accepted_settlement, platform_accepted_settlement,
                agreed_outcome::jsonb, agreed_refund, resolved_at, referral_channel, referral_reference, rating, rating_comment,
                closed_at, ultimatum_at, standard_deadline_at, standard_deadline_passed, promise::jsonb, invalid_reason, outcome,
                closes_at, unfulfilled_reports, rated_on
            FROM jsonb_to_recordset(\(Self.jsonArray(rows))::jsonb) AS c (
                id uuid, consumer_id uuid, consumer_name text, platform_id uuid, merchant_id uuid, category text, title text,
                description text, order_no text, product_name text, amount_paid bigint, currency text, ordered_at timestamptz,
                payment_channel text, payment_ref text, demands text, refund_claimed bigint, ultimatum_days integer,
                submitted_at timestamptz, submitted_on date, state text, version integer, updated_at timestamptz,
                stage_started_at timestamptz, deadline_at timestamptz, overdue boolean, overdue_party text,
                merchant_missed_deadline boolean, platform_missed_deadline boolean, first_response_at timestamptz,
                first_response_by text, first_response_deadline_at timestamptz, first_response_on_time boolean, answered_by text,
                answer text, answer_rejected boolean, mediation_body_id uuid, escalated_at timestamptz, triaged boolean,
                mediator_id uuid, mediated boolean, settlement text, consumer_accepted_settlement boolean,
                platform_accepted_settlement boolean, agreed_outcome text, agreed_refund bigint, resolved_at timestamptz,
                referral_channel text, referral_reference text, rating integer, rating_comment text, closed_at timestamptz,
                ultimatum_at timestamptz, standard_deadline_at timestamptz, standard_deadline_passed boolean, promise text,
                invalid_reason text, outcome text, closes_at timestamptz, unfulfilled_reports integer, rated_on date)
            """)
        // Repeat complaints, as the filing trigger (suspended here) decides them, among the complaints
        // written so far: a batch's earlier-dated complaint does not mark a later one written before it.
        try await query(
            """
            UPDATE complaints c SET repeat_filing = true
            WHERE c.id = ANY(\(complaints.map(\.complaint.id)))
              AND EXISTS (SELECT 1 FROM complaints e WHERE e.consumer_id = c.consumer_id AND e.platform_id = c.platform_id
                          AND e.submitted_at >= c.submitted_at - interval '90 days' AND e.submitted_at < c.submitted_at)
            """)
    }

    /// Adds complaints (inserted with the triggers suspended) to the statistics, as the statistics
    /// trigger would have: the same contribution function, summed per platform, day or month, category.
    public func addToStatisticsInBulk(complaintIDs: [UUID]) async throws {
        guard !complaintIDs.isEmpty else { return }
        for (table, key, bucket) in [
            ("platform_daily_statistics", "day", "submitted_on"), ("platform_monthly_statistics", "month", "date_trunc('month', submitted_on)::date"),
        ] {
            let columns = StatisticsCounts.counters.map(\.column)
            let sums = columns.indices.map { "sum(v[\($0 + 1)])" }.joined(separator: ", ")
            let updates = columns.map { "\($0) = s.\($0) + excluded.\($0)" }.joined(separator: ", ")
            try await query(
                """
                INSERT INTO \(unescaped: table) AS s (platform_id, \(unescaped: key), category, \(unescaped: columns.joined(separator: ", ")))
                SELECT platform_id, bucket, category, \(unescaped: sums)
                FROM (SELECT platform_id, \(unescaped: bucket) AS bucket, category, redress_statistics_contribution(c) AS v
                      FROM complaints c WHERE id = ANY(\(complaintIDs))) x
                GROUP BY platform_id, bucket, category
                ON CONFLICT (platform_id, \(unescaped: key), category) DO UPDATE SET \(unescaped: updates)
                """)
        }
        try await query(
            """
            INSERT INTO complaint_response_times (complaint_id, platform_id, submitted_on, category, seconds)
            SELECT id, platform_id, submitted_on, category, extract(epoch FROM first_response_at - submitted_at)
            FROM complaints WHERE id = ANY(\(complaintIDs)) AND first_response_at IS NOT NULL
            """)
        // What the response times' trigger adds, through the same function, one value at a time.
        try await query(
            """
            SELECT count(redress_add_response_seconds(platform_id, submitted_on, category,
                                                      least(greatest(floor(seconds), 0), 2147483647)::integer))
            FROM complaint_response_times WHERE complaint_id = ANY(\(complaintIDs))
            """)
        try await query(
            """
            INSERT INTO merchant_monthly_record AS r (merchant_id, platform_id, month, complaints, invalid, open, unresolved, missed_deadline,
                amount_refunded, police_referrals)
            SELECT merchant_id, platform_id, month, sum(v[1]), sum(v[2]), sum(v[3]), sum(v[4]), sum(v[5]), sum(v[6]), sum(v[7])
            FROM (SELECT merchant_id, platform_id, date_trunc('month', submitted_on)::date AS month, redress_merchant_contribution(c) AS v
                  FROM complaints c WHERE id = ANY(\(complaintIDs)) AND merchant_id IS NOT NULL) x
            GROUP BY 1, 2, 3
            ON CONFLICT (merchant_id, month) DO UPDATE SET
                complaints = r.complaints + excluded.complaints, invalid = r.invalid + excluded.invalid, open = r.open + excluded.open,
                unresolved = r.unresolved + excluded.unresolved,
                missed_deadline = r.missed_deadline + excluded.missed_deadline, amount_refunded = r.amount_refunded + excluded.amount_refunded,
                police_referrals = r.police_referrals + excluded.police_referrals
            """)
        try await query(
            """
            INSERT INTO platform_monthly_ratings AS r (platform_id, month, ratings, rating_sum)
            SELECT platform_id, date_trunc('month', rated_on)::date, count(*), sum(rating)
            FROM complaints WHERE id = ANY(\(complaintIDs)) AND rated_on IS NOT NULL GROUP BY 1, 2
            ON CONFLICT (platform_id, month) DO UPDATE SET ratings = r.ratings + excluded.ratings, rating_sum = r.rating_sum + excluded.rating_sum
            """)
    }

    /// Every complaint the caller may see (all of them, for the owner).
    public func complaintCount() async throws -> Int {
        for try await count in try await query("SELECT count(*)::bigint FROM complaints").decode(Int64.self) { return Int(count) }
        return 0
    }

    /// The rows as one JSON array, written by hand: JSONSerialization's boxing costs more than the
    /// database's work at a thousand rows per statement.
    static func jsonArray(_ rows: [[String: any JSONCell]]) -> String {
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        bytes.reserveCapacity(rows.count * 1_024)
        for (index, row) in rows.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(UInt8(ascii: "{"))
            for (position, (key, value)) in row.enumerated() {
                if position > 0 { bytes.append(UInt8(ascii: ",")) }
                JSONText.string(key, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                value.appendJSON(to: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(UInt8(ascii: "]"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A time as PostgreSQL reads it exactly (microseconds), or JSON null.
    static func time(_ date: Date?) -> String? {
        date.map(UTCTime.microseconds)
    }
}

/// A value of a row handed to `jsonb_to_recordset`.
protocol JSONCell {
    func appendJSON(to bytes: inout [UInt8])
}

extension String: JSONCell {
    func appendJSON(to bytes: inout [UInt8]) { JSONText.string(self, to: &bytes) }
}

extension Int: JSONCell {
    func appendJSON(to bytes: inout [UInt8]) { bytes += String(self).utf8 }
}

extension Bool: JSONCell {
    func appendJSON(to bytes: inout [UInt8]) { bytes += (self ? "true" : "false").utf8 }
}

extension Optional: JSONCell where Wrapped: JSONCell {
    func appendJSON(to bytes: inout [UInt8]) {
        if let value = self { value.appendJSON(to: &bytes) } else { bytes += "null".utf8 }
    }
}

