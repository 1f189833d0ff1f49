import Foundation
import Hummingbird
import RedressCore
import RedressStore

/// A consumer's supplements: statements added after filing, each pointing to the evidence it adds,
/// appended and dated — the statement as filed never changes. The other side and the mediator see
/// what was added when (here, in the thread, in the dossier).
struct SupplementController {
    let database: Database
    let configuration: APIConfiguration

    var endpoints: [Endpoint] {
        [
            Endpoint(.get, "/api/v1/complaints/:id/supplements", list),
            Endpoint(.post, "/api/v1/complaints/:id/supplements", add),
        ]
    }

    /// Supplements one case takes.
    static let maximumPerCase = 20

    struct AddRequest: Decodable {
        let statement: String?
        let evidenceIDs: [UUID]?

        enum CodingKeys: String, CodingKey {
            case statement
            case evidenceIDs = "evidenceIds"
        }
    }

    @Sendable func list(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<PageResponse<MessageController.MessageResponse>> {
        let (actor, id) = try MessageController.caller(context)
        let page = try request.pageRequest()
        let supplements = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await MessageController.requireParty(actor, complaintID: id, transaction)
            return try await transaction.messages(complaintID: id, page: page, kind: .supplement)
        }
        return JSONResponse(body: PageResponse(supplements, MessageController.MessageResponse.init))
    }

    @Sendable func add(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<MessageController.MessageResponse> {
        let (actor, id) = try MessageController.caller(context)
        let body = try await request.decodeJSON(AddRequest.self, limit: configuration.maxJSONBodyBytes)
        let supplement = try await add(statement: body.statement, evidenceIDs: body.evidenceIDs ?? [], on: id, by: actor, context: context)
        return JSONResponse(status: .created, body: MessageController.MessageResponse(supplement))
    }

    /// A consumer's supplement to his open case: a statement and files already on the case (for the
    /// API and the console).
    func add(statement raw: String?, evidenceIDs: [UUID], on id: UUID, by actor: Actor, context: RedressRequestContext) async throws -> MessageRecord {
        var fields = FieldValidator()
        let statement = fields.paragraph(raw, field: "statement", maxLength: 5000)
        let evidence = Array(Set(evidenceIDs)).sorted { $0.uuidString < $1.uuidString }
        if evidence.count > 10 { fields.fail("evidence_ids", "too_many") }
        try fields.check()
        let supplement = MessageRecord(
            id: UUID(), complaintID: id, authorID: actor.accountID, authorRole: actor.role.rawValue, authorOrganizationID: nil,
            visibility: .parties, body: statement, createdAt: configuration.clock.now(), kind: .supplement, evidenceIDs: evidence)
        try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            let relations = try await MessageController.requireParty(actor, complaintID: id, transaction)
            guard relations.contains(.consumer) else { throw RedressError.forbidden }
            guard let complaint = try await transaction.complaint(id: id, forUpdate: true), !complaint.state.isTerminal else {
                throw RedressError(.invalidTransition, detail: "The case is closed: file a new complaint that refers to it.", allowedActions: [])
            }
            if try await transaction.supplementCount(complaintID: id) >= Self.maximumPerCase {
                throw RedressError.validation([.init(field: "statement", reason: "too_many_supplements")])
            }
            let onCase = Set(try await transaction.evidenceIDs(complaintID: id))
            if !evidence.allSatisfy(onCase.contains) {
                throw RedressError.validation([.init(field: "evidence_ids", reason: "not_evidence_of_the_case")])
            }
            try await transaction.insertSupplement(supplement, actor: context.auditActor)
        }
        return supplement
    }
}
