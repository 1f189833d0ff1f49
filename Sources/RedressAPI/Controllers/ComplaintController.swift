import Crypto
import Foundation
import Hummingbird
import NIOCore
import RedressCore
import RedressStore

/// Complaints: intake (idempotent), the caller's list, one case, and its lifecycle actions.
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

    // MARK: Intake

    struct FileRequest: Decodable {
        struct OrderRequest: Decodable {
            let orderNo: String?
            let productName: String?
            let amountPaid: Int?
            let currency: String?
            let orderedAt: Date?
            let paymentChannel: String?
            let paymentRef: String?
        }
        struct DemandRequest: Decodable {
            let kind: String?
            let amount: Int?
            let text: String?
        }
        let platformID: UUID?
        let merchantID: UUID?
        let category: String?
        let title: String?
        let description: String?
        let order: OrderRequest?
        let demands: [DemandRequest]?
        let ultimatumDays: Int?
    }

    @Sendable func file(_ request: Request, context: RedressRequestContext) async throws -> Response {
        try Policy.authorize(context.principal, .fileComplaint)
        guard let actor = context.principal.actor else { throw RedressError.unauthenticated }
        let idempotencyKey = request.headers[.init("Idempotency-Key")!]
        if let key = idempotencyKey, !(1...200).contains(key.count) {
            throw RedressError.validation([.init(field: "Idempotency-Key", reason: "out_of_range")])
        }
        var request = request
        let raw = try await request.collectJSONBody(limit: configuration.maxJSONBodyBytes)
        let body = try Request.decodeJSON(FileRequest.self, from: raw)
        let now = configuration.clock.now()
        var complaint = try validate(body, actor: actor, now: now)

        let requestDigest = Self.canonicalDigest(raw)
        let filingsPerDay = configuration.filingsPerDay
        // One account's filings wait for the database no more than a few at a time.
        let (status, json) = try await writes.withPlace(for: actor.accountID) {
            try await database.transaction(as: context.identity, origin: context.origin) { transaction -> (Int, String) in
                if let key = idempotencyKey {
                    switch try await transaction.claimIdempotencyKey(accountID: actor.accountID, key: key, requestSHA256: requestDigest) {
                    case .fresh: break
                    case .replay(let status, let body): return (status, body)
                    case .mismatch: throw RedressError(.idempotencyKeyReused)
                    }
                }
                try await transaction.requireFilingQuota(consumerID: actor.accountID, limit: filingsPerDay, window: .seconds(24 * 3600))
                guard let platform = try await transaction.platform(id: complaint.platformID) else {
                    throw RedressError.validation([.init(field: "platform_id", reason: "unknown_platform")])
                }
                if let merchantID = complaint.merchantID {
                    let merchant = try await transaction.organization(id: merchantID)
                    guard merchant?.kind == .merchant, merchant?.platformID == platform.id else {
                        throw RedressError.validation([.init(field: "merchant_id", reason: "not_a_merchant_of_the_platform")])
                    }
                }
                guard let consumer = try await transaction.account(id: actor.accountID) else { throw RedressError.unauthenticated }
                complaint.consumerName = consumer.displayName
                // The platform's policy decides where the case starts.
                complaint.state = Lifecycle.initialState(merchantFirst: platform.merchantFirst, merchantNamed: complaint.merchantID != nil)
                let workflow = try await transaction.workflowContext(platformID: platform.id, mediationBodyID: nil, timeZone: configuration.timeZone)
                complaint.deadlineAt = ComplaintWorkflow.deadline(for: complaint.state, from: now, context: workflow)
                complaint.ultimatumAt = complaint.ultimatumDays.map { workflow.calendar.deadline(workingDays: $0, after: now) }
                try await transaction.insertComplaint(complaint, submittedOn: configuration.calendarDay(of: now), actor: context.auditActor)
                let view = Self.view(complaint, actor: actor, merchantFirst: platform.merchantFirst, evidence: [], now: now, language: context.language)
                let json = String(decoding: try APIJSON.encode(view), as: UTF8.self)
                if let key = idempotencyKey {
                    try await transaction.completeIdempotencyKey(accountID: actor.accountID, key: key, status: 201, body: json)
                }
                return (201, json)
            }
        }
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if let version = Self.version(inJSON: json) { headers[.eTag] = "\"\(version)\"" }
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: json)))
    }

    func validate(_ body: FileRequest, actor: Actor, now: Date) throws(RedressError) -> Complaint {
        var fields = FieldValidator()
        if body.platformID == nil { fields.fail("platform_id", "required") }
        let category = ComplaintCategory(rawValue: body.category ?? "")
        if category == nil { fields.fail("category", body.category == nil ? "required" : "unknown_value") }
        let title = fields.text(body.title, field: "title", maxLength: 200)
        let description = fields.paragraph(body.description, field: "description", maxLength: 10_000)
        var order = OrderFacts(orderNo: "", productName: "", amountPaid: 0, currency: "CNY", orderedAt: nil, paymentChannel: nil, paymentRef: nil)
        if let given = body.order {
            order.orderNo = fields.text(given.orderNo, field: "order.order_no", maxLength: 100)
            order.productName = fields.text(given.productName, field: "order.product_name", maxLength: 200)
            if let amount = given.amountPaid, Money.isPositiveAmount(amount) {
                order.amountPaid = amount
            } else {
                fields.fail("order.amount_paid", given.amountPaid == nil ? "required" : "out_of_range")
            }
            // Figures never add different currencies: yuan only.
            if let currency = given.currency, currency != Money.currency {
                let wellFormed = currency.range(of: "^[A-Z]{3}$", options: .regularExpression) != nil
                fields.fail("order.currency", wellFormed ? "unsupported_currency" : "invalid_currency")
            }
            if let orderedAt = given.orderedAt {
                if orderedAt > now.addingTimeInterval(300) { fields.fail("order.ordered_at", "in_the_future") }
                order.orderedAt = orderedAt
            }
            order.paymentChannel = fields.optionalText(given.paymentChannel, field: "order.payment_channel", maxLength: 100)
            order.paymentRef = fields.optionalText(given.paymentRef, field: "order.payment_ref", maxLength: 200)
        } else {
            fields.fail("order", "required")
        }
        var demands: [Demand] = []
        let given = body.demands ?? []
        if given.isEmpty { fields.fail("demands", "required") }
        if given.count > 10 { fields.fail("demands", "too_many") }
        // Refunds together at most what was paid, compensation together within the legal limit.
        var refunds = 0, compensation = 0
        let paidKnown = body.order?.amountPaid != nil
        for (index, demand) in given.prefix(10).enumerated() {
            let field = "demands[\(index)]"
            guard let kind = Demand.Kind(rawValue: demand.kind ?? "") else {
                fields.fail("\(field).kind", demand.kind == nil ? "required" : "unknown_value")
                continue
            }
            let text = fields.optionalText(demand.text, field: "\(field).text", maxLength: 500)
            switch kind {
            case .refund, .compensation:
                if demand.amount == nil { fields.fail("\(field).amount", "required") }
                guard let amount = fields.positiveAmount(demand.amount, field: "\(field).amount") else { continue }
                if kind == .refund {
                    refunds += amount
                    if paidKnown && refunds > order.amountPaid { fields.fail("\(field).amount", "exceeds_amount_paid") }
                } else {
                    compensation += amount
                    if paidKnown && compensation > Money.compensationLimit(amountPaid: order.amountPaid) {
                        fields.fail("\(field).amount", "exceeds_compensation_limit")
                    }
                }
            case .other:
                if text == nil { fields.fail("\(field).text", "required") }
            case .reissue, .apology:
                if demand.amount != nil { fields.fail("\(field).amount", "not_allowed") }
            }
            demands.append(Demand(kind: kind, amount: demand.amount, text: text))
        }
        if let days = body.ultimatumDays, !(1...60).contains(days) { fields.fail("ultimatum_days", "out_of_range") }
        try fields.check()
        return Complaint(
            id: UUID(), consumerID: actor.accountID, consumerName: "", platformID: body.platformID!, merchantID: body.merchantID,
            category: category!, title: title, description: description, order: order, demands: demands,
            ultimatumDays: body.ultimatumDays, state: .awaitingPlatform, submittedAt: now)
    }

    /// The SHA-256 of the body's JSON with sorted keys: a retry that serialises the same content in
    /// another order is the same request.
    static func canonicalDigest(_ body: ByteBuffer) -> String {
        let data = Data(body.readableBytesView)
        let canonical = (try? JSONSerialization.jsonObject(with: data))
            .flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) } ?? data
        return SHA256.hash(data: canonical).hexString
    }

    // MARK: Reading

    @Sendable func list(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<PageResponse<ComplaintResponse>> {
        try Policy.authorize(context.principal, .readComplaints)
        guard let actor = context.principal.actor else { throw RedressError.unauthenticated }
        let page = try request.pageRequest()
        var filter = try Self.filter(request.uri.queryParameters)
        filter.scope = Self.listScope(of: actor)
        let now = configuration.clock.now()
        let found = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.complaints(matching: filter, page: page)
        }
        return JSONResponse(body: PageResponse(found) { complaint in
            ComplaintResponse(complaint, access: CaseAccess(actor, to: complaint, now: now), readiness: nil)
        })
    }

    /// The complaints a caller's list can hold at most (row-level security decides within it).
    static func listScope(of actor: Actor) -> ComplaintFilter.Scope {
        switch actor.role {
        case .consumer: return .consumer(actor.accountID)
        case .platformStaff, .platformAdmin: return actor.organizationID.map { .platform($0) } ?? .consumer(actor.accountID)
        case .merchantStaff: return actor.organizationID.map { .merchant($0) } ?? .consumer(actor.accountID)
        case .mediator, .mediationLead: return actor.organizationID.map { .mediationBody($0) } ?? .consumer(actor.accountID)
        case .auditor, .admin: return .everything
        }
    }

    @Sendable func read(_ request: Request, context: RedressRequestContext) async throws -> Response {
        try Policy.authorize(context.principal, .readComplaints)
        guard let actor = context.principal.actor else { throw RedressError.unauthenticated }
        let id = try context.parameters.id()
        let now = configuration.clock.now()
        let view = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            guard let complaint = try await transaction.complaint(id: id) else { throw RedressError.notFound }
            let merchantFirst = try await transaction.platform(id: complaint.platformID)?.merchantFirst ?? false
            let evidence = try await transaction.evidenceKinds(complaintID: complaint.id)
            var view = Self.view(complaint, actor: actor, merchantFirst: merchantFirst, evidence: evidence, now: now, language: context.language)
            if CaseAccess.relations(of: actor, to: complaint).contains(.mediationBody), let consumer = try await transaction.account(id: complaint.consumerID) {
                view.consumerContact = ["email": consumer.email, "phone": consumer.phone ?? ""].filter { !$0.value.isEmpty }
            }
            return view
        }
        return try Self.respond(view, status: .ok)
    }

    // MARK: Actions

    struct ActionRequest: Decodable {
        let decision: String?
        let proposal: ProposalRequest?
        let terms: ProposalRequest?
        let reason: String?
        let text: String?
        let mediationBodyID: UUID?
        let mediatorID: UUID?
        let channel: String?
        let reference: String?
        let rating: Int?
        let comment: String?
    }

    struct ProposalRequest: Decodable {
        let refund: Int?
        let reissue: Bool?
        let apology: Bool?
        let compensation: Int?
        let text: String?
    }

    @Sendable func act(_ request: Request, context: RedressRequestContext) async throws -> Response {
        try Policy.authorize(context.principal, .actOnComplaints)
        guard let actor = context.principal.actor else { throw RedressError.unauthenticated }
        let id = try context.parameters.id()
        guard let action = context.parameters.get("action").flatMap(ComplaintAction.init(rawValue:)) else { throw RedressError.notFound }
        let expectedVersion = try Self.ifMatch(request.headers[.ifMatch])
        var request = request
        let raw = try await request.collectJSONBody(limit: configuration.maxJSONBodyBytes, optional: true)
        let body = raw.readableBytes == 0 ? nil : try Request.decodeJSON(ActionRequest.self, from: raw)
        let input = try Self.input(for: action, body)
        let now = configuration.clock.now()

        let view = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            guard let complaint = try await transaction.complaint(id: id) else { throw RedressError.notFound }
            let access = CaseAccess(actor, to: complaint, now: now)
            guard access.isParty else { throw actor.role == .auditor ? RedressError.forbidden : RedressError.notFound }
            if let expectedVersion, expectedVersion != complaint.version { throw RedressError(.preconditionFailed) }
            let rule: TransitionRule
            switch access.decide(action, decision: input.decision) {
            case .allowed(let found): rule = found
            case .notYours: throw RedressError.forbidden
            case .notNow(let allowed): throw RedressError(.invalidTransition, allowedActions: allowed.map(\.rawValue))
            case .conditionUnmet(let condition):
                if [.deadlinePassed, .answerRejected, .answeredByPlatform].contains(condition) && action == .escalate {
                    throw RedressError(.platformFirst, allowedActions: access.allowedActions.map(\.rawValue))
                }
                throw RedressError(
                    .invalidTransition, detail: "Not now: \(condition.rawValue).", allowedActions: access.allowedActions.map(\.rawValue))
            }
            try input.checkAmounts(amountPaid: complaint.order.amountPaid)
            let platform = try await transaction.platform(id: complaint.platformID)
            var effectiveInput = input
            switch input {
            case .escalate(let requested, let reason) where rule.to == .escalated:
                guard let body = requested ?? complaint.mediationBodyID ?? platform?.defaultMediationBodyID else {
                    throw RedressError.validation([.init(field: "mediation_body_id", reason: "required")])
                }
                guard try await transaction.organization(id: body)?.kind == .mediationBody else {
                    throw RedressError.validation([.init(field: "mediation_body_id", reason: "unknown_mediation_body")])
                }
                effectiveInput = .escalate(mediationBodyID: body, reason: reason)
            case .assign(let mediator):
                guard let body = complaint.mediationBodyID, try await transaction.isMediator(mediator, of: body) else {
                    throw RedressError.validation([.init(field: "mediator_id", reason: "not_a_mediator_of_the_body")])
                }
            default:
                break
            }
            let body: UUID? = if case .escalate(let body?, _) = effectiveInput { body } else { complaint.mediationBodyID }
            let workflow = try await transaction.workflowContext(platformID: complaint.platformID, mediationBodyID: body, timeZone: configuration.timeZone)
            let changed = ComplaintWorkflow.apply(rule, input: effectiveInput, to: complaint, relations: access.relations, context: workflow)
            let stored = try await transaction.updateComplaint(
                changed, expectedVersion: complaint.version, action: "complaint.\(action.rawValue)",
                changes: ComplaintWorkflow.auditChanges(from: complaint, to: changed, input: effectiveInput), actor: context.auditActor)
            guard stored else {
                throw expectedVersion == nil ? RedressError(.conflict, detail: "Another change to this complaint won; reload it.") : RedressError(.preconditionFailed)
            }
            let evidence = try await transaction.evidenceKinds(complaintID: changed.id)
            return Self.view(changed, actor: actor, merchantFirst: platform?.merchantFirst ?? false, evidence: evidence, now: now, language: context.language)
        }
        return try Self.respond(view, status: .ok)
    }

    static func input(for action: ComplaintAction, _ body: ActionRequest?) throws(RedressError) -> ActionInput {
        var fields = FieldValidator()
        func proposal(_ request: ProposalRequest?, field: String) -> Proposal? {
            guard let request else { return nil }
            let value = Proposal(
                refund: fields.positiveAmount(request.refund, field: "\(field).refund"), reissue: request.reissue ?? false,
                apology: request.apology ?? false, compensation: fields.positiveAmount(request.compensation, field: "\(field).compensation"),
                text: fields.optionalText(request.text, field: "\(field).text", maxLength: 2000))
            if value.isEmpty && value.text == nil { fields.fail(field, "empty_proposal") }
            return value
        }
        let reason = fields.optionalText(body?.reason, field: "reason", maxLength: 2000)
        let input: ActionInput
        switch action {
        case .respond:
            switch body?.decision {
            case "propose":
                let terms = proposal(body?.proposal, field: "proposal")
                if terms == nil { fields.fail("proposal", "required") }
                input = .respond(Answer(decision: .propose, proposal: terms, reason: reason))
            case "reject":
                if reason == nil { fields.fail("reason", "required") }
                input = .respond(Answer(decision: .reject, proposal: nil, reason: reason))
            default:
                fields.fail("decision", body?.decision == nil ? "required" : "unknown_value")
                input = .none
            }
        case .escalate, .reportUnfulfilled:
            if action == .reportUnfulfilled && reason == nil { fields.fail("reason", "required") }
            input = .escalate(mediationBodyID: body?.mediationBodyID, reason: reason)
        case .triage:
            switch body?.decision {
            case "accept": input = .triage(accept: true, reason: reason)
            case "decline":
                if reason == nil { fields.fail("reason", "required") }
                input = .triage(accept: false, reason: reason)
            default:
                fields.fail("decision", body?.decision == nil ? "required" : "unknown_value")
                input = .none
            }
        case .assign:
            if body?.mediatorID == nil { fields.fail("mediator_id", "required") }
            input = .assign(mediatorID: body?.mediatorID ?? UUID())
        case .propose:
            var terms = proposal(body?.terms, field: "terms")
            if terms == nil { fields.fail("terms", "required") }
            if let text = fields.optionalText(body?.text, field: "text", maxLength: 2000) { terms?.text = text }
            input = .propose(terms ?? Proposal())
        case .fail:
            if reason == nil { fields.fail("reason", "required") }
            input = .reason(reason)
        case .reject:
            input = .reason(reason)
        case .refer:
            let channel = ReferralChannel(rawValue: body?.channel ?? "")
            if channel == nil { fields.fail("channel", body?.channel == nil ? "required" : "unknown_value") }
            input = .refer(channel: channel ?? .twelve315, reference: fields.optionalText(body?.reference, field: "reference", maxLength: 100))
        case .rate:
            let rating = body?.rating
            if rating == nil || !(1...5).contains(rating!) { fields.fail("rating", rating == nil ? "required" : "out_of_range") }
            input = .rate(rating: rating ?? 0, comment: fields.optionalText(body?.comment, field: "comment", maxLength: 1000))
        case .escalateToPlatform, .accept, .confirmFulfilment, .withdraw:
            input = .reason(reason)
        }
        try fields.check()
        return input
    }

    // MARK: Helpers

    /// How the actor stands to the case; empty when they are no party to it.
    static func view(_ complaint: Complaint, actor: Actor, merchantFirst: Bool, evidence: [EvidenceKind], now: Date, language: Language) -> ComplaintResponse {
        let access = CaseAccess(actor, to: complaint, now: now)
        let readiness = access.relations.contains(.consumer) || access.relations.contains(.mediationBody)
            ? ReadinessCheck.evaluate(complaint, evidence: evidence, merchantFirst: merchantFirst, now: now, language: language) : nil
        return ComplaintResponse(complaint, access: access, readiness: readiness)
    }

    static func respond(_ view: ComplaintResponse, status: HTTPResponse.Status) throws -> Response {
        let data = try APIJSON.encode(view)
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .eTag: "\"\(view.version)\""],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func version(inJSON json: String) -> Int? {
        (try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?["version"] as? Int
    }

    /// `If-Match: "3"` (or `W/"3"`, or `3`); `nil` when absent. Anything else is malformed.
    static func ifMatch(_ header: String?) throws(RedressError) -> Int? {
        guard let header else { return nil }
        let cleaned = header.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "W/", with: "").trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        guard let version = Int(cleaned) else { throw RedressError(.malformedRequest, detail: "If-Match must be the complaint's ETag.") }
        return version
    }

    static func filter(_ query: Parameters) throws(RedressError) -> ComplaintFilter {
        var filter = ComplaintFilter()
        var fields = FieldValidator()
        if let states = query["state"] {
            let parsed = states.split(separator: ",").map { ComplaintState(rawValue: String($0)) }
            if parsed.contains(where: { $0 == nil }) { fields.fail("state", "unknown_value") }
            filter.states = parsed.compactMap { $0 }
        }
        if let category = query["category"] {
            filter.category = ComplaintCategory(rawValue: String(category))
            if filter.category == nil { fields.fail("category", "unknown_value") }
        }
        if let platform = query["platform_id"] {
            filter.platformID = UUID(uuidString: String(platform))
            if filter.platformID == nil { fields.fail("platform_id", "invalid_id") }
        }
        if let merchant = query["merchant_id"] {
            filter.merchantID = UUID(uuidString: String(merchant))
            if filter.merchantID == nil { fields.fail("merchant_id", "invalid_id") }
        }
        if let overdue = query["overdue"] {
            switch overdue {
            case "true": filter.overdue = true
            case "false": filter.overdue = false
            default: fields.fail("overdue", "invalid_boolean")
            }
        }
        if let from = query["submitted_from"] {
            filter.submittedFrom = APIJSON.parseRFC3339(String(from))
            if filter.submittedFrom == nil { fields.fail("submitted_from", "invalid_time") }
        }
        if let to = query["submitted_to"] {
            filter.submittedTo = APIJSON.parseRFC3339(String(to))
            if filter.submittedTo == nil { fields.fail("submitted_to", "invalid_time") }
        }
        if let text = query["q"] {
            if text.count > 100 { fields.fail("q", "too_long") } else { filter.titleContains = String(text) }
        }
        try fields.check()
        return filter
    }
}

extension APIConfiguration {
    /// Today's date where working days are counted.
    func calendarDay(of instant: Date) -> LocalDate {
        WorkingCalendar(days: [], timeZone: timeZone).localDate(of: instant)
    }
}
