import Foundation

public enum ComplaintCategory: String, Sendable, Codable, CaseIterable {
    case nonDelivery = "non_delivery"
    case notAsDescribed = "not_as_described"
    case serviceBreach = "service_breach"
    case other
}

public struct OrderFacts: Sendable, Equatable, Codable {
    public var orderNo: String
    public var productName: String
    /// Minor units (fen).
    public var amountPaid: Int
    public var currency: String
    public var orderedAt: Date?
    public var paymentChannel: String?
    public var paymentRef: String?

    public init(orderNo: String, productName: String, amountPaid: Int, currency: String, orderedAt: Date?, paymentChannel: String?, paymentRef: String?) {
        self.orderNo = orderNo
        self.productName = productName
        self.amountPaid = amountPaid
        self.currency = currency
        self.orderedAt = orderedAt
        self.paymentChannel = paymentChannel
        self.paymentRef = paymentRef
    }
}

public struct Demand: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case refund, reissue, apology, compensation, other
    }
    public var kind: Kind
    /// Minor units; required for refunds and compensation.
    public var amount: Int?
    public var text: String?

    public init(kind: Kind, amount: Int?, text: String?) {
        self.kind = kind
        self.amount = amount
        self.text = text
    }
}

/// What a platform, merchant or mediator puts on the table.
public struct Proposal: Sendable, Equatable, Codable {
    public var refund: Int?
    public var reissue: Bool
    public var apology: Bool
    public var compensation: Int?
    public var text: String?

    public init(refund: Int? = nil, reissue: Bool = false, apology: Bool = false, compensation: Int? = nil, text: String? = nil) {
        self.refund = refund
        self.reissue = reissue
        self.apology = apology
        self.compensation = compensation
        self.text = text
    }

    public var isEmpty: Bool { refund == nil && !reissue && !apology && compensation == nil }

    /// Relief: money or the goods. An apology may come with it, but is not relief on its own.
    public var isRelief: Bool { (refund ?? 0) > 0 || (compensation ?? 0) > 0 || reissue }
}

/// Where the fault for what went wrong lies: as the consumer sees it when filing, as the seller says in
/// its answer, and as the mediator finds. A case found to be the consumer's own error (a card key that
/// expired through misuse) leaves the platform's rates (Docs/metrics.md).
public enum Fault: String, Sendable, Codable, CaseIterable {
    case platform, merchant
    /// The consumer's own error.
    case consumer
    case shared, undetermined
}

/// An answer in the merchant or platform stage: a proposal, or a rejection with reasons.
public struct Answer: Sendable, Equatable, Codable {
    public enum Decision: String, Sendable, Codable {
        case propose, reject
    }
    public var decision: Decision
    public var proposal: Proposal?
    public var reason: String?
    /// Where the seller says the fault lies.
    public var fault: Fault?

    public init(decision: Decision, proposal: Proposal?, reason: String?, fault: Fault? = nil) {
        self.decision = decision
        self.proposal = proposal
        self.reason = reason
        self.fault = fault
    }

    /// A proposal that puts something on the table; anything else is a rejection.
    public var offersRelief: Bool { decision == .propose && (proposal?.isRelief ?? false) }
}

/// How a closed case ended, after the CFPB's company responses: relief is a resolution, an
/// explanation is not. Docs/metrics.md counts `resolved` from the first two only.
public enum CaseOutcome: String, Sendable, Codable, CaseIterable {
    /// An agreed refund or compensation, confirmed delivered.
    case monetaryRelief = "monetary_relief"
    /// An agreed reissue of the goods without money, confirmed delivered.
    case nonMonetaryRelief = "non_monetary_relief"
    /// The consumer accepted a reasoned rejection: the case ends, nothing was granted.
    case explanation
    /// Nobody accepted anything (the consumer let the time to answer run out), a failed mediation was
    /// not referred on, or an agreed outcome was never confirmed delivered.
    case unresolved

    /// The outcome of a case closed with `agreed` as what was agreed (`nil`: an accepted rejection).
    public static func of(agreed: Proposal?) -> CaseOutcome {
        guard let agreed, agreed.isRelief else { return .explanation }
        return (agreed.refund ?? 0) > 0 || (agreed.compensation ?? 0) > 0 ? .monetaryRelief : .nonMonetaryRelief
    }
}

/// Why a neutral party found a complaint invalid.
public enum InvalidReason: String, Sendable, Codable, CaseIterable {
    /// The same consumer's complaint about the same order is already there.
    case duplicate
    /// Against a platform or merchant that had nothing to do with the order.
    case wrongCompany = "wrong_company"
    /// No such order exists.
    case noSuchOrder = "no_such_order"
    /// Not filed by a consumer (a business dispute, a competitor, the platform's own staff).
    case notAConsumer = "not_a_consumer"
}

