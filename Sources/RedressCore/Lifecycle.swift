import Foundation

/// The states of a complaint (Docs/lifecycle.md). The raw values are part of the API.
public enum ComplaintState: String, Sendable, Codable, CaseIterable {
    case awaitingMerchant = "awaiting_merchant"
    case awaitingPlatform = "awaiting_platform"
    case proposalMade = "proposal_made"
    case escalated
    case inMediation = "in_mediation"
    case resolutionAgreed = "resolution_agreed"
    case closedResolved = "closed_resolved"
    case mediationFailed = "mediation_failed"
    case referred
    case withdrawn
    /// A neutral party (the mediation body) found it is not a valid complaint: a duplicate, against the
    /// wrong company, about no such order, or not by a consumer. It leaves the platform's rates.
    case invalid
    /// Ended without relief: the consumer accepted a reasoned rejection (`outcome` `explanation`), or
    /// the closing time passed with nothing accepted or no delivery confirmed (`unresolved`).
    case closed

    public var isTerminal: Bool { [.closedResolved, .referred, .withdrawn, .invalid, .closed].contains(self) }
}

/// What can be done to a complaint, as `POST /complaints/{id}/actions/{action}`.
public enum ComplaintAction: String, Sendable, Codable, CaseIterable {
    case respond
    case escalateToPlatform = "escalate_to_platform"
    case accept
    case reject
    case escalate
    case triage
    case assign
    case propose
    case fail
    case refer
    case confirmFulfilment = "confirm_fulfilment"
    case reportUnfulfilled = "report_unfulfilled"
    case withdraw
    case rate
    case markInvalid = "mark_invalid"
    /// The system ends a case nobody moved by its closing time (`closes_at`).
    case close
    /// The platform, having rejected the complaint, asks the mediation body to rule that it is not a
    /// valid one (`mark_invalid`): the only way a platform reaches the neutral party itself.
    case disputeValidity = "dispute_validity"
    /// A holding reply ("系统升级", "人工审核中", "正在核实"): recorded and shown to everyone, but not an
    /// answer — the case stays where it is, with the same deadline, and no figure counts it as a response.
    case acknowledge
    /// The platform hands a case to the merchant it names, when its rules have the merchant answer first
    /// (once, before anyone answered: the consumer's wait is still measured from filing).
    case handToMerchant = "hand_to_merchant"
    /// The consumer records what became of a referral: the authority's case number, then its outcome.
    case recordReferral = "record_referral"
    /// The mediator records where the fault lies (`Fault`), once the case was mediated.
    case recordFinding = "record_finding"
    /// The consumer sets an ultimatum, or brings one forward, in the platform stage (waiting on the
    /// platform, or with the platform's answer on the table).
    case setUltimatum = "set_ultimatum"
}

/// How an actor stands to one complaint. One actor may hold several relations (a mediation lead who
/// assigned the case to themself is lead, body member and assigned mediator).
public enum CaseRelation: String, Sendable, CaseIterable {
    /// The consumer who filed it.
    case consumer
    /// Staff of the merchant it names.
    case merchant
    /// Staff of the platform it is against.
    case platform
    /// A mediator or lead of the body it was escalated to.
    case mediationBody = "mediation_body"
    /// The lead of that body.
    case mediationLead = "mediation_lead"
    /// The mediator assigned to it.
    case assignedMediator = "assigned_mediator"
    /// The deadline job, acting on missed deadlines and ultimatums.
    case system
}

/// A fact about a case that some transitions require.
public enum TransitionCondition: String, Sendable, CaseIterable {
    /// The current stage's deadline has passed.
    case deadlinePassed = "deadline_passed"
    /// The consumer rejected the platform's answer.
    case answerRejected = "answer_rejected"
    case answeredByMerchant = "answered_by_merchant"
    /// The answer on the table offers relief (a refund, compensation or a reissue).
    case answerOffersRelief = "answer_offers_relief"
    /// The answer on the table is a reasoned rejection.
    case answerIsRejection = "answer_is_rejection"
    case answeredByPlatform = "answered_by_platform"
    case triaged
    case notTriaged = "not_triaged"
    case settlementPending = "settlement_pending"
    /// A settlement is pending and the other side (consumer or platform) has already accepted it.
    case otherSideAccepted = "other_side_accepted"
    case mediatedBefore = "mediated_before"
    case notMediatedBefore = "not_mediated_before"
    case notRated = "not_rated"
    /// The case's closing time (`closes_at`) has passed.
    case closingTimeReached = "closing_time_reached"
    /// The answer on the table has been there for the grace period at least, so that the consumer
    /// could read it before an ultimatum moves the case on.
    case answerGraceOver = "answer_grace_over"
    /// The consumer has reported a broken settlement fewer times than the limit.
    case reportsLeft = "reports_left"
    case noReportsLeft = "no_reports_left"
    /// The current stage's deadline has not passed.
    case deadlineAhead = "deadline_ahead"
    /// The case names a merchant.
    case merchantNamed = "merchant_named"
    /// The case has not left the stage it was filed into.
    case firstStage = "first_stage"
    /// A referral whose outcome the consumer has not recorded yet.
    case referralOpen = "referral_open"
    /// The system sent the case to mediation, carrying out the consumer's ultimatum.
    case escalatedBySystem = "escalated_by_system"
    /// For `triage`: the body's decision.
    case decisionAccept = "decision_accept"
    case decisionDecline = "decision_decline"
}

