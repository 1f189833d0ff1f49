import Foundation
import PostgresNIO
import RedressCore

/// A platform's recorded terms: one version of its after-sales clauses.
public struct PlatformTerms: Sendable, Equatable {
    public let id: UUID
    public let platformID: UUID
    public let version: Int
    public let effectiveFrom: LocalDate
    public let clauses: [String]
    public let recordedBy: UUID
    public let createdAt: Date

    public init(id: UUID, platformID: UUID, version: Int, effectiveFrom: LocalDate, clauses: [String], recordedBy: UUID, createdAt: Date) {
        self.id = id
        self.platformID = platformID
        self.version = version
        self.effectiveFrom = effectiveFrom
        self.clauses = clauses
        self.recordedBy = recordedBy
        self.createdAt = createdAt
    }
}

/// A flag on a case (`FlagKind`), from where it was raised, and the mediator's decision.
public struct CaseFlag: Sendable, Equatable {
    /// Flags recognised in what the seller's side wrote that one case may hold (a text raises at most
    /// one of each kind), and the consumer's reports: apart, so that neither crowds out the other.
    public static let maximumPerCase = 50
    public static let maximumReportsPerCase = 10

    public let id: UUID
    public let complaintID: UUID
    public let kind: FlagKind
    public let source: FlagSource
    public let phrase: String?
    public let sourceID: UUID?
    public let statement: String?
    public let evidenceIDs: [UUID]
    public let raisedBy: UUID
    public var state: FlagState
    public var decidedBy: UUID?
    public var decidedAt: Date?
    public let createdAt: Date

    public init(
        id: UUID = UUID(), complaintID: UUID, kind: FlagKind, source: FlagSource, phrase: String?, sourceID: UUID?, statement: String? = nil,
        evidenceIDs: [UUID] = [], raisedBy: UUID, state: FlagState = .open, decidedBy: UUID? = nil, decidedAt: Date? = nil, createdAt: Date
    ) {
        self.id = id
        self.complaintID = complaintID
        self.kind = kind
        self.source = source
        self.phrase = phrase
        self.sourceID = sourceID
        self.statement = statement
        self.evidenceIDs = evidenceIDs
        self.raisedBy = raisedBy
        self.state = state
        self.decidedBy = decidedBy
        self.decidedAt = decidedAt
        self.createdAt = createdAt
    }
}

extension Transaction {
    // MARK: Terms

    /// Records the next version of a platform's terms, with its audit event.
    public func recordPlatformTerms(platformID: UUID, effectiveFrom: LocalDate, clauses: [String], actor: AuditActor) async throws -> PlatformTerms {
        var next = 1
        for try await version in try await query(
            "SELECT coalesce(max(version), 0)::int + 1 FROM platform_terms WHERE platform_id = \(platformID)"
        ).decode(Int.self) { next = version }
        let terms = PlatformTerms(
            id: UUID(), platformID: platformID, version: next, effectiveFrom: effectiveFrom, clauses: clauses, recordedBy: actor.accountID ?? UUID(),
            createdAt: now)
        try await query(
            """
            INSERT INTO platform_terms (id, platform_id, version, effective_from, clauses, recorded_by, created_at)
            VALUES (\(terms.id), \(platformID), \(next), \(effectiveFrom.description)::date, \(Self.json(clauses))::jsonb, \(terms.recordedBy), \(now))
            """)
        try await record(
            AuditEntry(
                chain: AuditChain.administration, action: "platform.terms_record", entityType: "platform_terms", entityID: terms.id,
                actor: actor,
                changes: [
                    "version": .init(after: .int(next)), "effective_from": .init(after: .string(effectiveFrom.description)),
                    "clauses": .init(after: .int(clauses.count)),
                ]))
        return terms
    }

    /// The platform's terms: the newest `limit` versions, and the one in force on `day` whatever its
    /// version (back-dated versions cannot push it out of the list); newest first.
    public func platformTerms(platformID: UUID, inForceOn day: LocalDate, limit: Int = 20) async throws -> [PlatformTerms] {
        let rows = try await query(
            """
            SELECT id, platform_id, version, to_char(effective_from, 'YYYY-MM-DD'), clauses::text, recorded_by, created_at
            FROM platform_terms WHERE id IN (
                (SELECT id FROM platform_terms WHERE platform_id = \(platformID) ORDER BY version DESC LIMIT \(limit))
                UNION
                (SELECT id FROM platform_terms WHERE platform_id = \(platformID) AND effective_from <= \(day.description)::date
                 ORDER BY effective_from DESC, version DESC LIMIT 1))
            ORDER BY version DESC
            """)
        var terms: [PlatformTerms] = []
        for try await (id, platform, version, from, clauses, by, at) in rows.decode((UUID, UUID, Int, String, String, UUID, Date).self) {
            terms.append(
                PlatformTerms(
                    id: id, platformID: platform, version: version, effectiveFrom: LocalDate(from) ?? LocalDate(year: 1970, month: 1, day: 1),
                    clauses: try Self.fromJSON([String].self, clauses) ?? [], recordedBy: by, createdAt: at))
        }
        return terms
    }

    /// The clauses in force on `day` (the version that took effect last by then), and that version's id.
    public func platformClauses(platformID: UUID, inForceOn day: LocalDate) async throws -> (id: UUID, clauses: [String])? {
        for try await row in try await execute(PlatformClausesStatement(platformID: platformID, day: day.description)) {
            let (id, clauses) = try row.decode((UUID, String).self)
            return (id, try Self.fromJSON([String].self, clauses) ?? [])
        }
        return nil
    }