/// What a platform promised when a case was filed: its stage lengths in working days, never longer
/// than the operator's standard. Kept on the case, so that a later change of policy applies only to
/// complaints filed after it.
public struct PlatformPromise: Sendable, Equatable, Codable {
    public var responseDays: Int
    public var merchantResponseDays: Int
    public var fulfilmentDays: Int

    public init(responseDays: Int, merchantResponseDays: Int, fulfilmentDays: Int) {
        self.responseDays = responseDays
        self.merchantResponseDays = merchantResponseDays
        self.fulfilmentDays = fulfilmentDays
    }
}

/// The operator's standard deadlines in working days: the one yardstick every platform's first
/// response is measured against, and the longest a platform may promise.
public struct StandardDeadlines: Sendable, Equatable {
    /// The platform stage: the first response is on time when it comes within this many working
    /// days of filing, whatever the platform promised and whoever (merchant or platform) answers.
    public var responseDays: Int
    public var merchantResponseDays: Int
    public var fulfilmentDays: Int
    /// The consumer's time to accept, reject or escalate an answer before the case closes unresolved.
    public var consumerReplyDays: Int
    /// After the fulfilment deadline, the consumer's time to confirm or report a delivery before the
    /// case closes as delivered.
    public var confirmationDays: Int
    /// After a failed mediation, the consumer's time to record a referral before the case closes.
    public var referralDays: Int

    /// The longest any standard may be.
    public static let maximumDays = 30

    public init(
        responseDays: Int = 7, merchantResponseDays: Int = 3, fulfilmentDays: Int = 7, consumerReplyDays: Int = 10,
        confirmationDays: Int = 10, referralDays: Int = 20
    ) {
        self.responseDays = responseDays
        self.merchantResponseDays = merchantResponseDays
        self.fulfilmentDays = fulfilmentDays
        self.consumerReplyDays = consumerReplyDays
        self.confirmationDays = confirmationDays
        self.referralDays = referralDays
    }

    /// A platform's promise held to the standard: a longer one (stored before the standard
    /// existed) counts as the standard.
    public func limit(_ promise: PlatformPromise) -> PlatformPromise {
        PlatformPromise(
            responseDays: min(promise.responseDays, responseDays), merchantResponseDays: min(promise.merchantResponseDays, merchantResponseDays),
            fulfilmentDays: min(promise.fulfilmentDays, fulfilmentDays))
    }
}

public enum ReferralChannel: String, Sendable, Codable, CaseIterable {
    case twelve315 = "12315"
    case court
    case police
}

/// What the authority a case was referred to did, as the consumer records it.
public enum ReferralOutcome: String, Sendable, Codable, CaseIterable {
    /// The authority's mediation or ruling got the consumer relief.
    case resolved
    /// It handled the case without relief.
    case notResolved = "not_resolved"
    /// It did not take the case up.
    case declined
}

/// A complaint as the domain knows it.
public struct Complaint: Sendable, Equatable {
    public var id: UUID
    public var consumerID: UUID
    /// The consumer's display name when they filed: all the platform and merchant see of them.
    public var consumerName: String
    public var platformID: UUID
    public var merchantID: UUID?
    public var category: ComplaintCategory
    public var title: String
    public var description: String
    public var order: OrderFacts
    public var demands: [Demand]
    public var ultimatumDays: Int?
    public var ultimatumAt: Date?

