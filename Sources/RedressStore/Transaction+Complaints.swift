import Foundation
import PostgresNIO
import RedressCore
import Synchronization

/// Filters of the complaint list. `nil` means "any".
public struct ComplaintFilter: Sendable {
    /// Whose complaints: the caller's own scope, stated in the query so that an index serves it
    /// (row-level security alone would filter a scan of every complaint). RLS still decides.
    public enum Scope: Sendable {
        case consumer(UUID)
        case platform(UUID)
        case merchant(UUID)
        case mediationBody(UUID)
        case everything

        /// The scope as the complaint columns it fixes (nil: not fixed), for a query's conditions.
        var columns: (consumer: UUID?, platform: UUID?, merchant: UUID?, body: UUID?) {
            switch self {
            case .consumer(let id): (id, nil, nil, nil)
            case .platform(let id): (nil, id, nil, nil)
            case .merchant(let id): (nil, nil, id, nil)
            case .mediationBody(let id): (nil, nil, nil, id)
            case .everything: (nil, nil, nil, nil)
            }
        }
    }

    public var scope: Scope = .everything
    public var states: [ComplaintState]?
    public var category: ComplaintCategory?
    public var platformID: UUID?
    public var merchantID: UUID?
    public var overdue: Bool?
    public var submittedFrom: Date?
    public var submittedTo: Date?
    public var titleContains: String?

    /// Whether an index gives this list's rows in page order: the scope's index by submission time,
    /// or, for a platform's or a merchant's cases of one state, its index by state and submission time.
    public var hasOrderedIndex: Bool {
        guard category == nil, platformID == nil, merchantID == nil, overdue == nil, titleContains == nil else { return false }
        switch (scope, states?.count) {
        case (_, nil), (.platform, 1), (.merchant, 1): return true
        default: return false
        }
    }

    public init() {}
}

extension Transaction {
    static let complaintColumns = """
        id, consumer_id, consumer_name, platform_id, merchant_id, category, title, description, order_no, product_name, amount_paid,
        currency, ordered_at, payment_channel, payment_ref, demands::text AS demands, ultimatum_days, ultimatum_at, state,
        version, submitted_at, updated_at, stage_started_at, deadline_at, overdue, overdue_party, merchant_missed_deadline,
        platform_missed_deadline, first_response_at, first_response_by, first_response_deadline_at, first_response_on_time,
        answered_by, answer::text AS answer, answer_rejected, mediation_body_id, escalated_at, triaged, mediator_id, mediated,
        settlement::text AS settlement, consumer_accepted_settlement, platform_accepted_settlement,
        agreed_outcome::text AS agreed_outcome, agreed_refund, resolved_at, referral_channel, referral_reference, rating,
        rating_comment, closed_at, standard_deadline_at, standard_deadline_passed, promise::text AS promise, invalid_reason, outcome,
        closes_at, unfulfilled_reports, to_char(rated_on, 'YYYY-MM-DD') AS rated_on, erased_at, anonymised_at, acknowledgements,
        last_acknowledged_at, fault_claim, fault_finding, referral_outcome, referral_closed_at, refiles,
        platform_deadline_held_at, escalated_by, collective_id
        """

    /// Files a complaint. `submittedOn` is the local day of its submission where deadlines are
    /// counted: the day the statistics count it under. Its texts are indexed for search, with the
    /// name of the merchant it names.
    public func insertComplaint(_ complaint: Complaint, submittedOn: LocalDate, merchantName: String? = nil, actor: AuditActor) async throws {
        try await execute(ComplaintInsertStatement(complaint: complaint, submittedOn: submittedOn))
        try await indexComplaintText(complaint, merchantName: merchantName)
        try await record(
            AuditEntry(
                chain: AuditChain.complaint(complaint.id), action: "complaint.submit", entityType: "complaint",
                entityID: complaint.id, actor: actor,
                changes: ComplaintWorkflow.submitAuditChanges(complaint)))
        try await publish("complaint.submit", complaintID: complaint.id, state: complaint.state, actorID: actor.accountID)
        effects.transition("submit")
    }

