import Foundation
import Hummingbird
import NIOCore
import RedressCore
import RedressStore

/// A case's timeline, and its dossier: everything 12315, a court or the police need, as JSON and
/// as a printable page.
struct DossierController {
    let database: Database
    let configuration: APIConfiguration

    var endpoints: [Endpoint] {
        [
            Endpoint(.get, "/api/v1/complaints/:id/timeline", timeline),
            Endpoint(.get, "/api/v1/complaints/:id/dossier", dossier),
            Endpoint(.get, "/api/v1/complaints/:id/audit/verify", verify),
        ]
    }

    @Sendable func timeline(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<TimelineResponse> {
        let (actor, id) = try MessageController.caller(context)
        let page = try TimelinePage(request.uri.queryParameters)
        let (relations, fetched) = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            let relations = try await MessageController.requireParty(actor, complaintID: id, transaction)
            return (relations, try await transaction.timeline(complaintID: id, afterSeq: page.afterSeq, limit: page.limit + 1))
        }
        let events = Array(fetched.prefix(page.limit))
        let next = fetched.count > page.limit ? events.last.map { TimelinePage.cursor(after: $0.seq) } : nil
        return JSONResponse(
            body: TimelineResponse(complaintID: ResourceID(id), events: Self.visible(events, to: actor, relations: relations).map(EventView.init), nextCursor: Nullable(next)))
    }

    /// Recomputes the case's chain: for its parties and for auditors.
    @Sendable func verify(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<VerificationResponse> {
        let (actor, id) = try MessageController.caller(context)
        let result = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            guard let complaint = try await transaction.complaint(id: id) else { throw RedressError.notFound }
            if actor.role != .auditor && CaseAccess.relations(of: actor, to: complaint).isEmpty { throw RedressError.notFound }
            return try await transaction.verifyAuditChains(chain: AuditChain.complaint(id))
        }
        return JSONResponse(
            body: VerificationResponse(
                complaintID: ResourceID(id), events: result.events, valid: result.valid,
                firstBrokenLink: result.firstBroken.map { ["seq": String($0.seq), "problem": $0.problem] }))
    }

