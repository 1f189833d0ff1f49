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

    struct EventView: Encodable, Sendable {
        let seq: Int
        let at: Date
        let action: String
        let actorRole: String
        let actorOrganizationID: ResourceID?
        let changes: [String: TimelineEvent.Change]
        let hash: String

        init(_ event: TimelineEvent) {
            seq = event.seq
            at = event.occurredAt
            action = event.action
            actorRole = event.actorRole
            actorOrganizationID = ResourceID(event.actorOrganizationID)
            changes = event.changes
            hash = event.hash
        }
    }

    struct TimelineResponse: Encodable, Sendable {
        let complaintID: ResourceID
        let events: [EventView]
        /// Present while more events follow: pass it back as `cursor`.
        let nextCursor: Nullable<String>
    }

    struct DossierResponse: Encodable, Sendable {
        struct PlatformFacts: Encodable, Sendable {
            let name: String
            let companyName: String
            let creditCode: String
            let registeredAddress: String
            let website: String?
        }
        let generatedAt: Date
        let complaint: ComplaintResponse
        let platform: PlatformFacts
        let evidence: [EvidenceController.EvidenceResponse]
        let timeline: [EventView]
        let recommendedChannels: [ReferralChannel]
        let audit: AuditExport
    }

    /// The case's audit chain as stored, for verification offline (Docs/audit.md,
    /// Tools/verify-dossier.py): every event's link, its content unless it is another organisation's
    /// internal note (then only its hashes, which the next link still binds), and the proof that the
    /// chain's anchored head is covered by the published anchor roots.
    struct AuditExport: Encodable, Sendable {
        struct Link: Encodable, Sendable {
            let seq: Int
            let prevHash: String
            let hash: String
            let content: Nullable<String>
        }

        struct Step: Encodable, Sendable {
            let side: String
            let hash: String
        }

        struct LaterAnchor: Encodable, Sendable {
            let id: Int
            let anchoredAt: Date
            let treeRoot: String
            let root: String
        }

        struct Anchoring: Encodable, Sendable {
            let anchorID: Int
            let anchoredAt: Date
            let head: [String: String]
            let path: [Step]
            let previousRoot: Nullable<String>
            let root: String
            let laterAnchors: [LaterAnchor]

            init(_ proof: AuditAnchor.Proof) {
                anchorID = proof.anchorID
                anchoredAt = proof.createdAt
                head = ["seq": String(proof.head.seq), "hash": proof.head.hash.hexString]
                path = proof.path.map { Step(side: $0.siblingIsLeft ? "left" : "right", hash: $0.sibling.hexString) }
                previousRoot = Nullable(proof.previousRoot?.hexString)
                root = proof.root.hexString
                laterAnchors = proof.later.map { LaterAnchor(id: $0.id, anchoredAt: $0.createdAt, treeRoot: $0.treeRoot.hexString, root: $0.root.hexString) }
            }

        }

        let format = "redress-audit-chain/1"
        let chain: String
        let events: [Link]
        /// `null` until an anchor covers the chain.
        let anchoring: Nullable<Anchoring>
    }

    @Sendable func timeline(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<TimelineResponse> {
        let (actor, id) = try MessageController.caller(context)
        let page = try TimelinePage(request.uri.queryParameters)
        let fetched = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await MessageController.requireParty(actor, complaintID: id, transaction)
            return try await transaction.timeline(complaintID: id, afterSeq: page.afterSeq, limit: page.limit + 1)
        }
        let events = Array(fetched.prefix(page.limit))
        let next = fetched.count > page.limit ? events.last.map { TimelinePage.cursor(after: $0.seq) } : nil
        return JSONResponse(
            body: TimelineResponse(complaintID: ResourceID(id), events: Self.visible(events, to: actor).map(EventView.init), nextCursor: Nullable(next)))
    }

    struct VerificationResponse: Encodable, Sendable {
        let complaintID: ResourceID
        let events: Int
        let valid: Bool
        let firstBrokenLink: [String: String]?
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
        let now = configuration.clock.now()
        let dossier = try await database.transaction(as: context.identity, origin: context.origin) { transaction -> DossierResponse in
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
            let chain = try await transaction.timeline(complaintID: id)
            let events = Self.visible(chain, to: actor)
            let visibleSeqs = Set(events.map(\.seq))
            let links = chain.map { event in
                AuditExport.Link(
                    seq: event.seq, prevHash: event.prevHash, hash: event.hash,
                    content: Nullable(visibleSeqs.contains(event.seq) && !event.holdsClientAddress ? event.content : nil))
            }
            let proof = try await transaction.anchorProof(chain: AuditChain.complaint(id))
            return DossierResponse(
                generatedAt: now,
                complaint: ComplaintResponse.view(
                    complaint, actor: actor, merchantFirst: platform.merchantFirst, evidence: kinds, now: now, language: context.language),
                platform: .init(
                    name: platform.name, companyName: platform.companyName, creditCode: platform.creditCode,
                    registeredAddress: platform.registeredAddress, website: platform.website),
                evidence: evidence.map(EvidenceController.EvidenceResponse.init),
                timeline: events.map(EventView.init),
                recommendedChannels: ComplaintWorkflow.recommendedChannels(for: complaint, fraudSuspected: ComplaintWorkflow.fraudSuspected(complaint)),
                audit: AuditExport(chain: AuditChain.complaint(id), events: links, anchoring: Nullable(proof.map(AuditExport.Anchoring.init))))
        }
        if wantsHTML {
            return Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "private, no-store"],
                body: .init(byteBuffer: ByteBuffer(string: DossierPage.html(dossier, language: context.language))))
        }
        return try JSONResponse(body: dossier).response(from: request, context: context)
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
    static func visible(_ events: [TimelineEvent], to actor: Actor) -> [TimelineEvent] {
        events.filter { event in
            event.action != "message.post" || event.visibility != "internal" || event.actorOrganizationID == actor.organizationID
        }
    }
}

