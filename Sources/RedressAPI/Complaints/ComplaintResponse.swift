import Foundation
import Hummingbird
import NIOCore
import RedressCore

/// A complaint as the API shows it. What is shown depends on who asks: the parties see the case;
/// an auditor sees its metadata only (no statement, order facts, demands or names).
struct ComplaintResponse: Encodable, Sendable {
    struct Order: Encodable, Sendable {
        let orderNo: String
        let productName: String
        let amountPaid: Int
        let currency: String
        let orderedAt: Date?
        let paymentChannel: String?
        let paymentRef: String?
    }
    struct DemandView: Encodable, Sendable {
        let kind: Demand.Kind
        let amount: Int?
        let text: String?
    }
    struct ProposalView: Encodable, Sendable {
        let refund: Int?
        let reissue: Bool
        let apology: Bool
        let compensation: Int?
        let text: String?
        init?(_ proposal: Proposal?) {
            guard let proposal else { return nil }
            refund = proposal.refund
            reissue = proposal.reissue
            apology = proposal.apology
            compensation = proposal.compensation
            text = proposal.text
        }
    }
    struct AnswerView: Encodable, Sendable {
        let by: String
        let decision: Answer.Decision
        let proposal: ProposalView?
        let reason: String?
        /// Where the seller says the fault lies.
        let fault: Fault?
        let rejectedByConsumer: Bool
    }
    struct SettlementView: Encodable, Sendable {
        let terms: ProposalView?
        let acceptedByConsumer: Bool
        let acceptedByPlatform: Bool
    }
    struct ReadinessView: Encodable, Sendable {
        struct Link: Encodable, Sendable {
            let step: String
            let requires: [EvidenceKind]
            let missing: [EvidenceKind]
            let complete: Bool
        }
        struct Finding: Encodable, Sendable {
            let code: String
            let field: String?
            let subject: String?
            let advice: String
        }
        struct Next: Encodable, Sendable {
            let code: String
            let action: ComplaintAction?
            let until: Date?
            let advice: String
        }
        let level: String
        let evidenceChain: [Link]
        let demands: [Finding]
        let wording: [Finding]
        let preconditions: [Finding]
        let nextStep: Next
        let recommendedChannels: [ReferralChannel]

        init(_ readiness: Readiness) {
            level = readiness.level
            evidenceChain = readiness.evidenceChain.map { Link(step: $0.step, requires: $0.requires, missing: $0.missing, complete: $0.complete) }
            func findings(_ list: [Readiness.Finding]) -> [Finding] {
                list.map { Finding(code: $0.code, field: $0.field, subject: $0.subject, advice: $0.advice) }
            }
            demands = findings(readiness.demandFindings)
            wording = findings(readiness.wordingFindings)
            preconditions = findings(readiness.preconditions)
            nextStep = Next(code: readiness.nextStep.code, action: readiness.nextStep.action, until: readiness.nextStep.until, advice: readiness.nextStep.advice)
            recommendedChannels = readiness.recommendedChannels
        }
    }

    let id: ResourceID
    let state: ComplaintState
    let version: Int
    let category: ComplaintCategory
    let platformID: ResourceID
    let merchantID: ResourceID?
    let mediationBodyID: ResourceID?
    let mediatorID: ResourceID?
    let submittedAt: Date
    let updatedAt: Date
    let stageStartedAt: Date
    let deadlineAt: Date?
    let overdue: Bool
    let overdueParty: String?
    let firstResponseAt: Date?
    let firstResponseOnTime: Bool?
    /// Holding replies the seller's side gave instead of an answer, and the last one's time.
    let acknowledgements: Int
    let lastAcknowledgedAt: Date?
    /// The one yardstick of the first response, the same for every platform.
    let standardDeadlineAt: Date?
    let escalatedAt: Date?
    /// Who sent it to mediation: `consumer`, `platform` (disputing its validity) or `system` (the ultimatum).
    let escalatedBy: String?
    let collectiveID: ResourceID?
    let triaged: Bool
    let closedAt: Date?
    let outcome: CaseOutcome?
    let invalidReason: InvalidReason?
    /// When the case closes by itself if nobody moves it.
    let closesAt: Date?
    let referralChannel: ReferralChannel?
    /// The referral stays open until the consumer records the authority's outcome.
    let referralOutcome: ReferralOutcome?
    let referralClosedAt: Date?
    /// The earlier complaint this one re-files.
    let refiles: ResourceID?
    /// The consumer's name, texts and evidence are erased (PIPL); the order's facts anonymised too.
    let erasedAt: Date?
    let anonymisedAt: Date?
    let allowedActions: [ComplaintAction]
    // The case itself: absent for auditors.
    let consumer: [String: String]?
    let title: String?
    let description: String?
    let order: Order?
    let demands: [DemandView]?
    let ultimatumDays: Int?
    let ultimatumAt: Date?
    /// Where the consumer thinks the fault lies, and the mediator's finding.
    let faultClaim: Fault?
    let faultFinding: Fault?
    let answer: AnswerView?
    let settlement: SettlementView?
    let agreedOutcome: ProposalView?
    let referralReference: String?
    let rating: Int?
    let ratingComment: String?
    let readiness: ReadinessView?