/// One row of the transition table: in `from`, `actors` may do `action` when every condition holds,
/// and the case moves to `to`.
public struct TransitionRule: Sendable, Equatable {
    public let action: ComplaintAction
    public let from: ComplaintState
    public let actors: Set<CaseRelation>
    public let conditions: Set<TransitionCondition>
    public let to: ComplaintState

    init(_ action: ComplaintAction, _ from: ComplaintState, _ actors: Set<CaseRelation>, _ to: ComplaintState, when conditions: Set<TransitionCondition> = []) {
        self.action = action
        self.from = from
        self.actors = actors
        self.conditions = conditions
        self.to = to
    }
}

/// What the transition rules need to know about one case.
public struct CaseFacts: Sendable, Equatable {
    public var state: ComplaintState
    public var deadlinePassed: Bool
    /// Who gave the answer the case is waiting on in `proposal_made`.
    public var answeredBy: CaseRelation?
    /// Whether that answer offers relief (otherwise it is a rejection).
    public var answerOffersRelief: Bool
    public var answerRejected: Bool
    public var triaged: Bool
    public var settlementPending: Bool
    public var consumerAcceptedSettlement: Bool
    public var platformAcceptedSettlement: Bool
    public var mediatedBefore: Bool
    public var rated: Bool
    public var closingTimeReached: Bool
    public var answerGraceOver: Bool
    public var unfulfilledReports: Int
    public var merchantNamed: Bool
    public var firstStage: Bool
    public var referralOpen: Bool
    public var escalatedBySystem: Bool

    public init(
        state: ComplaintState, deadlinePassed: Bool = false, answeredBy: CaseRelation? = nil, answerOffersRelief: Bool = true,
        answerRejected: Bool = false,
        triaged: Bool = false, settlementPending: Bool = false, consumerAcceptedSettlement: Bool = false,
        platformAcceptedSettlement: Bool = false, mediatedBefore: Bool = false, rated: Bool = false, closingTimeReached: Bool = false,
        answerGraceOver: Bool = true, unfulfilledReports: Int = 0, merchantNamed: Bool = false, firstStage: Bool = false,
        referralOpen: Bool = false, escalatedBySystem: Bool = false
    ) {
        self.state = state
        self.deadlinePassed = deadlinePassed
        self.answeredBy = answeredBy
        self.answerOffersRelief = answerOffersRelief
        self.answerRejected = answerRejected
        self.triaged = triaged
        self.settlementPending = settlementPending
        self.consumerAcceptedSettlement = consumerAcceptedSettlement
        self.platformAcceptedSettlement = platformAcceptedSettlement
        self.mediatedBefore = mediatedBefore
        self.rated = rated
        self.closingTimeReached = closingTimeReached
        self.answerGraceOver = answerGraceOver
        self.unfulfilledReports = unfulfilledReports
        self.merchantNamed = merchantNamed
        self.firstStage = firstStage
        self.referralOpen = referralOpen
        self.escalatedBySystem = escalatedBySystem
    }
}

/// The complaint lifecycle as one table. The API, the database's list of legal state changes and
/// Docs/lifecycle.md all come from it (tests hold them to it).
public enum Lifecycle {
    /// The states a case can still move from (every one but the terminal ones).
    public static let open: [ComplaintState] = ComplaintState.allCases.filter { !$0.isTerminal }
    public static let terminal: [ComplaintState] = ComplaintState.allCases.filter(\.isTerminal)

    /// How long an answer stays on the table before a consumer's ultimatum moves the case on: an
    /// answer that arrives at the last moment is not escalated before the consumer can accept it.
    public static let answerGrace: TimeInterval = 48 * 3600

    /// How often a consumer may report an agreed outcome as not delivered: the third report ends the
    /// mediation as failed (the consumer then refers the case outward) instead of looping.
    public static let unfulfilledReportLimit = 2

