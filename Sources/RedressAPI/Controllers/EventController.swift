import Foundation
import Hummingbird
import RedressCore
import RedressStore

/// The event feed, for those who cannot receive webhooks: what happened to the cases the caller may
/// see, in commit order, from a cursor. Each event has a stable id; a reader keeps the last cursor.
struct EventController {
    let database: Database
    let configuration: APIConfiguration

    var endpoints: [Endpoint] {
        [Endpoint(.get, "/api/v1/events", feed)]
    }

    struct EventResponse: Encodable, Sendable {
        let id: ResourceID
        let type: String
        let complaintID: ResourceID
        let occurredAt: Date
        /// The case's state after the event (absent for a message or an unassignment).
        let state: String?
        let cursor: String

        init(_ event: OutboxEvent, keys: Keyring) {
            id = ResourceID(event.id)
            type = event.type
            complaintID = ResourceID(event.complaintID)
            occurredAt = event.occurredAt
            state = event.state
            cursor = event.cursor.sealed(with: keys)
        }
    }

    struct FeedResponse: Encodable, Sendable {
        let items: [EventResponse]
        /// Where to continue from: the last event's cursor, or the one asked with when nothing is new.
        let nextCursor: String
    }

    @Sendable func feed(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<FeedResponse> {
        try Policy.authorize(context.principal, .readComplaints)
        let query = request.uri.queryParameters
        var fields = FieldValidator()
        let limit = Int(query["limit"].map(String.init) ?? "100") ?? -1
        if !(1...PageRequest.maximumLimit).contains(limit) { fields.fail("limit", "out_of_range") }
        var after = OutboxCursor.beginning
        if let text = query["after"] {
            if let cursor = OutboxCursor(sealed: String(text), keys: database.keys) { after = cursor } else { fields.fail("after", "invalid_cursor") }
        }
        try fields.check()
        let events = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.outboxEvents(after: after, limit: limit)
        }
        return JSONResponse(
            body: FeedResponse(
                items: events.map { EventResponse($0, keys: database.keys) },
                nextCursor: (events.last?.cursor ?? after).sealed(with: database.keys)))
    }
}