/// The dossier as a printable HTML page (every value escaped).
enum DossierPage {
    static func html(_ dossier: DossierController.DossierResponse, language: Language) -> String {
        func t(_ zh: String, _ en: String) -> String { language == .en ? en : zh }
        func e(_ text: String?) -> String {
            (text ?? "—").replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&#39;")
        }
        func time(_ date: Date?) -> String { date.map { APIJSON.rfc3339($0) } ?? "—" }
        func money(_ fen: Int?) -> String { fen.map { String(format: "%d.%02d", $0 / 100, $0 % 100) } ?? "—" }
        let complaint = dossier.complaint
        var rows: [String] = []
        rows.append("<h1>\(t("投诉案件材料", "Complaint dossier"))</h1>")
        rows.append("<p>\(t("生成时间", "Generated")): \(time(dossier.generatedAt)) · \(t("案件编号", "Case")): \(e(complaint.id.value.uuidString.lowercased()))</p>")
        rows.append("<h2>\(t("被投诉平台", "Platform complained about"))</h2><table>")
        rows.append("<tr><th>\(t("平台", "Platform"))</th><td>\(e(dossier.platform.name))</td></tr>")
        rows.append("<tr><th>\(t("企业名称", "Company"))</th><td>\(e(dossier.platform.companyName))</td></tr>")
        rows.append("<tr><th>\(t("统一社会信用代码", "Unified social credit code"))</th><td>\(e(dossier.platform.creditCode))</td></tr>")
        rows.append("<tr><th>\(t("注册地址", "Registered address"))</th><td>\(e(dossier.platform.registeredAddress))</td></tr></table>")
        rows.append("<h2>\(t("事实与诉求", "Facts and demands"))</h2><table>")
        rows.append("<tr><th>\(t("标题", "Title"))</th><td>\(e(complaint.title))</td></tr>")
        rows.append("<tr><th>\(t("经过", "What happened"))</th><td>\(e(complaint.description).replacingOccurrences(of: "\n", with: "<br>"))</td></tr>")
        if let order = complaint.order {
            rows.append("<tr><th>\(t("订单", "Order"))</th><td>\(e(order.orderNo)) · \(e(order.productName)) · \(money(order.amountPaid)) \(e(order.currency))</td></tr>")
        }
        for demand in complaint.demands ?? [] {
            rows.append("<tr><th>\(t("诉求", "Demand"))</th><td>\(e(demand.kind.rawValue)) \(demand.amount.map(money) ?? "") \(e(demand.text ?? ""))</td></tr>")
        }
        rows.append("<tr><th>\(t("状态", "State"))</th><td>\(e(complaint.state.rawValue))</td></tr></table>")
        rows.append("<h2>\(t("证据清单", "Evidence")) (SHA-256)</h2><table><tr><th>\(t("类型", "Kind"))</th><th>\(t("文件", "File"))</th><th>\(t("大小", "Size"))</th><th>SHA-256</th><th>\(t("上传时间", "Uploaded"))</th></tr>")
        for item in dossier.evidence {
            rows.append("<tr><td>\(e(item.kind.rawValue))</td><td>\(e(item.filename))</td><td>\(item.size)</td><td><code>\(item.sha256)</code></td><td>\(time(item.uploadedAt))</td></tr>")
        }
        rows.append("</table><h2>\(t("处理经过", "Timeline"))</h2><table><tr><th>#</th><th>\(t("时间", "Time"))</th><th>\(t("事项", "Action"))</th><th>\(t("角色", "Role"))</th><th>\(t("状态变化", "State"))</th></tr>")
        for event in dossier.timeline {
            let state = event.changes["state"].map { "\(e($0.before)) → \(e($0.after))" } ?? ""
            rows.append("<tr><td>\(event.seq)</td><td>\(time(event.at))</td><td>\(e(event.action))</td><td>\(e(event.actorRole))</td><td>\(state)</td></tr>")
        }
        rows.append("</table><p>\(t("建议渠道", "Recommended channels")): \(dossier.recommendedChannels.map(\.rawValue).joined(separator: ", "))</p>")
        return """
            <!doctype html><html lang="\(language.rawValue)"><head><meta charset="utf-8"><title>\(t("投诉案件材料", "Complaint dossier"))</title>
            <style>body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse;width:100%;margin-bottom:1em}th,td{border:1px solid #999;padding:.3em;text-align:left;vertical-align:top}code{font-size:.8em;word-break:break-all}@media print{body{margin:0}}</style>
            </head><body>
            \(rows.joined(separator: "\n"))
            </body></html>
            """
    }
}