    /// The states the system closes by themselves at `closes_at` when nobody moves them.
    public static let closingStates: [ComplaintState] = ComplaintState.allCases.filter { state in
        rules.contains { $0.action == .close && $0.from == state }
    }
    /// The state a new case starts in: with its merchant first, when its platform hears merchants
    /// first and the consumer named one; otherwise with the platform.
    public static func initialState(merchantFirst: Bool, merchantNamed: Bool) -> ComplaintState {
        merchantFirst && merchantNamed ? .awaitingMerchant : .awaitingPlatform
    }

    /// Every state a new case can start in.
    public static let initialStates: [ComplaintState] = [
        initialState(merchantFirst: true, merchantNamed: true), initialState(merchantFirst: false, merchantNamed: false),
    ]

    /// The states whose stage runs against a deadline, which the deadline job marks overdue when missed.
    public static let deadlineStates: [ComplaintState] = ComplaintState.allCases.filter { Complaint.party(responsibleIn: $0) != nil }

    /// The states in which a consumer's ultimatum is carried out: those the system may escalate from.
    public static let ultimatumStates: [ComplaintState] = ComplaintState.allCases.filter { state in
        rules.contains { $0.action == .escalate && $0.from == state && $0.actors.contains(.system) }
    }

    /// The rules by the state they leave, in their order: every case a list shows asks which actions
    /// its caller may take, and a state has a few rules of the whole table.
    static let rulesByState: [ComplaintState: [TransitionRule]] = Dictionary(grouping: rules, by: \.from)

