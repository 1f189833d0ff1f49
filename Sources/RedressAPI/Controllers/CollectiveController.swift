import Foundation
import Hummingbird
import RedressCore
import RedressStore

/// Collective cases (Docs/lifecycle.md): a mediation lead groups cases of one problem that are before
/// the body — one mediator for all (each case's own `assign`), one proposal offered to every consumer
/// (each case's own `propose`, a share of its amount paid), which each consumer accepts or rejects for
/// his own case. Every case keeps its lifecycle and its audit chain; the collective only groups them.
struct CollectiveController {
    let database: Database
    let configuration: APIConfiguration

    var endpoints: [Endpoint] {
        [
            Endpoint(.post, "/api/v1/collective-cases", create),
            Endpoint(.get, "/api/v1/collective-cases", list),
            Endpoint(.get, "/api/v1/collective-cases/:id", read),
            Endpoint(.post, "/api/v1/collective-cases/:id/proposal", propose),
        ]
    }

    /// Cases one collective groups at most (each is acted on in the request's transaction).
    static let maximumCases = 200

    struct CreateRequest: Decodable {
        let title: String?
        let mediatorID: UUID?
        let complaintIDs: [UUID]?

        enum CodingKeys: String, CodingKey {
            case title
            case mediatorID
            case complaintIDs = "complaintIds"
        }
    }

    struct ProposalRequest: Decodable {
        /// The share of each case's amount paid refunded, 1 … 100.
        let refundPercent: Int?
        let reissue: Bool?
        let apology: Bool?
        let text: String?
    }

    struct Member: Encodable, Sendable {
        let complaintID: ResourceID
        let platformID: ResourceID
        let state: String
        let settlementPending: Bool
        let consumerAccepted: Bool
        let platformAccepted: Bool
        let outcome: String?
    }

    struct CollectiveResponse: Encodable, Sendable {
        let id: ResourceID
        let mediationBodyID: ResourceID
        let mediatorID: ResourceID
        let title: String
        let refundPercent: Int?
        let proposalText: String?
        let proposedAt: Date?
        let createdAt: Date
        let members: [Member]?
        /// After a proposal: the cases it was not offered in, and why (`not_in_mediation`).
        var skipped: [Skipped]? = nil
    }

    struct Skipped: Encodable, Sendable {
        let complaintID: ResourceID
        let reason: String
    }

    static func view(_ collective: CollectiveCase, members: [Complaint]?) -> CollectiveResponse {
        CollectiveResponse(
            id: ResourceID(collective.id), mediationBodyID: ResourceID(collective.mediationBodyID), mediatorID: ResourceID(collective.mediatorID),
            title: collective.title, refundPercent: collective.refundPercent, proposalText: collective.proposalText,
            proposedAt: collective.proposedAt, createdAt: collective.createdAt,
            members: members?.map {
                Member(
                    complaintID: ResourceID($0.id), platformID: ResourceID($0.platformID), state: $0.state.rawValue,
                    settlementPending: $0.settlement != nil, consumerAccepted: $0.consumerAcceptedSettlement,
                    platformAccepted: $0.platformAcceptedSettlement, outcome: $0.outcome?.rawValue)
            })
    }

    @Sendable func create(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<CollectiveResponse> {
        try Policy.authorize(context.principal, .createCollective)
        guard let actor = context.principal.actor, let body = actor.organizationID else { throw RedressError.forbidden }
        let input = try await request.decodeJSON(CreateRequest.self, limit: configuration.maxJSONBodyBytes)
        var fields = FieldValidator()
        let title = fields.text(input.title, field: "title", maxLength: 200)
        if input.mediatorID == nil { fields.fail("mediator_id", "required") }
        let ids = input.complaintIDs ?? []
        if Set(ids).count != ids.count { fields.fail("complaint_ids", "duplicate") }
        if ids.count < 2 { fields.fail("complaint_ids", "too_few") } else if ids.count > Self.maximumCases { fields.fail("complaint_ids", "too_many") }
        try fields.check()
        let now = configuration.clock.now()
        let configuration = configuration
        let (collective, members) = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            guard try await transaction.isMediator(input.mediatorID!, of: body) else {
                throw RedressError.validation([.init(field: "mediator_id", reason: "not_a_mediator_of_the_body")])
            }
            // Every case is before this body (its lead may assign it) and in no collective yet.
            var cases: [Complaint] = []
            var problems = FieldValidator()
            for (index, id) in ids.enumerated() {
                guard let complaint = try await transaction.complaint(id: id, forUpdate: true), complaint.mediationBodyID == body else {
                    problems.fail("complaint_ids[\(index)]", "unknown_complaint")
                    continue
                }
                if complaint.collectiveID != nil { problems.fail("complaint_ids[\(index)]", "already_collective") }
                let access = CaseAccess(actor, to: complaint, now: now)
                if !access.allowedActions.contains(.assign) { problems.fail("complaint_ids[\(index)]", "not_assignable") }
                cases.append(complaint)
            }
            try problems.check()
            let collective = CollectiveCase(
                mediationBodyID: body, mediatorID: input.mediatorID!, title: title, createdBy: actor.accountID, createdAt: now)
            try await transaction.insertCollective(collective, actor: context.auditActor)
            var members: [Complaint] = []
            for complaint in cases {
                var (assigned, _) = try await ActOnComplaint.perform(
                    .assign, input: .assign(mediatorID: input.mediatorID!), on: complaint, expectedVersion: nil, by: actor,
                    auditActor: context.auditActor, now: now, configuration: configuration, transaction)
                try await transaction.joinCollective(complaintID: complaint.id, collectiveID: collective.id, actor: context.auditActor)
                assigned.collectiveID = collective.id
                members.append(assigned)
            }
            return (collective, members)
        }
        return JSONResponse(status: .created, body: Self.view(collective, members: members))
    }