    public func complaint(id: UUID, forUpdate: Bool = false) async throws -> Complaint? {
        let rows = forUpdate
            ? try await execute(ComplaintForUpdateStatement(id: id)) : try await execute(ComplaintStatement(id: id))
        for try await row in rows { return try Self.decodeComplaint(row) }
        return nil
    }

    /// Stores a complaint changed by an action, if nobody changed it since `expectedVersion`, and
    /// records the action. Returns `false` when another change won (no read-then-write window: the
    /// version check is part of the UPDATE).
    public func updateComplaint(
        _ complaint: Complaint, expectedVersion: Int, action: String, changes: [String: AuditFieldChange], actor: AuditActor
    ) async throws -> Bool {
        let rows = try await execute(ComplaintUpdateStatement(complaint: complaint, expectedVersion: expectedVersion))
        var updated = false
        for try await _ in rows { updated = true }
        guard updated else { return false }
        try await record(
            AuditEntry(
                chain: AuditChain.complaint(complaint.id), action: action, entityType: "complaint", entityID: complaint.id,
                actor: actor, changes: changes))
        try await publish(
            action, complaintID: complaint.id, state: complaint.state, hiddenFromPlatform: action == "complaint.rate", actorID: actor.accountID)
        effects.transition(action.hasPrefix("complaint.") ? String(action.dropFirst("complaint.".count)) : action)
        return true
    }

    /// The stage lengths for a case: its platform's policy and, once escalated, its body's.
    public func stagePolicy(platformID: UUID, mediationBodyID: UUID?) async throws -> StagePolicy {
        var policy = StagePolicy()
        for try await row in try await execute(PlatformStagesStatement(id: platformID)) {
            let (days, merchantDays, fulfilment) = try row.decode((Int, Int, Int).self)
            policy.responseDays = days
            policy.merchantResponseDays = merchantDays
            policy.fulfilmentDays = fulfilment
        }
        if let body = mediationBodyID {
            for try await row in try await execute(MediationBodyStagesStatement(id: body)) {
                let (triage, mediation) = try row.decode((Int, Int).self)
                policy.triageDays = triage
                policy.mediationDays = mediation
            }
        }
        return policy
    }

    /// Whether an account is an enabled mediator (or lead) of a body.
    public func isMediator(_ accountID: UUID, of bodyID: UUID) async throws -> Bool {
        let rows = try await query(
            """
            SELECT 1 FROM accounts
            WHERE id = \(accountID) AND organization_id = \(bodyID) AND role IN ('mediator', 'mediation_lead')
              AND disabled_at IS NULL
            """)
        for try await _ in rows { return true }
        return false
    }