    public var state: ComplaintState
    public var version: Int
    public var submittedAt: Date
    public var updatedAt: Date
    public var stageStartedAt: Date
    public var deadlineAt: Date?
    public var overdue = false
    public var overdueParty: String?
    public var merchantMissedDeadline = false
    public var platformMissedDeadline = false
    public var firstResponseAt: Date?
    public var firstResponseBy: CaseRelation?
    public var firstResponseDeadlineAt: Date?
    public var firstResponseOnTime: Bool?
    public var answeredBy: CaseRelation?
    public var answer: Answer?
    public var answerRejected = false
    public var mediationBodyID: UUID?
    public var escalatedAt: Date?
    public var triaged = false
    public var mediatorID: UUID?
    public var mediated = false
    public var settlement: Proposal?
    public var consumerAcceptedSettlement = false
    public var platformAcceptedSettlement = false
    public var agreedOutcome: Proposal?
    public var agreedRefund: Int?
    public var resolvedAt: Date?
    public var referralChannel: ReferralChannel?
    public var referralReference: String?
    /// The referral stays open until the consumer records its outcome.
    public var referralOutcome: ReferralOutcome?
    public var referralClosedAt: Date?
    public var rating: Int?
    public var ratingComment: String?
    public var closedAt: Date?
    /// The standard deadline of the first response (`StandardDeadlines.responseDays` after filing):
    /// the one every platform's on-time rate is measured against. `nil` only for cases filed before it.
    public var standardDeadlineAt: Date?
    /// Set by the deadline job once the standard deadline passed without a first response: from
    /// then on the case counts as due in the response rates.
    public var standardDeadlinePassed = false
    /// What the platform promised at filing (`nil` for cases filed before promises were kept).
    public var promise: PlatformPromise?
    public var invalidReason: InvalidReason?
    public var outcome: CaseOutcome?
    /// When the system ends the case if nobody moves it: the consumer's time to answer an answer, to
    /// confirm or report a delivery, to refer a failed mediation (`Lifecycle.closingStates`).
    public var closesAt: Date?
    public var unfulfilledReports = 0
    /// The earlier complaint this one re-files (its mediation failed, or its settlement never came).
    public var refiles: UUID?
    /// Where the consumer thinks the fault lies (at filing), and the mediator's finding.
    public var faultClaim: Fault?
    public var faultFinding: Fault?
    /// Holding replies from the seller's side (`acknowledge`): shown, never counted as an answer.
    public var acknowledgements = 0
    public var lastAcknowledgedAt: Date?
    /// The platform's own deadline while it has handed the case to its merchant: restored when the
    /// case comes back, so that the hand-off never buys the platform time.
    public var platformDeadlineHeldAt: Date?
    /// Who sent the case to mediation last: the consumer, the platform (disputing its validity) or
    /// the system (carrying out the consumer's ultimatum).
    public var escalatedBy: CaseRelation?
    /// The collective case it is part of (one problem, many consumers, one mediator and proposal).
    public var collectiveID: UUID?
    /// The local day the consumer rated the handling.
    public var ratedOn: LocalDate?
    /// When the consumer's name, texts and evidence were erased (on his request, or at the end of the
    /// retention period), and when the order's facts were anonymised too. Set by the store only.
    public var erasedAt: Date?
    public var anonymisedAt: Date?

    public init(
        id: UUID, consumerID: UUID, consumerName: String, platformID: UUID, merchantID: UUID?, category: ComplaintCategory, title: String,
        description: String, order: OrderFacts, demands: [Demand], ultimatumDays: Int?, state: ComplaintState, submittedAt: Date
    ) {
        self.id = id
        self.consumerID = consumerID
        self.consumerName = consumerName
        self.platformID = platformID
        self.merchantID = merchantID
        self.category = category
        self.title = title
        self.description = description
        self.order = order
        self.demands = demands
        self.ultimatumDays = ultimatumDays
        self.state = state
        self.version = 1
        self.submittedAt = submittedAt
        self.updatedAt = submittedAt
        self.stageStartedAt = submittedAt
    }

    /// The sum of the refund demands.
    public var refundClaimed: Int { Money.saturatingSum(demands.filter { $0.kind == .refund }.compactMap(\.amount)) }

    /// Whose deadline runs in a state.
    public static func party(responsibleIn state: ComplaintState) -> String? {
        switch state {
        case .awaitingMerchant: "merchant"
        case .awaitingPlatform: "platform"
        case .escalated, .inMediation: "mediation_body"
        case .resolutionAgreed: "platform"
        default: nil
        }
    }
}

/// Working days each stage lasts, from the platform's policy and the mediation body's.
public struct StagePolicy: Sendable, Equatable {
    public var merchantResponseDays: Int
    public var responseDays: Int
    public var triageDays: Int
    public var mediationDays: Int
    public var fulfilmentDays: Int
    /// The consumer's windows, from the operator's standard (`StandardDeadlines`).
    public var consumerReplyDays = 10
    public var confirmationDays = 10
    public var referralDays = 20

    public init(merchantResponseDays: Int = 3, responseDays: Int = 7, triageDays: Int = 3, mediationDays: Int = 15, fulfilmentDays: Int = 3) {
        self.merchantResponseDays = merchantResponseDays
        self.responseDays = responseDays
        self.triageDays = triageDays
        self.mediationDays = mediationDays
        self.fulfilmentDays = fulfilmentDays
    }

    /// The platform's part of the policy.
    public var promise: PlatformPromise {
        PlatformPromise(responseDays: responseDays, merchantResponseDays: merchantResponseDays, fulfilmentDays: fulfilmentDays)
    }

    /// The platform's stages from `promise`, held to the operator's standard.
    public mutating func keep(_ promise: PlatformPromise, within standard: StandardDeadlines) {
        let held = standard.limit(promise)
        responseDays = held.responseDays
        merchantResponseDays = held.merchantResponseDays
        fulfilmentDays = held.fulfilmentDays
        consumerReplyDays = standard.consumerReplyDays
        confirmationDays = standard.confirmationDays
        referralDays = standard.referralDays
    }

    public func workingDays(for state: ComplaintState) -> Int? {
        switch state {
        case .awaitingMerchant: merchantResponseDays
        case .awaitingPlatform: responseDays
        case .escalated: triageDays
        case .inMediation: mediationDays
        case .resolutionAgreed: fulfilmentDays
        default: nil
        }
    }
}
