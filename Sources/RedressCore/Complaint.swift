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
}

/// An answer in the merchant or platform stage: a proposal, or a rejection with reasons.
public struct Answer: Sendable, Equatable, Codable {
    public enum Decision: String, Sendable, Codable {
        case propose, reject
    }
    public var decision: Decision
    public var proposal: Proposal?
    public var reason: String?

    public init(decision: Decision, proposal: Proposal?, reason: String?) {
        self.decision = decision
        self.proposal = proposal
        self.reason = reason
    }
}

public enum ReferralChannel: String, Sendable, Codable, CaseIterable {
    case twelve315 = "12315"
    case court
    case police
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
    public var rating: Int?
    public var ratingComment: String?
    public var closedAt: Date?

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

    public init(merchantResponseDays: Int = 3, responseDays: Int = 7, triageDays: Int = 3, mediationDays: Int = 15, fulfilmentDays: Int = 3) {
        self.merchantResponseDays = merchantResponseDays
        self.responseDays = responseDays
        self.triageDays = triageDays
        self.mediationDays = mediationDays
        self.fulfilmentDays = fulfilmentDays
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