    public static let rules: [TransitionRule] = [
        // The merchant stage.
        TransitionRule(.respond, .awaitingMerchant, [.merchant, .platform], .proposalMade),
        TransitionRule(.acknowledge, .awaitingMerchant, [.merchant, .platform], .awaitingMerchant),
        TransitionRule(.escalateToPlatform, .awaitingMerchant, [.consumer], .awaitingPlatform),
        TransitionRule(.escalateToPlatform, .awaitingMerchant, [.system], .awaitingPlatform, when: [.deadlinePassed]),
        // The platform stage.
        TransitionRule(.respond, .awaitingPlatform, [.platform], .proposalMade),
        TransitionRule(.acknowledge, .awaitingPlatform, [.platform], .awaitingPlatform),
        TransitionRule(.setUltimatum, .awaitingPlatform, [.consumer], .awaitingPlatform),
        TransitionRule(.escalate, .awaitingPlatform, [.consumer, .system], .escalated, when: [.deadlinePassed]),
        // Within the platform's own time only, and the merchant's deadline never later than the platform's.
        TransitionRule(.handToMerchant, .awaitingPlatform, [.platform], .awaitingMerchant, when: [.merchantNamed, .firstStage, .deadlineAhead]),
        // Straight to 12315 once the platform had its chance and failed: silent past its deadline, or an
        // answer the consumer rejected, or a rejection (Docs/lifecycle.md: only to 12315 from here).
        TransitionRule(.refer, .awaitingPlatform, [.consumer], .referred, when: [.deadlinePassed]),
        // An answer is on the table. Accepting relief waits for it to be delivered; accepting a
        // rejection ends the case with the explanation (an outcome, not a resolution).
        TransitionRule(.accept, .proposalMade, [.consumer], .resolutionAgreed, when: [.answerOffersRelief]),
        TransitionRule(.accept, .proposalMade, [.consumer], .closed, when: [.answerIsRejection]),
        TransitionRule(.reject, .proposalMade, [.consumer], .awaitingPlatform, when: [.answeredByMerchant]),
        TransitionRule(.escalateToPlatform, .proposalMade, [.consumer], .awaitingPlatform, when: [.answeredByMerchant]),
        TransitionRule(.reject, .proposalMade, [.consumer], .proposalMade, when: [.answeredByPlatform]),
        TransitionRule(.setUltimatum, .proposalMade, [.consumer], .proposalMade),
        TransitionRule(.escalate, .proposalMade, [.consumer], .escalated, when: [.answeredByPlatform, .answerRejected]),
        // After the answer's grace, so that the platform can still ask the mediation body to rule a
        // complaint invalid before it leaves for 12315.
        TransitionRule(.refer, .proposalMade, [.consumer], .referred, when: [.answeredByPlatform, .answerRejected, .answerGraceOver]),
        TransitionRule(.refer, .proposalMade, [.consumer], .referred, when: [.answeredByPlatform, .answerIsRejection, .answerGraceOver]),
        // The platform rejected the complaint as invalid: the mediation body rules on it. Only a
        // rejection: an offer on the table is the consumer's to accept.
        TransitionRule(.disputeValidity, .proposalMade, [.platform], .escalated, when: [.answeredByPlatform, .answerIsRejection]),
        // A consumer's ultimatum expired without an accepted answer (once the answer has been on the
        // table for the grace period): the platform's goes to mediation, the merchant's to the platform.
        TransitionRule(.escalate, .proposalMade, [.system], .escalated, when: [.answeredByPlatform, .answerGraceOver]),
        TransitionRule(.escalateToPlatform, .proposalMade, [.system], .awaitingPlatform, when: [.answeredByMerchant, .answerGraceOver]),
        // Nobody answered the answer by the closing time: the case ends unresolved.
        TransitionRule(.close, .proposalMade, [.system], .closed, when: [.closingTimeReached]),
        // Mediation.
        TransitionRule(.triage, .escalated, [.mediationBody], .escalated, when: [.decisionAccept, .notTriaged]),
        TransitionRule(.triage, .escalated, [.mediationBody], .mediationFailed, when: [.decisionDecline, .notTriaged]),
        // Once the body accepted the case, only its lead may decline it after all.
        TransitionRule(.triage, .escalated, [.mediationLead], .mediationFailed, when: [.decisionDecline, .triaged]),
        TransitionRule(.assign, .escalated, [.mediationLead], .inMediation, when: [.triaged]),
        TransitionRule(.assign, .inMediation, [.mediationLead], .inMediation),
        TransitionRule(.propose, .inMediation, [.assignedMediator, .mediationLead], .inMediation),
        TransitionRule(.accept, .inMediation, [.consumer, .platform], .resolutionAgreed, when: [.settlementPending, .otherSideAccepted]),
        TransitionRule(.accept, .inMediation, [.consumer, .platform], .inMediation, when: [.settlementPending]),
        TransitionRule(.reject, .inMediation, [.consumer, .platform], .inMediation, when: [.settlementPending]),
        TransitionRule(.fail, .inMediation, [.assignedMediator, .mediationLead], .mediationFailed),
        // Who was responsible, as the mediator finds (also after an agreement or a failed mediation).
        TransitionRule(.recordFinding, .inMediation, [.assignedMediator, .mediationLead], .inMediation),
        TransitionRule(.recordFinding, .resolutionAgreed, [.assignedMediator, .mediationLead], .resolutionAgreed, when: [.mediatedBefore]),
        TransitionRule(.recordFinding, .mediationFailed, [.assignedMediator, .mediationLead], .mediationFailed, when: [.mediatedBefore]),
        // Not a valid complaint, as the neutral party finds: whoever may triage it, then the lead
        // or the assigned mediator.
        TransitionRule(.markInvalid, .escalated, [.mediationBody], .invalid, when: [.notTriaged]),
        TransitionRule(.markInvalid, .escalated, [.mediationLead], .invalid, when: [.triaged]),
        TransitionRule(.markInvalid, .inMediation, [.assignedMediator, .mediationLead], .invalid),
        // An ultimatum says "or I go to 12315": when the system carried it out by sending the case to
        // mediation, the consumer may still take it to 12315 instead, until the body takes it up.
        TransitionRule(.refer, .escalated, [.consumer], .referred, when: [.escalatedBySystem, .notTriaged]),
        // Outward.
        TransitionRule(.refer, .mediationFailed, [.consumer], .referred),
        TransitionRule(.recordReferral, .referred, [.consumer], .referred, when: [.referralOpen]),
        TransitionRule(.close, .mediationFailed, [.system], .closed, when: [.closingTimeReached]),
        // Fulfilment.
        TransitionRule(.confirmFulfilment, .resolutionAgreed, [.consumer], .closedResolved),
        // Not delivered: once the fulfilment deadline has passed, a limited number of times.
        TransitionRule(.reportUnfulfilled, .resolutionAgreed, [.consumer], .inMediation, when: [.deadlinePassed, .reportsLeft, .mediatedBefore]),
        TransitionRule(.reportUnfulfilled, .resolutionAgreed, [.consumer], .escalated, when: [.deadlinePassed, .reportsLeft, .notMediatedBefore]),
        TransitionRule(.reportUnfulfilled, .resolutionAgreed, [.consumer], .mediationFailed, when: [.deadlinePassed, .noReportsLeft]),
        // The consumer neither confirmed nor reported by the closing time: closed, unconfirmed (relief
        // counts only once the consumer says it came).
        TransitionRule(.close, .resolutionAgreed, [.system], .closed, when: [.closingTimeReached]),
        // After closing.
        TransitionRule(.rate, .closedResolved, [.consumer], .closedResolved, when: [.notRated]),
        TransitionRule(.rate, .referred, [.consumer], .referred, when: [.notRated]),
        TransitionRule(.rate, .closed, [.consumer], .closed, when: [.notRated]),
    ] + open.map { TransitionRule(.withdraw, $0, [.consumer], .withdrawn) }

