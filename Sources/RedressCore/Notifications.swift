import Foundation

/// The kinds of mail a person can choose to receive; mails about one's account are always sent.
public enum MailCategory: String, Sendable, CaseIterable, Codable {
    /// A consumer's case answered, a proposal, a decision, the outcome; a party's case moved on.
    case caseProgress = "case_progress"
    /// A deadline of one's own approaching or missed.
    case deadlines
    /// A new complaint for a platform or merchant; a new case in a mediation body's triage.
    case newCases = "new_cases"
    /// A case assigned to a mediator.
    case assignments
    /// A new message in a case's thread.
    case messages
}

/// Who of a case's parties hears of an event by mail.
public enum MailAudience: String, Sendable, CaseIterable {
    case consumer, platform, merchant, mediationBody = "mediation_body", assignedMediator = "assigned_mediator"
}

/// Which events are mailed to whom: the rule table of the notifier (Docs/integrations.md).
public enum NotificationRules {
    public struct Rule: Sendable, Equatable {
        public let audience: MailAudience
        public let category: MailCategory
    }

    public static func rules(for type: String, state: ComplaintState?) -> [Rule] {
        func to(_ audiences: MailAudience..., as category: MailCategory) -> [Rule] { audiences.map { Rule(audience: $0, category: category) } }
        switch type {
        case "complaint.submit":
            return to(state == .awaitingMerchant ? .merchant : .platform, as: .newCases)
        case "complaint.escalate_to_platform":
            return to(.platform, as: .newCases)
        case "complaint.respond", "complaint.triage":
            return to(.consumer, as: .caseProgress)
        case "complaint.dispute_validity":
            // The platform asks the mediation body to rule: the body has a new case, the consumer hears of it.
            return to(.mediationBody, as: .newCases) + to(.consumer, as: .caseProgress)
        case "complaint.reject", "complaint.accept", "complaint.report_unfulfilled":
            return to(.platform, as: .caseProgress) + (state == .inMediation ? to(.assignedMediator, as: .caseProgress) : [])
        case "complaint.escalate":
            return to(.mediationBody, as: .newCases) + to(.platform, as: .caseProgress)
        case "complaint.assign":
            return to(.assignedMediator, as: .assignments)
        case "complaint.propose":
            return to(.consumer, .platform, as: .caseProgress)
        case "complaint.refer":
            // A mediation body that had the case hears that it went elsewhere.
            return to(.consumer, .platform, as: .caseProgress) + to(.mediationBody, as: .caseProgress)
        case "complaint.fail", "complaint.close", "complaint.confirm_fulfilment", "complaint.withdraw",
            "complaint.mark_invalid":
            return to(.consumer, .platform, as: .caseProgress)
        case "complaint.deadline_approaching", "complaint.overdue":
            return party(whoseTurnIn: state).map { to($0, as: .deadlines) } ?? []
        case "message.post":
            return to(.consumer, .platform, .assignedMediator, as: .messages)
        case "complaint.acknowledge", "complaint.record_finding":
            return to(.consumer, as: .caseProgress) + (type == "complaint.record_finding" ? to(.platform, as: .caseProgress) : [])
        case "complaint.set_ultimatum":
            return to(.platform, as: .deadlines)
        case "complaint.hand_to_merchant":
            return to(.merchant, as: .newCases)
        case "complaint.supplement":
            // The merchant hears of it while the case is its to answer.
            let merchant = state == .awaitingMerchant ? to(.merchant, as: .messages) : []
            return to(.platform, .assignedMediator, as: .messages) + merchant
        default:
            return []
        }
    }

    /// Whose turn it is in a state with a deadline.
    static func party(whoseTurnIn state: ComplaintState?) -> MailAudience? {
        switch state {
        case .awaitingMerchant: .merchant
        case .awaitingPlatform, .resolutionAgreed: .platform
        case .proposalMade: .consumer
        case .escalated: .mediationBody
        case .inMediation: .assignedMediator
        default: nil
        }
    }
}