    /// The consumer's contact details, for the mediation body only (need to know: mediators see what
    /// they need to contact both sides).
    var consumerContact: [String: String]? = nil

    enum CodingKeys: String, CodingKey {
        case id, state, version, category, platformID, merchantID, mediationBodyID, mediatorID, submittedAt, updatedAt, stageStartedAt
        case deadlineAt, overdue, overdueParty, firstResponseAt, firstResponseOnTime, acknowledgements, lastAcknowledgedAt
        case standardDeadlineAt, escalatedAt, escalatedBy, collectiveID, triaged, closedAt
        case outcome, invalidReason, closesAt, referralChannel, referralOutcome, referralClosedAt, refiles, erasedAt, anonymisedAt
        case allowedActions, consumer, title, description, order, demands, ultimatumDays, ultimatumAt, faultClaim, faultFinding, answer
        case settlement
        case agreedOutcome, referralReference, rating, ratingComment, readiness, consumerContact
    }

    init(_ complaint: Complaint, access: CaseAccess, readiness: Readiness?) {
        let relations = access.relations
        id = ResourceID(complaint.id)
        state = complaint.state
        // Rating is the last thing that can change a case, and only its consumer and mediation body
        // may learn of it: to the others a rated case looks as it did when it closed (version and
        // time), so that the moment of one rating cannot be matched to the public figures.
        let hidesRating = complaint.rating != nil && !(relations.contains(.consumer) || relations.contains(.mediationBody))
        version = hidesRating ? complaint.version - 1 : complaint.version
        category = complaint.category
        platformID = ResourceID(complaint.platformID)
        merchantID = ResourceID(complaint.merchantID)
        mediationBodyID = ResourceID(complaint.mediationBodyID)
        mediatorID = ResourceID(complaint.mediatorID)
        submittedAt = complaint.submittedAt
        updatedAt = hidesRating ? complaint.closedAt ?? complaint.updatedAt : complaint.updatedAt
        stageStartedAt = complaint.stageStartedAt
        deadlineAt = complaint.deadlineAt
        overdue = complaint.overdue
        overdueParty = complaint.overdueParty
        firstResponseAt = complaint.firstResponseAt
        firstResponseOnTime = complaint.firstResponseOnTime
        acknowledgements = complaint.acknowledgements
        lastAcknowledgedAt = complaint.lastAcknowledgedAt
        standardDeadlineAt = complaint.standardDeadlineAt
        escalatedAt = complaint.escalatedAt
        escalatedBy = complaint.escalatedBy?.rawValue
        collectiveID = ResourceID(complaint.collectiveID)
        triaged = complaint.triaged
        closedAt = complaint.closedAt
        outcome = complaint.outcome
        invalidReason = complaint.invalidReason
        closesAt = complaint.closesAt
        referralChannel = complaint.referralChannel
        referralOutcome = complaint.referralOutcome
        referralClosedAt = complaint.referralClosedAt
        refiles = complaint.refiles.map(ResourceID.init)
        erasedAt = complaint.erasedAt
        anonymisedAt = complaint.anonymisedAt
        allowedActions = access.allowedActions
        let party = !relations.isEmpty
        consumer = party ? ["id": complaint.consumerID.uuidString.lowercased(), "display_name": complaint.consumerName] : nil
        title = party ? complaint.title : nil
        description = party ? complaint.description : nil
        order = party
            ? Order(
                orderNo: complaint.order.orderNo, productName: complaint.order.productName, amountPaid: complaint.order.amountPaid,
                currency: complaint.order.currency, orderedAt: complaint.order.orderedAt, paymentChannel: complaint.order.paymentChannel,
                paymentRef: complaint.order.paymentRef) : nil
        demands = party ? complaint.demands.map { DemandView(kind: $0.kind, amount: $0.amount, text: $0.text) } : nil
        ultimatumDays = party ? complaint.ultimatumDays : nil
        ultimatumAt = party ? complaint.ultimatumAt : nil
        faultClaim = party ? complaint.faultClaim : nil
        faultFinding = party ? complaint.faultFinding : nil
        answer = party
            ? complaint.answer.map {
                AnswerView(by: complaint.answeredBy?.rawValue ?? "platform", decision: $0.decision, proposal: ProposalView($0.proposal),
                           reason: $0.reason, fault: $0.fault, rejectedByConsumer: complaint.answerRejected)
            } : nil
        settlement = party && complaint.settlement != nil
            ? SettlementView(terms: ProposalView(complaint.settlement), acceptedByConsumer: complaint.consumerAcceptedSettlement,
                             acceptedByPlatform: complaint.platformAcceptedSettlement) : nil
        agreedOutcome = party ? ProposalView(complaint.agreedOutcome) : nil
        referralReference = party ? complaint.referralReference : nil
        // A rating is the consumer's word about the handling: the platform and the merchant never see
        // it (they could press for a better one); the mediation body does.
        let seesRating = relations.contains(.consumer) || relations.contains(.mediationBody)
        rating = seesRating ? complaint.rating : nil
        ratingComment = seesRating ? complaint.ratingComment : nil
        self.readiness = readiness.map(ReadinessView.init)
    }
}