    @Sendable func list(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<PageResponse<CollectiveResponse>> {
        try Policy.authorize(context.principal, .readCollectives)
        let (offset, limit) = try ClusterController.page(request.uri.queryParameters, maximum: PageRequest.maximumLimit)
        let found = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.collectives(offset: offset, limit: limit + 1)
        }
        return JSONResponse(body: PageResponse(
            items: found.prefix(limit).map { Self.view($0, members: nil) }, nextCursor: found.count > limit ? String(offset + limit) : nil))
    }

    @Sendable func read(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<CollectiveResponse> {
        try Policy.authorize(context.principal, .readCollectives)
        let id = try context.parameters.id()
        let view = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            guard let collective = try await transaction.collective(id: id) else { throw RedressError.notFound }
            return Self.view(collective, members: try await transaction.collectiveMembers(id))
        }
        return JSONResponse(body: view)
    }

    /// The collective's mediator (or the body's lead) offers one proposal to every case still in
    /// mediation: a share of each case's amount paid, and the same text. Cases elsewhere in their
    /// lifecycle are skipped and listed.
    @Sendable func propose(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<CollectiveResponse> {
        try Policy.authorize(context.principal, .readCollectives)
        guard let actor = context.principal.actor else { throw RedressError.unauthenticated }
        let id = try context.parameters.id()
        let input = try await request.decodeJSON(ProposalRequest.self, limit: configuration.maxJSONBodyBytes)
        var fields = FieldValidator()
        let text = fields.paragraph(input.text, field: "text", maxLength: 2000)
        if let percent = input.refundPercent, !(1...100).contains(percent) { fields.fail("refund_percent", "out_of_range") }
        if input.refundPercent == nil && input.reissue != true { fields.fail("refund_percent", "empty_proposal") }
        try fields.check()
        let now = configuration.clock.now()
        let configuration = configuration
        let view = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            guard let collective = try await transaction.collective(id: id) else { throw RedressError.notFound }
            guard actor.role == .mediationLead || actor.accountID == collective.mediatorID else { throw RedressError.forbidden }
            var skipped: [Skipped] = []
            for member in try await transaction.collectiveMembers(id) {
                guard member.state == .inMediation, let complaint = try await transaction.complaint(id: member.id, forUpdate: true) else {
                    skipped.append(Skipped(complaintID: ResourceID(member.id), reason: "not_in_mediation"))
                    continue
                }
                // A share of what this consumer paid: never more than the case's own amount.
                let refund = input.refundPercent.map { Int((Int64(complaint.order.amountPaid) * Int64($0) / 100)) }
                let proposal = Proposal(
                    refund: refund.flatMap { $0 > 0 ? $0 : nil }, reissue: input.reissue ?? false, apology: input.apology ?? false, text: text)
                do {
                    _ = try await ActOnComplaint.perform(
                        .propose, input: .propose(proposal), on: complaint, expectedVersion: nil, by: actor, auditActor: context.auditActor,
                        now: now, configuration: configuration, transaction)
                } catch let refusal as RedressError where refusal.code != .conflict {
                    skipped.append(Skipped(complaintID: ResourceID(member.id), reason: refusal.code.rawValue))
                }
            }
            try await transaction.recordCollectiveProposal(id, refundPercent: input.refundPercent, text: text, actor: context.auditActor)
            var updated = collective
            updated.refundPercent = input.refundPercent
            updated.proposalText = text
            updated.proposedAt = now
            var view = Self.view(updated, members: try await transaction.collectiveMembers(id))
            view.skipped = skipped
            return view
        }
        return JSONResponse(body: view)
    }
}