    // MARK: Flags

    /// Raises flags, each with an audit event (a message or a terms version flags a case once per kind:
    /// a repeat is not raised again); returns those raised.
    @discardableResult
    public func raiseFlags(_ flags: [CaseFlag], actor: AuditActor) async throws -> [CaseFlag] {
        var raised: [CaseFlag] = []
        guard let first = flags.first else { return raised }
        // A case holds at most `CaseFlag.maximumPerCase` recognised flags: a seller repeating the words
        // does not grow it (the consumer's reports are bounded apart, by the caller).
        var room = first.source == .consumerReport
            ? Int.max : CaseFlag.maximumPerCase - (try await flagCount(complaintID: first.complaintID, source: nil))
        for flag in flags where room > 0 {
            let rows = try await query(
                """
                INSERT INTO case_flags (id, complaint_id, kind, source, phrase, source_id, statement, evidence_ids, raised_by, created_at)
                VALUES (\(flag.id), \(flag.complaintID), \(flag.kind.rawValue), \(flag.source.rawValue), \(flag.phrase), \(flag.sourceID),
                        \(flag.statement), \(flag.evidenceIDs), \(flag.raisedBy), \(flag.createdAt))
                ON CONFLICT DO NOTHING RETURNING id
                """)
            var inserted = false
            for try await _ in rows { inserted = true }
            guard inserted else { continue }
            var changes: [String: AuditFieldChange] = [
                "kind": .init(after: .string(flag.kind.rawValue)), "source": .init(after: .string(flag.source.rawValue)),
            ]
            if let phrase = flag.phrase { changes["phrase"] = .init(after: .string(phrase)) }
            if let statement = flag.statement { changes["statement"] = .init(after: .personal(statement)) }
            try await record(
                AuditEntry(
                    chain: AuditChain.complaint(flag.complaintID), action: flag.source == .consumerReport ? "flag.report" : "flag.raise",
                    entityType: "case_flag", entityID: flag.id, actor: actor, changes: changes))
            raised.append(flag)
            room -= 1
        }
        return raised
    }

    public func flags(complaintID: UUID) async throws -> [CaseFlag] {
        let rows = try await query(
            """
            SELECT id, complaint_id, kind, source, phrase, source_id, statement, evidence_ids, raised_by, state, decided_by, decided_at, created_at
            FROM case_flags WHERE complaint_id = \(complaintID) ORDER BY seq LIMIT 200
            """)
        var flags: [CaseFlag] = []
        for try await row in rows {
            let c = row.makeRandomAccess()
            guard let kind = FlagKind(rawValue: try c["kind"].decode(String.self)), let source = FlagSource(rawValue: try c["source"].decode(String.self)),
                let state = FlagState(rawValue: try c["state"].decode(String.self))
            else { continue }
            flags.append(
                CaseFlag(
                    id: try c["id"].decode(UUID.self), complaintID: try c["complaint_id"].decode(UUID.self), kind: kind, source: source,
                    phrase: try c["phrase"].decode(String?.self), sourceID: try c["source_id"].decode(UUID?.self),
                    statement: try c["statement"].decode(String?.self), evidenceIDs: try c["evidence_ids"].decode([UUID].self),
                    raisedBy: try c["raised_by"].decode(UUID.self), state: state, decidedBy: try c["decided_by"].decode(UUID?.self),
                    decidedAt: try c["decided_at"].decode(Date?.self), createdAt: try c["created_at"].decode(Date.self)))
        }
        return flags
    }

    /// How many flags a case holds: the consumer's reports (`source` `consumerReport`), or the rest (`nil`).
    public func flagCount(complaintID: UUID, source: FlagSource?) async throws -> Int {
        let reports = source == .consumerReport
        for try await count in try await query(
            """
            SELECT count(*)::int FROM case_flags
            WHERE complaint_id = \(complaintID) AND (source = 'consumer_report') = \(reports)
            """
        ).decode(Int.self) {
            return count
        }
        return 0
    }

    /// Confirms or dismisses an open flag, with its audit event; `false` when it is not open (decided
    /// already, or not this caller's to decide).
    public func decideFlag(id: UUID, complaintID: UUID, confirm: Bool, note: String?, actor: AuditActor) async throws -> Bool {
        let state: FlagState = confirm ? .confirmed : .dismissed
        let rows = try await query(
            """
            UPDATE case_flags SET state = \(state.rawValue), decided_by = \(actor.accountID), decided_at = \(now)
            WHERE id = \(id) AND complaint_id = \(complaintID) AND state = 'open' RETURNING kind
            """)
        var kind: String?
        for try await value in rows.decode(String.self) { kind = value }
        guard let kind else { return false }
        if confirm {
            // The case now counts against its platform (the statistics trigger moves the figures).
            let column = kind == FlagKind.unfairTerm.rawValue ? "unfair_term_confirmed" : "threat_confirmed"
            try await query(
                """
                UPDATE complaints SET \(unescaped: column) = true, version = version + 1, updated_at = \(now)
                WHERE id = \(complaintID) AND NOT \(unescaped: column)
                """)
        }
        var changes: [String: AuditFieldChange] = [
            "kind": .init(after: .string(kind)), "state": .init(before: .string(FlagState.open.rawValue), after: .string(state.rawValue)),
        ]
        if let note { changes["note"] = .init(after: .personal(note)) }
        try await record(
            AuditEntry(
                chain: AuditChain.complaint(complaintID), action: confirm ? "flag.confirm" : "flag.dismiss", entityType: "case_flag", entityID: id,
                actor: actor, changes: changes))
        return true
    }
}
