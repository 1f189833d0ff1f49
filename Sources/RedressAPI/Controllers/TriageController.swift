import Foundation
import Hummingbird
import RedressCore
import RedressStore

/// A mediation body's queue: its escalated and mediated cases, most urgent first.
struct TriageController {
    let database: Database
    let configuration: APIConfiguration

    var endpoints: [Endpoint] {
        [Endpoint(.get, "/api/v1/triage", queue)]
    }

    @Sendable func queue(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<PageResponse<ComplaintResponse>> {
        try Policy.authorize(context.principal, .readTriageQueue)
        guard let actor = context.principal.actor, let body = actor.organizationID else { throw RedressError.forbidden }
        let query = request.uri.queryParameters
        var fields = FieldValidator()
        let limit = Int(query["limit"].map(String.init) ?? "50") ?? -1
        if !(1...PageRequest.maximumLimit).contains(limit) { fields.fail("limit", "out_of_range") }
        var offset = 0
        if let cursor = query["cursor"] {
            if let decoded = Data(base64Encoded: String(cursor)).flatMap({ String(data: $0, encoding: .utf8) }),
                decoded.hasPrefix("offset:"), let value = Int(decoded.dropFirst(7)), value >= 0
            {
                offset = value
            } else {
                fields.fail("cursor", "invalid_cursor")
            }
        }
        var states: [ComplaintState] = [.escalated, .inMediation]
        if let requested = query["state"] {
            let parsed = requested.split(separator: ",").map { ComplaintState(rawValue: String($0)) }
            if parsed.contains(where: { $0 == nil }) { fields.fail("state", "unknown_value") }
            states = parsed.compactMap { $0 }
        }
        var overdue: Bool? = nil
        if let value = query["overdue"] {
            if value == "true" || value == "false" { overdue = value == "true" } else { fields.fail("overdue", "invalid_boolean") }
        }
        var mine = false
        if let value = query["assigned_to_me"] {
            if value == "true" || value == "false" { mine = value == "true" } else { fields.fail("assigned_to_me", "invalid_boolean") }
        }
        var unassigned = false
        if let value = query["unassigned"] {
            if value == "true" || value == "false" { unassigned = value == "true" } else { fields.fail("unassigned", "invalid_boolean") }
        }
        if mine && unassigned { fields.fail("unassigned", "conflicts_with_assigned_to_me") }
        try fields.check()
        let now = configuration.clock.now()
        let cases = try await database.triageQueue(
            as: context.identity, bodyID: body, states: unassigned ? [.inMediation] : states, overdue: overdue,
            mediatorID: mine ? actor.accountID : nil, unassigned: unassigned, offset: offset, limit: limit + 1)
        let page = Array(cases.prefix(limit))
        let next = cases.count > limit ? Data("offset:\(offset + limit)".utf8).base64EncodedString() : nil
        let items = page.map { ComplaintResponse($0, access: CaseAccess(actor, to: $0, now: now), readiness: nil) }
        return JSONResponse(body: PageResponse(items: items, nextCursor: next))
    }
}
