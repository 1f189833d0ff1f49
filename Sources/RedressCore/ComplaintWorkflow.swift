import Foundation

/// What an action carries, already validated.
public enum ActionInput: Sendable, Equatable {
    case none
    case respond(Answer)
    case reason(String?)
    case escalate(mediationBodyID: UUID?, reason: String?)
    case triage(accept: Bool, reason: String?)
    case assign(mediatorID: UUID)
    case propose(Proposal)
    case refer(channel: ReferralChannel, reference: String?)
    case rate(rating: Int, comment: String?)
    case markInvalid(reason: InvalidReason, note: String?)
    /// The platform's ground for holding the complaint invalid, its explanation, and the body that
    /// rules on it (filled in from the platform's or the operator's default).
    case disputeValidity(ground: InvalidReason, note: String?, mediationBodyID: UUID?)
    /// The holding reply's text.
    case acknowledge(String)
    /// The consumer's ultimatum in working days from now.
    case ultimatum(days: Int)
    /// The mediator's finding of fault.
    case finding(Fault)
    /// The authority's case number, its outcome, or both.
    case referralRecord(reference: String?, outcome: ReferralOutcome?)

    /// `triage`'s decision, for the rule that needs it.
    public var decision: Bool? {
        if case .triage(let accept, _) = self { return accept }
        return nil
    }
}

/// Applies a transition rule to a complaint: the state, its stage's deadline, and what the action
/// records. Pure: the time, the calendar and the stage lengths come from the caller.
public enum ComplaintWorkflow {
    public struct Context: Sendable {
        public let now: Date
        public let calendar: WorkingCalendar
        public let policy: StagePolicy

        public init(now: Date, calendar: WorkingCalendar, policy: StagePolicy) {
            self.now = now
            self.calendar = calendar
            self.policy = policy
        }
    }

    /// The deadline of a stage that begins at `start`.
    public static func deadline(for state: ComplaintState, from start: Date, context: Context) -> Date? {
        context.policy.workingDays(for: state).map { context.calendar.deadline(workingDays: $0, after: start) }
    }

