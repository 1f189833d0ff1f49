import Foundation

/// How a principal stands to one case, and what the lifecycle lets it do there: the one place every
/// controller, the deadline job and the readiness check ask. Row-level security (`redress_may_see_complaint`)
/// decides the same question in the database; the case-visibility matrix holds the two together.
public struct CaseAccess: Sendable, Equatable {
    /// The roles the actor plays in the case; empty for a stranger to it.
    public let relations: Set<CaseRelation>
    /// The facts the lifecycle's rules read, at the moment of the request.
    public let facts: CaseFacts

    public init(_ actor: Actor, to complaint: Complaint, now: Date) {
        relations = Self.relations(of: actor, to: complaint)
        facts = complaint.facts(at: now)
    }

    /// A party to the case (not merely someone who may read it, as an auditor may).
    public var isParty: Bool { !relations.isEmpty }

    /// The actions the actor may take now.
    public var allowedActions: [ComplaintAction] { Lifecycle.allowedActions(for: relations, facts: facts) }

    /// The lifecycle's answer to the actor taking `action`.
    public func decide(_ action: ComplaintAction, decision: Bool? = nil) -> Lifecycle.Decision {
        Lifecycle.decide(action, by: relations, facts: facts, decision: decision)
    }

    public static func relations(of actor: Actor, to complaint: Complaint) -> Set<CaseRelation> {
        var relations: Set<CaseRelation> = []
        if actor.role == .consumer && actor.accountID == complaint.consumerID { relations.insert(.consumer) }
        if [.platformStaff, .platformAdmin].contains(actor.role) && actor.organizationID == complaint.platformID { relations.insert(.platform) }
        if actor.role == .merchantStaff, let merchant = complaint.merchantID, actor.organizationID == merchant { relations.insert(.merchant) }
        if [.mediator, .mediationLead].contains(actor.role), let body = complaint.mediationBodyID, actor.organizationID == body {
            relations.insert(.mediationBody)
            if actor.role == .mediationLead { relations.insert(.mediationLead) }
            if complaint.mediatorID == actor.accountID { relations.insert(.assignedMediator) }
        }
        return relations
    }
}

extension Complaint {
    /// Whether the current stage's deadline has passed at `now`: as soon as it has, even before the
    /// deadline job marked the case overdue.
    public func isPastDeadline(at now: Date) -> Bool {
        overdue || (deadlineAt.map { $0 < now } ?? false)
    }

    /// The facts the lifecycle's rules read, at `now`.
    public func facts(at now: Date) -> CaseFacts {
        CaseFacts(
            state: state, deadlinePassed: isPastDeadline(at: now), answeredBy: answeredBy,
            answerOffersRelief: answer?.offersRelief ?? false, answerRejected: answerRejected, triaged: triaged,
            settlementPending: settlement != nil, consumerAcceptedSettlement: consumerAcceptedSettlement,
            platformAcceptedSettlement: platformAcceptedSettlement, mediatedBefore: mediated, rated: rating != nil,
            closingTimeReached: closesAt.map { $0 <= now } ?? false,
            answerGraceOver: now.timeIntervalSince(stageStartedAt) >= Lifecycle.answerGrace, unfulfilledReports: unfulfilledReports,
            merchantNamed: merchantID != nil, firstStage: stageStartedAt == submittedAt,
            referralOpen: referralChannel != nil && referralOutcome == nil, escalatedBySystem: escalatedBy == .system)
    }
}