    static func json<T: Encodable>(_ value: T?) -> String? {
        guard let value else { return nil }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) }
    }

    static func fromJSON<T: Decodable>(_ type: T.Type, _ text: String?) throws -> T? {
        guard let text else { return nil }
        return try snakeCaseDecoder.decode(T.self, from: Data(text.utf8))
    }

    /// The same, read by `read` from the parsed text when it takes it (`StoredJSON`), by Foundation otherwise.
    static func fromJSON<T: Decodable>(_ type: T.Type, _ text: String?, read: (StoredJSON.Value) -> T?) throws -> T? {
        guard let text else { return nil }
        if let value = StoredJSON.parse(text), let decoded = read(value) { return decoded }
        return try snakeCaseDecoder.decode(T.self, from: Data(text.utf8))
    }

    /// One decoder for every column: its options never change after this.
    private static let snakeCaseDecoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()

    /// A case's promise: the platform's terms when the case was filed, the same few texts for every
    /// case of a platform; decoding each again was a tenth of the service's time for a list.
    static func promise(_ text: String?) throws -> PlatformPromise? {
        guard let text else { return nil }
        if let known = knownPromises.withLock({ $0[text] }) { return known }
        let promise = try snakeCaseDecoder.decode(PlatformPromise.self, from: Data(text.utf8))
        knownPromises.withLock { known in
            if known.count < 1_024 { known[text] = promise }
        }
        return promise
    }

    private static let knownPromises = Mutex<[String: PlatformPromise]>([:])

    /// A complaint from the columns of `complaintColumns`, read in their order from the row's `id`
    /// onwards (the reading statement puts its own columns first): by position, not by name. Looking
    /// each of the 71 names up hashed every one, for every row — a tenth of the service's CPU for a page
    /// of fifty. Debug builds check every column's name; all builds check the first and the last.
    static func decodeComplaint(_ row: PostgresRow) throws -> Complaint {
        try decodeComplaint(row.makeRandomAccess())
    }

    /// The same, from a row its caller already made random access (to read its own columns).
    static func decodeComplaint(_ row: PostgresRandomAccessRow) throws -> Complaint {
        var c = OrderedCells(row, from: row.firstIndex { $0.columnName == "id" } ?? row.endIndex)
        guard row.endIndex - c.index >= Self.complaintColumnCount, row[c.index + Self.complaintColumnCount - 1].columnName == "collective_id" else {
            throw RedressError(.internalError)
        }
        func date(_ name: StaticString) throws -> Date? { try c.next(name).decode(Date?.self) }
        func text(_ name: StaticString) throws -> String? { try c.next(name).decode(String?.self) }
        func int(_ name: StaticString) throws -> Int? { try c.next(name).decode(Int?.self) }
        func flag(_ name: StaticString) throws -> Bool { try c.next(name).decode(Bool.self) }
        func uuid(_ name: StaticString) throws -> UUID? { try c.next(name).decode(UUID?.self) }
        func relation(_ name: StaticString) throws -> CaseRelation? { try text(name).flatMap(CaseRelation.init(rawValue:)) }
        let id = try c.next("id").decode(UUID.self)
        let consumerID = try c.next("consumer_id").decode(UUID.self)
        let consumerName = try c.next("consumer_name").decode(String.self)
        let platformID = try c.next("platform_id").decode(UUID.self)
        let merchantID = try uuid("merchant_id")
        let category = ComplaintCategory(rawValue: try c.next("category").decode(String.self))
        let title = try c.next("title").decode(String.self)
        let description = try c.next("description").decode(String.self)
        let order = OrderFacts(
            orderNo: try c.next("order_no").decode(String.self), productName: try c.next("product_name").decode(String.self),
            amountPaid: Int(try c.next("amount_paid").decode(Int64.self)), currency: try c.next("currency").decode(String.self),
            orderedAt: try date("ordered_at"), paymentChannel: try text("payment_channel"), paymentRef: try text("payment_ref"))
        let demands = try fromJSON([Demand].self, try text("demands"), read: StoredJSON.demands) ?? []
        let ultimatumDays = try int("ultimatum_days")
        let ultimatumAt = try date("ultimatum_at")
        guard let category, let state = ComplaintState(rawValue: try c.next("state").decode(String.self)) else {
            throw RedressError(.internalError)
        }
        var complaint = Complaint(
            id: id, consumerID: consumerID, consumerName: consumerName, platformID: platformID, merchantID: merchantID, category: category,
            title: title, description: description, order: order, demands: demands, ultimatumDays: ultimatumDays, state: state,
            submittedAt: .distantPast)
        complaint.ultimatumAt = ultimatumAt
        complaint.version = try c.next("version").decode(Int.self)
        complaint.submittedAt = try c.next("submitted_at").decode(Date.self)
        complaint.updatedAt = try c.next("updated_at").decode(Date.self)
        complaint.stageStartedAt = try c.next("stage_started_at").decode(Date.self)
        complaint.deadlineAt = try date("deadline_at")
        complaint.overdue = try flag("overdue")
        complaint.overdueParty = try text("overdue_party")
        complaint.merchantMissedDeadline = try flag("merchant_missed_deadline")
        complaint.platformMissedDeadline = try flag("platform_missed_deadline")
        complaint.firstResponseAt = try date("first_response_at")
        complaint.firstResponseBy = try relation("first_response_by")
        complaint.firstResponseDeadlineAt = try date("first_response_deadline_at")
        complaint.firstResponseOnTime = try c.next("first_response_on_time").decode(Bool?.self)
        complaint.answeredBy = try relation("answered_by")
        complaint.answer = try fromJSON(Answer.self, try text("answer"), read: StoredJSON.answer)
        complaint.answerRejected = try flag("answer_rejected")
        complaint.mediationBodyID = try uuid("mediation_body_id")
        complaint.escalatedAt = try date("escalated_at")
        complaint.triaged = try flag("triaged")
        complaint.mediatorID = try uuid("mediator_id")
        complaint.mediated = try flag("mediated")
        complaint.settlement = try fromJSON(Proposal.self, try text("settlement"), read: StoredJSON.proposal)
        complaint.consumerAcceptedSettlement = try flag("consumer_accepted_settlement")
        complaint.platformAcceptedSettlement = try flag("platform_accepted_settlement")
        complaint.agreedOutcome = try fromJSON(Proposal.self, try text("agreed_outcome"), read: StoredJSON.proposal)
        complaint.agreedRefund = try c.next("agreed_refund").decode(Int64?.self).map(Int.init)
        complaint.resolvedAt = try date("resolved_at")
        complaint.referralChannel = try text("referral_channel").flatMap(ReferralChannel.init(rawValue:))
        complaint.referralReference = try text("referral_reference")
        complaint.rating = try int("rating")
        complaint.ratingComment = try text("rating_comment")
        complaint.closedAt = try date("closed_at")
        complaint.standardDeadlineAt = try date("standard_deadline_at")
        complaint.standardDeadlinePassed = try flag("standard_deadline_passed")
        complaint.promise = try promise(try text("promise"))
        complaint.invalidReason = try text("invalid_reason").flatMap(InvalidReason.init(rawValue:))
        complaint.outcome = try text("outcome").flatMap(CaseOutcome.init(rawValue:))
        complaint.closesAt = try date("closes_at")
        complaint.unfulfilledReports = try int("unfulfilled_reports") ?? 0
        complaint.ratedOn = try text("rated_on").flatMap(LocalDate.init)
        complaint.erasedAt = try date("erased_at")
        complaint.anonymisedAt = try date("anonymised_at")
        complaint.acknowledgements = try int("acknowledgements") ?? 0
        complaint.lastAcknowledgedAt = try date("last_acknowledged_at")
        complaint.faultClaim = try text("fault_claim").flatMap(Fault.init(rawValue:))
        complaint.faultFinding = try text("fault_finding").flatMap(Fault.init(rawValue:))
        complaint.referralOutcome = try text("referral_outcome").flatMap(ReferralOutcome.init(rawValue:))
        complaint.referralClosedAt = try date("referral_closed_at")
        complaint.refiles = try uuid("refiles")
        complaint.platformDeadlineHeldAt = try date("platform_deadline_held_at")
        complaint.escalatedBy = try text("escalated_by").flatMap(CaseRelation.init(rawValue:))
        complaint.collectiveID = try uuid("collective_id")
        return complaint
    }

    /// How many columns `complaintColumns` names: its commas outside parentheses, and one.
    static let complaintColumnCount: Int = {
        var depth = 0, count = 1
        for byte in complaintColumns.utf8 {
            switch byte {
            case UInt8(ascii: "("): depth += 1
            case UInt8(ascii: ")"): depth -= 1
            case UInt8(ascii: ","): if depth == 0 { count += 1 }
            default: break
            }
        }
        return count
    }()

    /// A row's cells one after another, each named as the caller expects (checked in debug builds).
    struct OrderedCells {
        let row: PostgresRandomAccessRow
        private(set) var index: Int

        init(_ row: PostgresRandomAccessRow, from index: Int) {
            self.row = row
            self.index = index
        }

        mutating func next(_ name: StaticString) -> PostgresCell {
            let cell = row[index]
            assert(cell.columnName == name.description, "column \(index) is \(cell.columnName), not \(name)")
            index += 1
            return cell
        }
    }
}