extension ComplaintResponse {
    /// The case as `actor` sees it at `now`, with the readiness findings for those who act on them
    /// (the consumer and the mediation body).
    static func view(_ complaint: Complaint, actor: Actor, merchantFirst: Bool, evidence: [EvidenceKind], now: Date, language: Language) -> ComplaintResponse {
        let access = CaseAccess(actor, to: complaint, now: now)
        let readiness = access.relations.contains(.consumer) || access.relations.contains(.mediationBody)
            ? ReadinessCheck.evaluate(complaint, evidence: evidence, merchantFirst: merchantFirst, now: now, language: language) : nil
        return ComplaintResponse(complaint, access: access, readiness: readiness)
    }

    /// The JSON answer, with the case's version as its ETag.
    func response(status: HTTPResponse.Status) throws -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .eTag: "\"\(version)\""],
            body: .init(byteBuffer: ByteBuffer(bytes: try APIJSON.encode(self))))
    }
}

// The case's JSON written directly (`DirectJSON`), members in the order of their keys' bytes.
extension ComplaintResponse: DirectJSON {
    func write(to json: inout DirectJSONWriter) {
        json.beginObject()
        json.member("acknowledgements", acknowledgements)
        json.member("agreed_outcome", agreedOutcome)
        json.member("allowed_actions", allowedActions)
        json.member("anonymised_at", anonymisedAt)
        json.member("answer", answer)
        json.member("category", category)
        json.member("closed_at", closedAt)
        json.member("closes_at", closesAt)
        json.member("collective_id", collectiveID)
        json.member("consumer", consumer)
        json.member("consumer_contact", consumerContact)
        json.member("deadline_at", deadlineAt)
        json.member("demands", demands)
        json.member("description", description)
        json.member("erased_at", erasedAt)
        json.member("escalated_at", escalatedAt)
        json.member("escalated_by", escalatedBy)
        json.member("fault_claim", faultClaim)
        json.member("fault_finding", faultFinding)
        json.member("first_response_at", firstResponseAt)
        json.member("first_response_on_time", firstResponseOnTime)
        json.member("id", id)
        json.member("invalid_reason", invalidReason)
        json.member("last_acknowledged_at", lastAcknowledgedAt)
        json.member("mediation_body_id", mediationBodyID)
        json.member("mediator_id", mediatorID)
        json.member("merchant_id", merchantID)
        json.member("order", order)
        json.member("outcome", outcome)
        json.member("overdue", overdue)
        json.member("overdue_party", overdueParty)
        json.member("platform_id", platformID)
        json.member("rating", rating)
        json.member("rating_comment", ratingComment)
        json.member("readiness", readiness)
        json.member("referral_channel", referralChannel)
        json.member("referral_closed_at", referralClosedAt)
        json.member("referral_outcome", referralOutcome)
        json.member("referral_reference", referralReference)
        json.member("refiles", refiles)
        json.member("settlement", settlement)
        json.member("stage_started_at", stageStartedAt)
        json.member("standard_deadline_at", standardDeadlineAt)
        json.member("state", state)
        json.member("submitted_at", submittedAt)
        json.member("title", title)
        json.member("triaged", triaged)
        json.member("ultimatum_at", ultimatumAt)
        json.member("ultimatum_days", ultimatumDays)
        json.member("updated_at", updatedAt)
        json.member("version", version)
        json.endObject()
    }
}