    @Sendable func dossier(_ request: Request, context: RedressRequestContext) async throws -> Response {
        let wantsHTML: Bool
        switch request.uri.queryParameters["format"].map(String.init) {
        case "html": wantsHTML = true
        case "json": wantsHTML = false
        case nil: wantsHTML = (request.headers[.accept] ?? "").contains("text/html")
        default: throw RedressError.validation([.init(field: "format", reason: "unknown_value")])
        }
        let (actor, id) = try MessageController.caller(context)
        let dossier = try await build(id, actor: actor, context: context)
        if wantsHTML {
            return Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "private, no-store"],
                body: .init(byteBuffer: ByteBuffer(string: DossierPage.html(dossier, language: context.language))))
        }
        return try JSONResponse(body: dossier).response(from: request, context: context)
    }

    /// The dossier of a case for one of its parties (for the API and the console).
    func build(_ id: UUID, actor: Actor, context: RedressRequestContext, language: Language? = nil) async throws -> DossierResponse {
        let now = configuration.clock.now()
        let language = language ?? context.language
        return try await database.transaction(as: context.identity, origin: context.origin) { transaction -> DossierResponse in
            guard let complaint = try await transaction.complaint(id: id) else { throw RedressError.notFound }
            if CaseAccess.relations(of: actor, to: complaint).isEmpty {
                throw actor.role == .auditor ? RedressError.forbidden : RedressError.notFound
            }
            guard let platform = try await transaction.platform(id: complaint.platformID) else { throw RedressError.notFound }
            var evidence: [EvidenceRecord] = []
            var page = PageRequest(limit: PageRequest.maximumLimit)
            while true {
                let found = try await transaction.evidence(complaintID: id, page: page)
                evidence += found.items
                guard let next = found.nextCursor else { break }
                page = PageRequest(limit: PageRequest.maximumLimit, after: next)
            }
            let kinds = Array(Set(evidence.map(\.kind)))
            let flags = try await transaction.flags(complaintID: id)
            let supplements = try await transaction.messages(
                complaintID: id, page: PageRequest(limit: SupplementController.maximumPerCase), kind: .supplement).items
            let chain = try await transaction.timeline(complaintID: id)
            let events = Self.visible(chain, to: actor, relations: CaseAccess.relations(of: actor, to: complaint))
            let visibleSeqs = Set(events.map(\.seq))
            let links = chain.map { event in
                AuditExport.Link(
                    seq: event.seq, prevHash: event.prevHash, hash: event.hash,
                    content: Nullable(visibleSeqs.contains(event.seq) && !event.holdsClientAddress ? event.content : nil))
            }
            let proof = try await transaction.anchorProof(chain: AuditChain.complaint(id))
            let channels = ComplaintWorkflow.recommendedChannels(for: complaint, fraudSuspected: ComplaintWorkflow.fraudSuspected(complaint))
            // A court or the police weigh a seller's history: the record goes with a dossier for them.
            var record: MerchantRecordController.RecordResponse?
            let outward: Set<ReferralChannel> = [.court, .police]
            if let merchantID = complaint.merchantID, complaint.referralChannel.map(outward.contains) ?? !outward.isDisjoint(with: channels),
                let merchant = try await transaction.merchant(id: merchantID)
            {
                let today = configuration.calendarDay(of: now)
                let (from, to) = try MerchantRecordController.window([:], today: today)
                let rows = try await transaction.merchantRecord(merchantID: merchantID, from: from, to: to)
                if !rows.isEmpty { record = MerchantRecordController.summarise(rows, merchant: merchant, from: from, to: to) }
            }
            var response = DossierResponse(
                generatedAt: now,
                complaint: ComplaintResponse.view(
                    complaint, actor: actor, merchantFirst: platform.merchantFirst, evidence: kinds, now: now, language: language),
                platform: .init(
                    name: platform.name, companyName: platform.companyName, creditCode: platform.creditCode,
                    registeredAddress: platform.registeredAddress, website: platform.website),
                evidence: evidence.map(EvidenceController.EvidenceResponse.init),
                flags: flags.map { FlagController.FlagResponse($0, language: language) },
                supplements: supplements.map(MessageController.MessageResponse.init),
                timeline: events.map(EventView.init),
                recommendedChannels: channels,
                audit: AuditExport(chain: AuditChain.complaint(id), events: links, anchoring: Nullable(proof.map(AuditExport.Anchoring.init))))
            response.merchantRecord = record
            return response
        }
    }

    /// A page of a timeline: events after a sequence number, at most `limit` (1 … 200, default 50).
    struct TimelinePage {
        let afterSeq: Int
        let limit: Int

        init(_ query: Parameters) throws(RedressError) {
            var fields = FieldValidator()
            var limit = PageRequest.defaultLimit
            if let given = query["limit"] {
                if let value = Int(given), (1...PageRequest.maximumLimit).contains(value) { limit = value } else { fields.fail("limit", "out_of_range") }
            }
            var afterSeq = 0
            if let cursor = query["cursor"] {
                if let seq = Self.seq(inCursor: String(cursor)) { afterSeq = seq } else { fields.fail("cursor", "invalid_cursor") }
            }
            try fields.check()
            self.afterSeq = afterSeq
            self.limit = limit
        }

        /// The cursor is `seq:<n>` in base64url: opaque to clients, like every other cursor.
        static func cursor(after seq: Int) -> String {
            Data("seq:\(seq)".utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }

        static func seq(inCursor cursor: String) -> Int? {
            guard cursor.count <= 40 else { return nil }
            var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while base64.count % 4 != 0 { base64 += "=" }
            guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8), text.hasPrefix("seq:"),
                let seq = Int(text.dropFirst(4)), (0...Int(Int32.max)).contains(seq)
            else { return nil }
            return seq
        }
    }

    /// Internal messages are for their author's organisation only, in the timeline too.
    /// The events the actor may read: not another organisation's internal notes, and the consumer's
    /// rating only for the consumer and the mediation body (the platform and the merchant could press
    /// for a better one). The rest of the chain is still exported, as hashes without content.
    static func visible(_ events: [TimelineEvent], to actor: Actor, relations: Set<CaseRelation>) -> [TimelineEvent] {
        let seesRatings = relations.contains(.consumer) || relations.contains(.mediationBody)
        return events.filter { event in
            if event.action == "complaint.rate" && !seesRatings { return false }
            return event.action != "message.post" || event.visibility != "internal" || event.actorOrganizationID == actor.organizationID
        }
    }
}