/// How many cases are open in one state, and how many of those are overdue.
public struct OpenCaseCount: Sendable, Equatable {
    public let state: String
    public let open: Int
    public let overdue: Int
}

extension Transaction {
    /// Every open case counted by state (the role must see every case: `system`).
    public func openCaseCounts() async throws -> [OpenCaseCount] {
        let rows = try await query(
            """
            SELECT state, count(*), count(*) FILTER (WHERE overdue) FROM complaints
            WHERE state NOT IN \(unescaped: Lifecycle.terminal.sqlList)
            GROUP BY state
            """)
        var counts: [OpenCaseCount] = []
        for try await (state, open, overdue) in rows.decode((String, Int, Int).self) {
            counts.append(OpenCaseCount(state: state, open: open, overdue: overdue))
        }
        return counts
    }
}

extension Transaction {
    /// Whether a complaint was re-filed already.
    public func isRefiled(_ id: UUID) async throws -> Bool {
        for try await _ in try await query("SELECT 1 FROM complaints WHERE refiles = \(id) LIMIT 1") { return true }
        return false
    }
}

/// A complaint as reading it shows it.
public struct ComplaintReading: Sendable {
    public let complaint: Complaint
    /// Whether its platform sends consumers to the merchant first.
    public let merchantFirst: Bool
    /// The kinds of evidence the caller may see.
    public let evidence: [EvidenceKind]
    /// The consumer's e-mail and phone, read for mediators only (and only where row-level security
    /// lets them read the consumer's account); whether to show them is the caller's rule.
    public let consumerEmail: String?
    public let consumerPhone: String?
}

