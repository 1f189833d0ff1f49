import Foundation
import Hummingbird
import RedressCore
import RedressStore

/// An organisation's webhook endpoints, managed by its administrator (a platform's admin, a mediation
/// body's lead): registration with the event types wanted, the signing secret shown once, rotation,
/// the delivery log and redelivery. Row-level security keeps each organisation to its own.
struct WebhookController {
    let database: Database
    let configuration: APIConfiguration
    let sender: WebhookSender

    init(database: Database, configuration: APIConfiguration) {
        self.database = database
        self.configuration = configuration
        self.sender = WebhookSender(settings: configuration.webhooks)
    }

    var endpoints: [Endpoint] {
        [
            Endpoint(.get, "/api/v1/webhooks", list),
            Endpoint(.post, "/api/v1/webhooks", create),
            Endpoint(.get, "/api/v1/webhooks/:id", read),
            Endpoint(.patch, "/api/v1/webhooks/:id", update),
            Endpoint(.post, "/api/v1/webhooks/:id/secret", rotateSecret),
            Endpoint(.get, "/api/v1/webhooks/:id/deliveries", deliveries),
            Endpoint(.post, "/api/v1/webhooks/:id/deliveries/:delivery/redeliver", redeliverOne),
            Endpoint(.post, "/api/v1/webhooks/:id/redeliver", redeliverDead),
        ]
    }

    struct CreateRequest: Decodable {
        let url: String?
        let eventTypes: [String]?
        let description: String?
    }

    struct UpdateRequest: Decodable {
        let url: String?
        let eventTypes: [String]?
        /// An empty text clears it.
        let description: String?
        let disabled: Bool?
    }

    struct EndpointResponse: Encodable, Sendable {
        let id: ResourceID
        let organizationID: ResourceID
        let url: String
        let eventTypes: [String]
        let description: Nullable<String>
        let createdAt: Date
        let disabled: Bool
        /// While a rotation runs: until when the previous secret still signs.
        let previousSecretExpiresAt: Nullable<Date>

        init(_ record: WebhookEndpointRecord) {
            id = ResourceID(record.id)
            organizationID = ResourceID(record.organizationID)
            url = record.url
            eventTypes = record.eventTypes
            description = Nullable(record.description)
            createdAt = record.createdAt
            disabled = record.disabledAt != nil
            previousSecretExpiresAt = Nullable(record.previousSecretExpiresAt)
        }
    }

    /// An endpoint with its signing secret: the only time the secret is shown.
    struct SecretResponse: Encodable, Sendable {
        let endpoint: EndpointResponse
        let secret: String
    }

    struct DeliveryResponse: Encodable, Sendable {
        let id: ResourceID
        let eventID: ResourceID
        let eventType: String
        let complaintID: ResourceID
        let state: String
        let attempts: Int
        let nextAttemptAt: Nullable<Date>
        let lastAttemptAt: Nullable<Date>
        let lastStatus: Nullable<Int>
        let lastLatencyMs: Nullable<Int>
        let lastError: Nullable<String>
        let deliveredAt: Nullable<Date>
        let createdAt: Date

        init(_ record: WebhookDeliveryRecord) {
            id = ResourceID(record.id)
            eventID = ResourceID(record.eventID)
            eventType = record.eventType
            complaintID = ResourceID(record.complaintID)
            state = record.state.rawValue
            attempts = record.attempts
            nextAttemptAt = Nullable(record.state == .pending ? record.nextAttemptAt : nil)
            lastAttemptAt = Nullable(record.lastAttemptAt)
            lastStatus = Nullable(record.lastStatus)
            lastLatencyMs = Nullable(record.lastLatencyMilliseconds)
            lastError = Nullable(record.lastError)
            deliveredAt = Nullable(record.deliveredAt)
            createdAt = record.createdAt
        }
    }

    struct RedeliveryResponse: Encodable, Sendable {
        let count: Int
    }

    /// The caller's organisation, once the caller may manage webhooks at all.
    static func organization(_ context: RedressRequestContext) throws -> UUID {
        try Policy.authorize(context.principal, .manageWebhooks)
        guard let organization = context.principal.actor?.organizationID else { throw RedressError.forbidden }
        return organization
    }

    @Sendable func list(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<PageResponse<EndpointResponse>> {
        let organization = try Self.organization(context)
        let page = try request.pageRequest()
        let found = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.webhookEndpoints(organizationID: organization, page: page)
        }
        return JSONResponse(body: PageResponse(found, EndpointResponse.init))
    }

    @Sendable func create(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<SecretResponse> {
        // Who asks comes first: a stranger's body is not read.
        _ = try Self.organization(context)
        let body = try await request.decodeJSON(CreateRequest.self, limit: configuration.maxJSONBodyBytes)
        let (record, secret) = try await create(body, context: context)
        return JSONResponse(status: .created, body: SecretResponse(endpoint: EndpointResponse(record), secret: secret), holdsSecret: true)
    }

    /// A new endpoint of the caller's organisation and its signing secret, shown once (for the API and
    /// the console).
    func create(_ body: CreateRequest, context: RedressRequestContext) async throws -> (WebhookEndpointRecord, String) {
        let organization = try Self.organization(context)
        var fields = FieldValidator()
        let url = await checkedURL(body.url, fields: &fields)
        let types = eventTypes(body.eventTypes, fields: &fields)
        let description = fields.optionalText(body.description, field: "description", maxLength: 500)
        try fields.check()
        let record = WebhookEndpointRecord(
            organizationID: organization, url: url ?? "", eventTypes: types ?? [], description: description, createdAt: configuration.clock.now())
        let secret = WebhookSignature.newSecret()
        try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.insertWebhookEndpoint(record, secret: Array(secret.utf8), actor: context.auditActor)
        }
        return (record, secret)
    }

