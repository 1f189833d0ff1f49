import Foundation
import Hummingbird
import RedressCore
import RedressStore

/// The thread of a complaint: `parties` messages for everyone party to the case, `internal` ones
/// for the author's own organisation.
struct MessageController {
    let database: Database
    let configuration: APIConfiguration
    /// Bounds one account's requests in flight before they take a connection.
    let writes: CallerGate

    var endpoints: [Endpoint] {
        [
            Endpoint(.get, "/api/v1/complaints/:id/messages", list),
            Endpoint(.post, "/api/v1/complaints/:id/messages", post),
        ]
    }

    struct PostRequest: Decodable {
        let visibility: String?
        let body: String?
    }

    struct MessageResponse: Encodable, Sendable {
        let id: ResourceID
        let authorID: ResourceID
        let authorRole: String
        let authorOrganizationID: ResourceID?
        let visibility: MessageRecord.Visibility
        let body: String
        let createdAt: Date
        /// `message`; `acknowledgement`, a seller's holding reply, which is not an answer; `supplement`, a
        /// consumer's addition to his statement, with `evidence_ids`.
        let kind: MessageRecord.Kind
        let evidenceIDs: [ResourceID]

        init(_ message: MessageRecord) {
            id = ResourceID(message.id)
            authorID = ResourceID(message.authorID)
            authorRole = message.authorRole
            authorOrganizationID = ResourceID(message.authorOrganizationID)
            visibility = message.visibility
            body = message.body
            createdAt = message.createdAt
            kind = message.kind
            evidenceIDs = message.evidenceIDs.map(ResourceID.init)
        }

        enum CodingKeys: String, CodingKey {
            case id, authorID, authorRole, authorOrganizationID, visibility, body, createdAt, kind
            case evidenceIDs = "evidence_ids"
        }
    }

    @Sendable func list(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<PageResponse<MessageResponse>> {
        let (actor, id) = try Self.caller(context)
        let page = try request.pageRequest()
        let messages = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await Self.requireParty(actor, complaintID: id, transaction)
            return try await transaction.messages(complaintID: id, page: page)
        }
        return JSONResponse(body: PageResponse(messages, MessageResponse.init))
    }

    @Sendable func post(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<MessageResponse> {
        let (actor, id) = try Self.caller(context)
        let body = try await request.decodeJSON(PostRequest.self, limit: configuration.maxJSONBodyBytes)
        let message = try await PostMessage(database: database, configuration: configuration, writes: writes)(
            visibility: body.visibility, body: body.body, on: id, by: actor, context: context)
        return JSONResponse(status: .created, body: MessageResponse(message))
    }

    static func caller(_ context: RedressRequestContext) throws -> (Actor, UUID) {
        try Policy.authorize(context.principal, .readComplaints)
        guard let actor = context.principal.actor else { throw RedressError.unauthenticated }
        return (actor, try context.parameters.id())
    }

    /// Parties only: a case the caller cannot see is not found; an auditor sees no messages.
    /// The actor's relations to the case; 404 (403 for an auditor) when it is no party to it.
    @discardableResult
    static func requireParty(_ actor: Actor, complaintID: UUID, _ transaction: Transaction) async throws -> Set<CaseRelation> {
        guard let complaint = try await transaction.complaint(id: complaintID) else { throw RedressError.notFound }
        let relations = CaseAccess.relations(of: actor, to: complaint)
        if relations.isEmpty {
            throw actor.role == .auditor ? RedressError.forbidden : RedressError.notFound
        }
        return relations
    }
}