    public static func apply(
        _ rule: TransitionRule, input: ActionInput, to original: Complaint, relations: Set<CaseRelation>, context: Context
    ) -> Complaint {
        var complaint = original
        let now = context.now
        switch (rule.action, input) {
        case (.respond, .respond(let answer)):
            let by: CaseRelation = relations.contains(.merchant) ? .merchant : .platform
            if complaint.firstResponseAt == nil {
                complaint.firstResponseAt = now
                complaint.firstResponseBy = by
                // One yardstick: the standard deadline, whatever the platform promised and whoever answers.
                let yardstick = complaint.standardDeadlineAt ?? complaint.deadlineAt
                complaint.firstResponseDeadlineAt = yardstick
                complaint.firstResponseOnTime = yardstick.map { now <= $0 } ?? true
            }
            complaint.answeredBy = by
            complaint.answer = answer
            complaint.answerRejected = false
        case (.escalateToPlatform, _):
            // The merchant missed its deadline only when the system moves a case it never answered.
            if relations.contains(.system) && rule.from == .awaitingMerchant { complaint.merchantMissedDeadline = true }
            complaint.answeredBy = nil
            complaint.answer = nil
        case (.accept, _) where rule.from == .proposalMade && rule.to == .closed:
            // An accepted rejection: nothing agreed, nothing to deliver.
            complaint.outcome = .explanation
        case (.accept, _) where rule.from == .proposalMade:
            complaint.agreedOutcome = complaint.answer?.proposal
            complaint.agreedRefund = complaint.answer?.proposal?.refund
        case (.accept, _):
            if relations.contains(.consumer) { complaint.consumerAcceptedSettlement = true }
            if relations.contains(.platform) { complaint.platformAcceptedSettlement = true }
            if rule.to == .resolutionAgreed {
                complaint.agreedOutcome = complaint.settlement
                complaint.agreedRefund = complaint.settlement?.refund
            }
        case (.reject, _) where rule.from == .inMediation:
            complaint.settlement = nil
            complaint.consumerAcceptedSettlement = false
            complaint.platformAcceptedSettlement = false
        case (.reject, _):
            if rule.to == .awaitingPlatform {
                complaint.answeredBy = nil
                complaint.answer = nil
            } else {
                complaint.answerRejected = true
            }
        case (.escalate, .escalate(let body, _)), (.disputeValidity, .disputeValidity(_, _, let body)):
            if rule.to == .escalated {
                if let body { complaint.mediationBodyID = body }
                complaint.escalatedAt = now
                complaint.triaged = false
                complaint.mediatorID = nil
            }
        case (.triage, .triage(let accept, _)):
            if accept { complaint.triaged = true }
        case (.assign, .assign(let mediator)):
            complaint.mediatorID = mediator
            complaint.mediated = true
        case (.propose, .propose(let terms)):
            complaint.settlement = terms
            complaint.consumerAcceptedSettlement = false
            complaint.platformAcceptedSettlement = false
        case (.refer, .refer(let channel, let reference)):
            complaint.referralChannel = channel
            complaint.referralReference = reference
        case (.confirmFulfilment, _):
            complaint.resolvedAt = now
            complaint.outcome = CaseOutcome.of(agreed: complaint.agreedOutcome)
        case (.markInvalid, .markInvalid(let reason, _)):
            complaint.invalidReason = reason
        case (.close, _):
            // Nobody accepted anything, or the consumer never confirmed the delivery: no relief counts.
            complaint.outcome = .unresolved
        case (.reportUnfulfilled, _):
            complaint.unfulfilledReports += 1
            if case .escalate(let body?, _) = input, rule.to == .escalated { complaint.mediationBodyID = body }
            if rule.to == .escalated {
                complaint.escalatedAt = now
                complaint.triaged = false
                complaint.mediatorID = nil
            }
        case (.acknowledge, _):
            // Not an answer: no first response, the same deadline.
            complaint.acknowledgements += 1
            complaint.lastAcknowledgedAt = now
        case (.recordReferral, .referralRecord(let reference, let outcome)):
            if let reference, complaint.referralReference == nil { complaint.referralReference = reference }
            if let outcome {
                complaint.referralOutcome = outcome
                complaint.referralClosedAt = now
            }
        case (.recordFinding, .finding(let fault)):
            complaint.faultFinding = fault
        case (.setUltimatum, .ultimatum(let days)):
            complaint.ultimatumDays = days
            complaint.ultimatumAt = context.calendar.deadline(workingDays: days, after: now)
            // On an answer, the case may not close before the ultimatum (and its grace) could act.
            if complaint.state == .proposalMade, let closes = complaint.closesAt {
                complaint.closesAt = max(closes, closingTime(of: complaint, context: context) ?? closes)
            }
        case (.rate, .rate(let rating, let comment)):
            complaint.rating = rating
            complaint.ratingComment = comment
            complaint.ratedOn = context.calendar.localDate(of: now)
        default:
            break
        }
        if rule.to == .resolutionAgreed {
            complaint.settlement = nil
        }
        if rule.to != rule.from {
            // A new stage: its own deadline, nobody overdue yet.
            complaint.state = rule.to
            complaint.stageStartedAt = now
            if rule.to == .escalated {
                complaint.escalatedBy = relations.contains(.system) ? .system : relations.contains(.consumer) ? .consumer : .platform
            }
            complaint.deadlineAt = deadline(for: rule.to, from: now, context: context)
            // A platform that hears its merchants first still owes the first answer by the standard
            // deadline: the merchant's stage does not lengthen the consumer's wait.
            if rule.to == .awaitingPlatform, complaint.firstResponseAt == nil, complaint.platformDeadlineHeldAt == nil,
                let standard = complaint.standardDeadlineAt,
                let stage = complaint.deadlineAt, standard < stage
            {
                // At least a working day, should the standard deadline be (nearly) gone already.
                complaint.deadlineAt = max(standard, context.calendar.deadline(workingDays: 1, after: now))
            }
            complaint.overdue = false
            complaint.overdueParty = nil
            // Handed to the merchant, the case keeps the platform's time: never a later deadline, and,
            // should it come back unanswered, the platform's own deadline again (the deadline job marks
            // it overdue if that has passed). An answer the merchant gave in time was the first
            // answer: the platform then reviews it in a stage of its own, as without a hand-off.
            if rule.action == .handToMerchant, let platformDeadline = original.deadlineAt {
                complaint.platformDeadlineHeldAt = platformDeadline
                if let merchant = complaint.deadlineAt, merchant > platformDeadline { complaint.deadlineAt = platformDeadline }
            }
            if rule.to == .awaitingPlatform, let held = complaint.platformDeadlineHeldAt {
                complaint.platformDeadlineHeldAt = nil
                if complaint.firstResponseAt == nil { complaint.deadlineAt = held }
            }
            complaint.closesAt = closingTime(of: complaint, context: context)
            if rule.to.isTerminal { complaint.closedAt = now }
        }
        complaint.version += 1
        complaint.updatedAt = now
        return complaint
    }

