import Foundation
import Hummingbird
import RedressCore
import RedressStore

/// Flags on a case: unfair terms and retaliation threats, recognised in what the platform's side
/// wrote (`FlagRecognition`) or reported by the consumer with evidence; shown to the parties with the
/// legal basis; confirmed or dismissed once by a mediator of the body the case is with.
struct FlagController {
    let database: Database
    let configuration: APIConfiguration

    var endpoints: [Endpoint] {
        [
            Endpoint(.get, "/api/v1/complaints/:id/flags", list),
            Endpoint(.post, "/api/v1/complaints/:id/flags", report),
            Endpoint(.post, "/api/v1/complaints/:id/flags/:flagID/decision", decide),
        ]
    }

    struct ReportRequest: Decodable {
        let kind: String?
        let statement: String?
        let evidenceIDs: [UUID]?

        enum CodingKeys: String, CodingKey {
            case kind, statement
            case evidenceIDs = "evidenceIds"
        }
    }

    struct DecisionRequest: Decodable {
        let decision: String?
        let note: String?
    }

    struct FlagResponse: Encodable, Sendable {
        let id: ResourceID
        let kind: FlagKind
        let source: FlagSource
        /// The recognised wording (none for a consumer's report).
        let phrase: String?
        /// The terms version or the message it was recognised in.
        let sourceID: ResourceID?
        let statement: String?
        let evidenceIDs: [ResourceID]
        let state: FlagState
        let decidedAt: Date?
        let legalBasis: String
        let createdAt: Date

        init(_ flag: CaseFlag, language: Language) {
            id = ResourceID(flag.id)
            kind = flag.kind
            source = flag.source
            phrase = flag.phrase
            sourceID = flag.sourceID.map(ResourceID.init)
            statement = flag.statement
            evidenceIDs = flag.evidenceIDs.map(ResourceID.init)
            state = flag.state
            decidedAt = flag.decidedAt
            legalBasis = flag.kind.legalBasis(in: language)
            createdAt = flag.createdAt
        }

        enum CodingKeys: String, CodingKey {
            case id, kind, source, phrase, sourceID, statement, state, decidedAt, legalBasis, createdAt
            case evidenceIDs = "evidence_ids"
        }
    }

    @Sendable func list(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<PageResponse<FlagResponse>> {
        let (actor, id) = try MessageController.caller(context)
        let flags = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await MessageController.requireParty(actor, complaintID: id, transaction)
            return try await transaction.flags(complaintID: id)
        }
        let language = context.language
        return JSONResponse(body: PageResponse(items: flags.map { FlagResponse($0, language: language) }, nextCursor: nil))
    }

    /// The consumer reports an unfair term or a threat, with what he says and the evidence he uploaded.
    @Sendable func report(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<FlagResponse> {
        let (actor, id) = try MessageController.caller(context)
        let body = try await request.decodeJSON(ReportRequest.self, limit: configuration.maxJSONBodyBytes)
        var fields = FieldValidator()
        let kind = FlagKind(rawValue: body.kind ?? "")
        if kind == nil { fields.fail("kind", body.kind == nil ? "required" : "unknown_value") }
        let statement = fields.paragraph(body.statement, field: "statement", maxLength: 2000)
        let evidence = body.evidenceIDs ?? []
        if evidence.count > 10 { fields.fail("evidence_ids", "too_many") }
        try fields.check()
        let flag = CaseFlag(
            complaintID: id, kind: kind!, source: .consumerReport, phrase: nil, sourceID: nil, statement: statement,
            evidenceIDs: Array(Set(evidence)).sorted { $0.uuidString < $1.uuidString }, raisedBy: actor.accountID,
            createdAt: configuration.clock.now())
        try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            let relations = try await MessageController.requireParty(actor, complaintID: id, transaction)
            guard relations.contains(.consumer) else { throw RedressError.forbidden }
            guard let complaint = try await transaction.complaint(id: id, forUpdate: true), !complaint.state.isTerminal else {
                throw RedressError(.invalidTransition, detail: "The case is closed.", allowedActions: [])
            }
            if try await transaction.flagCount(complaintID: id, source: .consumerReport) >= CaseFlag.maximumReportsPerCase {
                throw RedressError.validation([.init(field: "kind", reason: "too_many_reports")])
            }
            let onCase = Set(try await transaction.evidenceIDs(complaintID: id))
            if !flag.evidenceIDs.allSatisfy(onCase.contains) {
                throw RedressError.validation([.init(field: "evidence_ids", reason: "not_evidence_of_the_case")])
            }
            try await transaction.raiseFlags([flag], actor: context.auditActor)
        }
        return JSONResponse(status: .created, body: FlagResponse(flag, language: context.language))
    }

