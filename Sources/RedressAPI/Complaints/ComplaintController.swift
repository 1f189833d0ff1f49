import Foundation
import Hummingbird
import NIOCore
import RedressCore
import RedressStore

/// Complaints: intake (idempotent), the caller's list, one case, and its lifecycle actions. Each
/// handler authorises, decodes, calls its use case (`FileComplaint`, `ActOnComplaint`) or query, and
/// encodes after the commit.
struct ComplaintController {
    let database: Database
    let configuration: APIConfiguration
    /// Bounds one account's requests in flight before they take a connection.
    let writes: CallerGate

    var endpoints: [Endpoint] {
        [
            Endpoint(.post, "/api/v1/complaints", file),
            Endpoint(.get, "/api/v1/complaints", list),
            Endpoint(.get, "/api/v1/complaints/:id", read),
            Endpoint(.post, "/api/v1/complaints/:id/actions/:action", act),
        ]
    }

    @Sendable func file(_ request: Request, context: RedressRequestContext) async throws -> Response {
        try Policy.authorize(context.principal, .fileComplaint)
        guard let actor = context.principal.actor else { throw RedressError.unauthenticated }
        let key = request.headers[.init("Idempotency-Key")!]
        if let key, !(1...200).contains(key.count) { throw RedressError.validation([.init(field: "Idempotency-Key", reason: "out_of_range")]) }
        var request = request
        let raw = try await request.collectJSONBody(limit: configuration.maxJSONBodyBytes)
        let filing = try Request.decodeJSON(FilingRequest.self, from: raw)
        let complaint = try filing.complaint(by: actor, now: configuration.clock.now())
        let retry = try key.map {
            FileComplaint.Retry(key: $0, requestDigest: try filing.contentDigest(), earlierDigest: { FilingRequest.bodyDigest(raw) })
        }
        // One account's filings wait for the database no more than a few at a time.
        let answer = try await writes.withPlace(for: actor.accountID) {
            try await FileComplaint(database: database, configuration: configuration)(complaint, by: actor, retry: retry, context: context)
        }
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if let version = answer.version { headers[.eTag] = "\"\(version)\"" }
        return Response(status: .init(code: answer.status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: answer.body)))
    }

    @Sendable func list(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<PageResponse<ComplaintResponse>> {
        try Policy.authorize(context.principal, .readComplaints)
        guard let actor = context.principal.actor else { throw RedressError.unauthenticated }
        let page = try request.pageRequest()
        var filter = try ComplaintListQuery.filter(request.uri.queryParameters)
        filter.scope = ComplaintListQuery.listScope(of: actor)
        let now = configuration.clock.now()
        let found = try await database.complaints(as: context.identity, matching: filter, page: page)
        return JSONResponse(body: PageResponse(found) { complaint in
            ComplaintResponse(complaint, access: CaseAccess(actor, to: complaint, now: now), readiness: nil)
        })
    }

    @Sendable func read(_ request: Request, context: RedressRequestContext) async throws -> Response {
        try Policy.authorize(context.principal, .readComplaints)
        guard let actor = context.principal.actor else { throw RedressError.unauthenticated }
        let id = try context.parameters.id()
        let now = configuration.clock.now()
        guard let reading = try await database.complaintForReading(as: context.identity, id: id) else { throw RedressError.notFound }
        var view = ComplaintResponse.view(
            reading.complaint, actor: actor, merchantFirst: reading.merchantFirst, evidence: reading.evidence, now: now, language: context.language)
        // The mediation body reaches the consumer directly; nobody else sees how.
        if CaseAccess.relations(of: actor, to: reading.complaint).contains(.mediationBody), let email = reading.consumerEmail {
            view.consumerContact = ["email": email, "phone": reading.consumerPhone ?? ""].filter { !$0.value.isEmpty }
        }
        return try view.response(status: .ok)
    }

    @Sendable func act(_ request: Request, context: RedressRequestContext) async throws -> Response {
        try Policy.authorize(context.principal, .actOnComplaints)
        guard let actor = context.principal.actor else { throw RedressError.unauthenticated }
        let id = try context.parameters.id()
        guard let action = context.parameters.get("action").flatMap(ComplaintAction.init(rawValue:)) else { throw RedressError.notFound }
        let expectedVersion = try ActionRequest.ifMatch(request.headers[.ifMatch])
        var request = request
        let raw = try await request.collectJSONBody(limit: configuration.maxJSONBodyBytes, optional: true)
        let body = raw.readableBytes == 0 ? nil : try Request.decodeJSON(ActionRequest.self, from: raw)
        let input = try ActionRequest.input(for: action, body)
        let view = try await ActOnComplaint(database: database, configuration: configuration)(
            action, input: input, on: id, expectedVersion: expectedVersion, by: actor, context: context)
        return try view.response(status: .ok)
    }
}

extension APIConfiguration {
    /// Today's date where working days are counted.
    func calendarDay(of instant: Date) -> LocalDate {
        WorkingCalendar(days: [], timeZone: timeZone).localDate(of: instant)
    }
}
