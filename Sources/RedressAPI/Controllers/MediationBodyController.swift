import Foundation
import Hummingbird
import RedressCore
import RedressStore

/// Consumer associations and industry bodies that mediate escalated cases.
struct MediationBodyController {
    let database: Database
    let configuration: APIConfiguration

    var endpoints: [Endpoint] {
        [
            Endpoint(.get, "/api/v1/mediation-bodies", list),
            Endpoint(.post, "/api/v1/mediation-bodies", create),
        ]
    }

    struct CreateRequest: Decodable {
        let name: String?
        let kind: String?
        let region: String?
    }

    @Sendable func list(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<PageResponse<MediationBodyResponse>> {
        try Policy.authorize(context.principal, .listMediationBodies)
        let pageRequest = try request.pageRequest()
        let page = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.mediationBodies(page: pageRequest)
        }
        return JSONResponse(body: PageResponse(page, MediationBodyResponse.init))
    }

    @Sendable func create(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<MediationBodyResponse> {
        try Policy.authorize(context.principal, .createMediationBody)
        let body = try await request.decodeJSON(CreateRequest.self, limit: configuration.maxJSONBodyBytes)
        var fields = FieldValidator()
        let name = fields.text(body.name, field: "name", maxLength: 200)
        let kind = MediationBodyKind(rawValue: body.kind ?? "")
        if kind == nil { fields.fail("kind", body.kind == nil ? "required" : "unknown_value") }
        let region = fields.text(body.region, field: "region", maxLength: 200)
        try fields.check()
        let record = MediationBodyRecord(name: name, kind: kind ?? .consumerAssociation, region: region, createdAt: configuration.clock.now())
        try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.insertMediationBody(record, actor: context.auditActor)
        }
        return JSONResponse(status: .created, body: MediationBodyResponse(record))
    }
}

struct MediationBodyResponse: Encodable, Sendable {
    let id: ResourceID
    let name: String
    let kind: MediationBodyKind
    let region: String
    let createdAt: Date

    init(_ body: MediationBodyRecord) {
        id = ResourceID(body.id)
        name = body.name
        kind = body.kind
        region = body.region
        createdAt = body.createdAt
    }
}