    /// The outcome of asking for an action.
    public enum Decision: Sendable, Equatable {
        case allowed(TransitionRule)
        /// Nobody with the actor's relations may do this now; `allowed` lists what they may do.
        case notNow(allowed: [ComplaintAction])
        /// The action exists in this state, but not for this actor.
        case notYours
        /// The action fits the state and the actor, but a condition is not met.
        case conditionUnmet(TransitionCondition)
    }

    /// Finds the rule that applies. `decision` is `triage`'s accept (`true`) or decline (`false`).
    public static func decide(
        _ action: ComplaintAction, by relations: Set<CaseRelation>, facts: CaseFacts, decision: Bool? = nil
    ) -> Decision {
        let candidates = rules.filter { $0.action == action && $0.from == facts.state }
        guard !candidates.isEmpty else { return .notNow(allowed: allowedActions(for: relations, facts: facts)) }
        let mine = candidates.filter { !$0.actors.isDisjoint(with: relations) }
        guard !mine.isEmpty else { return .notYours }
        for rule in mine where rule.conditions.allSatisfy({ holds($0, relations: relations, facts: facts, decision: decision) }) {
            return .allowed(rule)
        }
        // Possible now, but for someone else (a mediator declining a case the lead accepted): the
        // action is not the caller's, whatever its own rules would have needed.
        let othersNow = candidates.filter { $0.actors.isDisjoint(with: relations) && !$0.actors.contains(.system) }.contains { rule in
            rule.conditions.allSatisfy { holds($0, relations: rule.actors, facts: facts, decision: decision) }
        }
        if othersNow { return .notYours }
        // Report the first unmet condition of the first rule: the rules are ordered so that it is
        // the one that explains the refusal best.
        let unmet = mine[0].conditions.sorted { $0.rawValue < $1.rawValue }
            .first { !holds($0, relations: relations, facts: facts, decision: decision) }
        return .conditionUnmet(unmet ?? .deadlinePassed)
    }

    /// Every action the actor may take now (for `triage`, if either decision is possible).
    public static func allowedActions(for relations: Set<CaseRelation>, facts: CaseFacts) -> [ComplaintAction] {
        let actions = (rulesByState[facts.state] ?? []).filter { rule in
            !rule.actors.isDisjoint(with: relations)
                && rule.conditions.allSatisfy { condition in
                    condition == .decisionAccept || condition == .decisionDecline
                        || holds(condition, relations: relations, facts: facts, decision: nil)
                }
        }.map(\.action)
        return ComplaintAction.allCases.filter(actions.contains)
    }

    static func holds(_ condition: TransitionCondition, relations: Set<CaseRelation>, facts: CaseFacts, decision: Bool?) -> Bool {
        switch condition {
        case .deadlinePassed: facts.deadlinePassed
        case .answerRejected: facts.answerRejected
        case .answeredByMerchant: facts.answeredBy == .merchant
        case .answeredByPlatform: facts.answeredBy == .platform
        case .answerOffersRelief: facts.answerOffersRelief
        case .answerIsRejection: !facts.answerOffersRelief
        case .triaged: facts.triaged
        case .notTriaged: !facts.triaged
        case .settlementPending: facts.settlementPending
        case .otherSideAccepted:
            relations.contains(.consumer) ? facts.platformAcceptedSettlement : facts.consumerAcceptedSettlement
        case .mediatedBefore: facts.mediatedBefore
        case .notMediatedBefore: !facts.mediatedBefore
        case .notRated: !facts.rated
        case .closingTimeReached: facts.closingTimeReached
        case .answerGraceOver: facts.answerGraceOver
        case .deadlineAhead: !facts.deadlinePassed
        case .merchantNamed: facts.merchantNamed
        case .firstStage: facts.firstStage
        case .referralOpen: facts.referralOpen
        case .escalatedBySystem: facts.escalatedBySystem
        case .reportsLeft: facts.unfulfilledReports < unfulfilledReportLimit
        case .noReportsLeft: facts.unfulfilledReports >= unfulfilledReportLimit
        case .decisionAccept: decision == true
        case .decisionDecline: decision == false
        }
    }

    /// Every (from, to) pair the table allows: the database refuses any other change of state.
    public static var legalStateChanges: Set<String> {
        Set(rules.map { "\($0.from.rawValue)>\($0.to.rawValue)" })
    }
}