    @Sendable func read(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<EndpointResponse> {
        _ = try Self.organization(context)
        let id = try context.parameters.id()
        let found = try await database.transaction(as: context.identity, origin: context.origin) { try await $0.webhookEndpoint(id: id) }
        guard let found else { throw RedressError.notFound }
        return JSONResponse(body: EndpointResponse(found))
    }

    @Sendable func update(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<EndpointResponse> {
        _ = try Self.organization(context)
        let id = try context.parameters.id()
        let body = try await request.decodeJSON(UpdateRequest.self, limit: configuration.maxJSONBodyBytes)
        return JSONResponse(body: EndpointResponse(try await update(id, body, context: context)))
    }

    /// An endpoint changed: its address, events, description, or disabled (for the API and the console).
    func update(_ id: UUID, _ body: UpdateRequest, context: RedressRequestContext) async throws -> WebhookEndpointRecord {
        _ = try Self.organization(context)
        var fields = FieldValidator()
        var change = WebhookEndpointChange(disabled: body.disabled)
        if body.url != nil { change.url = await checkedURL(body.url, fields: &fields) }
        if body.eventTypes != nil { change.eventTypes = eventTypes(body.eventTypes, fields: &fields) }
        if let description = body.description {
            change.description = .some(description.isEmpty ? nil : fields.optionalText(description, field: "description", maxLength: 500))
        }
        try fields.check()
        let updated = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.updateWebhookEndpoint(id: id, change: change, actor: context.auditActor)
        }
        guard let updated else { throw RedressError.notFound }
        return updated
    }

    @Sendable func rotateSecret(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<SecretResponse> {
        _ = try Self.organization(context)
        let id = try context.parameters.id()
        let secret = WebhookSignature.newSecret()
        let overlap = configuration.webhooks.rotationOverlap
        let rotated = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.rotateWebhookSecret(
                id: id, secret: Array(secret.utf8), previousValidUntil: transaction.now.addingTimeInterval(Double(overlap.components.seconds)),
                actor: context.auditActor)
        }
        guard let rotated else { throw RedressError.notFound }
        return JSONResponse(body: SecretResponse(endpoint: EndpointResponse(rotated), secret: secret), holdsSecret: true)
    }

    @Sendable func deliveries(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<PageResponse<DeliveryResponse>> {
        _ = try Self.organization(context)
        let id = try context.parameters.id()
        let page = try request.pageRequest()
        var state: WebhookDeliveryState?
        if let text = request.uri.queryParameters["state"] {
            guard let parsed = WebhookDeliveryState(rawValue: String(text)) else {
                throw RedressError.validation([.init(field: "state", reason: "not_one_of_pending_delivered_dead")])
            }
            state = parsed
        }
        let found = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            guard try await transaction.webhookEndpoint(id: id) != nil else { throw RedressError.notFound }
            return try await transaction.webhookDeliveries(endpointID: id, state: state, page: page)
        }
        return JSONResponse(body: PageResponse(found, DeliveryResponse.init))
    }

    @Sendable func redeliverOne(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<RedeliveryResponse> {
        _ = try Self.organization(context)
        let id = try context.parameters.id()
        let delivery = try context.parameters.id("delivery")
        let count = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            guard try await transaction.webhookEndpoint(id: id) != nil else { throw RedressError.notFound }
            return try await transaction.redeliver(endpointID: id, deliveryID: delivery, actor: context.auditActor)
        }
        guard count == 1 else { throw RedressError.notFound }
        return JSONResponse(status: .accepted, body: RedeliveryResponse(count: count))
    }

    @Sendable func redeliverDead(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<RedeliveryResponse> {
        _ = try Self.organization(context)
        let id = try context.parameters.id()
        let count = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            guard try await transaction.webhookEndpoint(id: id) != nil else { throw RedressError.notFound }
            return try await transaction.redeliver(endpointID: id, deliveryID: nil, actor: context.auditActor)
        }
        return JSONResponse(status: .accepted, body: RedeliveryResponse(count: count))
    }

    /// The address, refused with a reason when it is malformed, not HTTPS, or resolves to an address
    /// deliveries may not go to (checked again at every delivery: a name can change).
    private func checkedURL(_ text: String?, fields: inout FieldValidator) async -> String? {
        guard let text else {
            fields.fail("url", "required")
            return nil
        }
        do {
            let address = try WebhookAddress(text, allowPlainHTTP: configuration.webhooks.allowPlainHTTP)
            _ = try await sender.checkedAddress(address)
            return address.text
        } catch let problem as WebhookAddress.Problem {
            fields.fail("url", problem.rawValue)
        } catch {
            fields.fail("url", "address_not_allowed")
        }
        return nil
    }

    private func eventTypes(_ types: [String]?, fields: inout FieldValidator) -> [String]? {
        guard let types, !types.isEmpty else {
            fields.fail("event_types", "required")
            return nil
        }
        guard types.count <= EventCatalogue.all.count + 1 else {
            fields.fail("event_types", "too_many")
            return nil
        }
        guard types.allSatisfy(EventCatalogue.isKnown) else {
            fields.fail("event_types", "unknown_event_type")
            return nil
        }
        return Array(Set(types)).sorted()
    }
}