extension ComplaintResponse.Order: DirectJSON {
    func write(to json: inout DirectJSONWriter) {
        json.beginObject()
        json.member("amount_paid", amountPaid)
        json.member("currency", currency)
        json.member("order_no", orderNo)
        json.member("ordered_at", orderedAt)
        json.member("payment_channel", paymentChannel)
        json.member("payment_ref", paymentRef)
        json.member("product_name", productName)
        json.endObject()
    }
}

extension ComplaintResponse.DemandView: DirectJSON {
    func write(to json: inout DirectJSONWriter) {
        json.beginObject()
        json.member("amount", amount)
        json.member("kind", kind)
        json.member("text", text)
        json.endObject()
    }
}

extension ComplaintResponse.ProposalView: DirectJSON {
    func write(to json: inout DirectJSONWriter) {
        json.beginObject()
        json.member("apology", apology)
        json.member("compensation", compensation)
        json.member("refund", refund)
        json.member("reissue", reissue)
        json.member("text", text)
        json.endObject()
    }
}

extension ComplaintResponse.AnswerView: DirectJSON {
    func write(to json: inout DirectJSONWriter) {
        json.beginObject()
        json.member("by", by)
        json.member("decision", decision)
        json.member("fault", fault)
        json.member("proposal", proposal)
        json.member("reason", reason)
        json.member("rejected_by_consumer", rejectedByConsumer)
        json.endObject()
    }
}

extension ComplaintResponse.SettlementView: DirectJSON {
    func write(to json: inout DirectJSONWriter) {
        json.beginObject()
        json.member("accepted_by_consumer", acceptedByConsumer)
        json.member("accepted_by_platform", acceptedByPlatform)
        json.member("terms", terms)
        json.endObject()
    }
}

extension ComplaintResponse.ReadinessView: DirectJSON {
    func write(to json: inout DirectJSONWriter) {
        json.beginObject()
        json.member("demands", demands)
        json.member("evidence_chain", evidenceChain)
        json.member("level", level)
        json.member("next_step", nextStep)
        json.member("preconditions", preconditions)
        json.member("recommended_channels", recommendedChannels)
        json.member("wording", wording)
        json.endObject()
    }
}

extension ComplaintResponse.ReadinessView.Link: DirectJSON {
    func write(to json: inout DirectJSONWriter) {
        json.beginObject()
        json.member("complete", complete)
        json.member("missing", missing)
        json.member("requires", requires)
        json.member("step", step)
        json.endObject()
    }
}

extension ComplaintResponse.ReadinessView.Finding: DirectJSON {
    func write(to json: inout DirectJSONWriter) {
        json.beginObject()
        json.member("advice", advice)
        json.member("code", code)
        json.member("field", field)
        json.member("subject", subject)
        json.endObject()
    }
}

extension ComplaintResponse.ReadinessView.Next: DirectJSON {
    func write(to json: inout DirectJSONWriter) {
        json.beginObject()
        json.member("action", action)
        json.member("advice", advice)
        json.member("code", code)
        json.member("until", until)
        json.endObject()
    }
}
