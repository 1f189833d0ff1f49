import Foundation
import Hummingbird
import RedressCore
import RedressStore

/// Proposed clusters: open cases that look like the same problem (Docs/search.md), each with its
/// reason and the members the caller may read; only clusters of which the caller reads two or more.
struct ClusterController {
    let database: Database
    let configuration: APIConfiguration

    var endpoints: [Endpoint] {
        [Endpoint(.get, "/api/v1/clusters", list)]
    }

    static let maximumLimit = 50
    /// Clusters listed: those that grew in the last 90 days (a problem of the past is in the cases' record).
    static let recent: TimeInterval = 90 * 86_400

    struct Member: Encodable, Sendable {
        let complaintID: ResourceID
        let platformID: ResourceID
        let state: String
        let similarity: Double
    }

    struct ClusterResponse: Encodable, Sendable {
        let id: ResourceID
        let reason: String
        let category: String
        /// Every member, including those the caller may not read, for mediation bodies and auditors (who
        /// read every platform's figures); for others, the members they read.
        let size: Int
        let createdAt: Date
        let updatedAt: Date
        let members: [Member]
    }

    @Sendable func list(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<PageResponse<ClusterResponse>> {
        try Policy.authorize(context.principal, .readClusters)
        let (offset, limit) = try Self.page(request.uri.queryParameters, maximum: Self.maximumLimit)
        let (items, more) = try await clusters(offset: offset, limit: limit, context: context)
        return JSONResponse(body: PageResponse(items: items, nextCursor: more ? String(offset + limit) : nil))
    }

    /// A page of the clusters the caller reads, and whether another follows (for the API and the console).
    func clusters(offset: Int, limit: Int, context: RedressRequestContext) async throws -> (items: [ClusterResponse], more: Bool) {
        try Policy.authorize(context.principal, .readClusters)
        guard let actor = context.principal.actor else { throw RedressError.unauthenticated }
        let scope = ComplaintListQuery.listScope(of: actor)
        let found = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.clusters(scope: scope, recent: Self.recent, offset: offset, limit: limit)
        }
        let wholeSize = [.mediator, .mediationLead, .auditor].contains(actor.role)
        let items = found.prefix(limit).map { cluster in
            ClusterResponse(
                id: ResourceID(cluster.id), reason: cluster.reason, category: cluster.category,
                size: wholeSize ? cluster.size : cluster.members.count, createdAt: cluster.createdAt,
                updatedAt: cluster.updatedAt,
                members: cluster.members.map {
                    Member(complaintID: ResourceID($0.complaintID), platformID: ResourceID($0.platformID), state: $0.state,
                           similarity: ($0.similarity * 100).rounded() / 100)
                })
        }
        return (Array(items), found.count > limit)
    }

    /// `limit` (1 … `maximum`) and a cursor that is the position of the next page (at most 10,000 deep).
    static func page(_ parameters: Parameters, maximum: Int) throws(RedressError) -> (offset: Int, limit: Int) {
        var fields = FieldValidator()
        var limit = min(PageRequest.defaultLimit, maximum)
        if let text = parameters["limit"] {
            if let value = Int(text), (1...maximum).contains(value) { limit = value } else { fields.fail("limit", "out_of_range") }
        }
        var offset = 0
        if let text = parameters["cursor"] {
            if let value = Int(text), (0...10_000).contains(value) { offset = value } else { fields.fail("cursor", "invalid_cursor") }
        }
        try fields.check()
        return (offset, limit)
    }
}