    /// When the system ends a case that just entered its state, if nobody moves it (unresolved, all
    /// three): an answer after the consumer's time to reply (counted from the consumer's ultimatum
    /// and its grace, which act first); an agreed outcome once the fulfilment deadline and the
    /// consumer's time to confirm have passed unconfirmed; a failed mediation after the time to refer it.
    static func closingTime(of complaint: Complaint, context: Context) -> Date? {
        let policy = context.policy, calendar = context.calendar, now = context.now
        switch complaint.state {
        case .proposalMade:
            // With an ultimatum, not before it (and the answer's grace) could act: it acts first, and
            // the closing time remains should it have nowhere to escalate to.
            let start = max(now, complaint.ultimatumAt.map { $0.addingTimeInterval(Lifecycle.answerGrace) } ?? now)
            return calendar.deadline(workingDays: policy.consumerReplyDays, after: start)
        case .resolutionAgreed:
            return calendar.deadline(workingDays: policy.fulfilmentDays + policy.confirmationDays, after: now)
        case .mediationFailed:
            return calendar.deadline(workingDays: policy.referralDays, after: now)
        default:
            return nil
        }
    }

    /// Marks the standard deadline passed without a first response: the case is due in the response
    /// rates from now on (it was not, while the platform still had time).
    public static func markStandardDeadlinePassed(_ original: Complaint, now: Date) -> Complaint {
        var complaint = original
        complaint.standardDeadlinePassed = true
        complaint.version += 1
        complaint.updatedAt = now
        return complaint
    }

    /// Marks a missed deadline: the case is overdue for the party whose deadline it was, and a missed
    /// first answer is remembered for the statistics.
    public static func markOverdue(_ original: Complaint, now: Date) -> Complaint {
        var complaint = original
        complaint.overdue = true
        complaint.overdueParty = Complaint.party(responsibleIn: complaint.state)
        switch complaint.state {
        case .awaitingMerchant: complaint.merchantMissedDeadline = true
        case .awaitingPlatform: complaint.platformMissedDeadline = true
        default: break
        }
        complaint.version += 1
        complaint.updatedAt = now
        return complaint
    }

    /// The channels recommended for a referral (Docs/lifecycle.md): 12315 always; once the case has been
    /// before a mediator or its mediation failed (before that, `refer` takes 12315 only), a court when
    /// more than 5,000 CNY is in dispute or fraud is suspected, and the police when fraud is suspected.
    public static func recommendedChannels(for complaint: Complaint, fraudSuspected: Bool) -> [ReferralChannel] {
        let pastMediation = complaint.mediated || complaint.state == .mediationFailed
            || complaint.referralChannel.map { $0 != .twelve315 } == true
        guard pastMediation else { return [.twelve315] }
        let compensation = Money.saturatingSum(complaint.demands.filter { $0.kind == .compensation }.compactMap(\.amount))
        let inDispute = max(Money.saturatingAdd(complaint.refundClaimed, compensation), complaint.order.amountPaid)
        var channels: [ReferralChannel] = [.twelve315]
        if inDispute > 500_000 || fraudSuspected { channels.append(.court) }
        if fraudSuspected { channels.append(.police) }
        return channels
    }

    /// Fraud is suspected when goods were never delivered and the seller stopped answering: the case
    /// is about non-delivery and no answer ever came.
    public static func fraudSuspected(_ complaint: Complaint) -> Bool {
        complaint.category == .nonDelivery && complaint.firstResponseAt == nil
            && (complaint.merchantMissedDeadline || complaint.platformMissedDeadline)
    }
}