    /// The mediator assigned to the case, or its body's lead, confirms or dismisses an open flag while
    /// the case is open; the decision is final.
    @Sendable func decide(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<FlagResponse> {
        let (actor, id) = try MessageController.caller(context)
        let flagID = try context.parameters.id("flagID")
        let body = try await request.decodeJSON(DecisionRequest.self, limit: configuration.maxJSONBodyBytes)
        let decided = try await decide(flagID, on: id, decision: body.decision, note: body.note, by: actor, context: context)
        return JSONResponse(body: FlagResponse(decided, language: context.language))
    }

    /// A mediator's decision on a flag, once, while the case is in mediation (for the API and the console).
    func decide(_ flagID: UUID, on id: UUID, decision: String?, note rawNote: String?, by actor: Actor, context: RedressRequestContext) async throws -> CaseFlag {
        var fields = FieldValidator()
        let confirm: Bool? = switch decision {
        case "confirm": true
        case "dismiss": false
        default: nil
        }
        if confirm == nil { fields.fail("decision", decision == nil ? "required" : "unknown_value") }
        let note = fields.optionalText(rawNote, field: "note", maxLength: 2000)
        try fields.check()
        return try await database.transaction(as: context.identity, origin: context.origin) { transaction -> CaseFlag in
            let relations = try await MessageController.requireParty(actor, complaintID: id, transaction)
            guard !relations.isDisjoint(with: [.assignedMediator, .mediationLead]) else { throw RedressError.forbidden }
            // A body that never took the case up decides nothing; a closed case's figures stay as they are.
            guard let complaint = try await transaction.complaint(id: id), complaint.mediated, !complaint.state.isTerminal else {
                throw RedressError(.invalidTransition, detail: "Flags are decided while the case is in mediation.", allowedActions: [])
            }
            guard var flag = try await transaction.flags(complaintID: id).first(where: { $0.id == flagID }) else { throw RedressError.notFound }
            guard flag.state == .open,
                try await transaction.decideFlag(id: flagID, complaintID: id, confirm: confirm!, note: note, actor: context.auditActor)
            else {
                throw RedressError(.conflict, detail: "The flag is decided already.")
            }
            flag.state = confirm! ? .confirmed : .dismissed
            flag.decidedBy = actor.accountID
            flag.decidedAt = transaction.now
            return flag
        }
    }
}

/// Flags raised by what someone wrote on a case: every catalogued wording of the platform's side.
enum FlagRecognition {
    static func flags(in texts: [String?], complaintID: UUID, source: FlagSource, sourceID: UUID?, by author: UUID, at time: Date) -> [CaseFlag] {
        var seen = Set<String>()
        return texts.compactMap { $0 }.flatMap(FlagKind.recognise).compactMap { match in
            guard seen.insert("\(match.kind.rawValue)|\(match.phrase)").inserted else { return nil }
            return CaseFlag(
                complaintID: complaintID, kind: match.kind, source: source, phrase: match.phrase, sourceID: sourceID, raisedBy: author,
                createdAt: time)
        }
    }
}