extension Database {
    /// A page of the complaints `identity` may read that match `filter`, in submission order, in one
    /// statement (`ComplaintPageStatement`).
    public func complaints(as identity: DatabaseIdentity, matching filter: ComplaintFilter, page: PageRequest) async throws -> Page<Complaint> {
        try await statement { connection in
            var complaints: [Complaint] = []
            let statement = ComplaintPageStatement(identity: identity, filter: filter, page: page)
            for try await row in try await Transaction.execute(statement, on: connection, logger: logger) {
                complaints.append(try Transaction.decodeComplaint(row))
            }
            return Page(fetched: complaints, limit: page.limit) { PageCursor(createdAt: $0.submittedAt, id: $0.id) }
        }
    }

    /// A mediation body's open cases, most urgent first: overdue ones, then the earliest deadline,
    /// then the largest amount. `offset` pages through it. One statement (`TriagePageStatement`).
    public func triageQueue(
        as identity: DatabaseIdentity, bodyID: UUID, states: [ComplaintState], overdue: Bool?, mediatorID: UUID?, unassigned: Bool = false,
        offset: Int, limit: Int
    ) async throws -> [Complaint] {
        try await statement { connection in
            var complaints: [Complaint] = []
            let statement = TriagePageStatement(
                identity: identity, bodyID: bodyID, states: states, overdue: overdue, mediatorID: mediatorID, unassigned: unassigned,
                offset: offset, limit: limit)
            for try await row in try await Transaction.execute(statement, on: connection, logger: logger) {
                complaints.append(try Transaction.decodeComplaint(row))
            }
            return complaints
        }
    }

    /// One complaint by id as `identity` may read it, in one statement (`ComplaintReadingStatement`).
    public func complaintForReading(as identity: DatabaseIdentity, id: UUID) async throws -> ComplaintReading? {
        try await statement { connection in
            for try await row in try await Transaction.execute(ComplaintReadingStatement(identity: identity, id: id), on: connection, logger: logger) {
                let cells = row.makeRandomAccess()
                return ComplaintReading(
                    complaint: try Transaction.decodeComplaint(cells),
                    merchantFirst: try cells["reading_merchant_first"].decode(Bool?.self) ?? false,
                    evidence: try cells["reading_evidence_kinds"].decode([String].self).compactMap(EvidenceKind.init(rawValue:)),
                    consumerEmail: try cells["reading_consumer_email"].decode(String?.self),
                    consumerPhone: try cells["reading_consumer_phone"].decode(String?.self))
            }
            return nil
        }
    }
}
