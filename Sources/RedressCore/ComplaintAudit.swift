import Foundation

/// What the audit trail records of a complaint's changes: the same for the API, the deadline job and
/// the demo generator.
extension ComplaintWorkflow {
    /// The fields an action changed, and the action's own input (personal text as `.personal`).
    public static func auditChanges(from before: Complaint, to after: Complaint, input: ActionInput) -> [String: AuditFieldChange] {
        var changes: [String: AuditFieldChange] = [
            "version": .init(before: .int(before.version), after: .int(after.version))
        ]
        if before.state != after.state {
            changes["state"] = .init(before: .string(before.state.rawValue), after: .string(after.state.rawValue))
        }
        if before.deadlineAt != after.deadlineAt {
            changes["deadline_at"] = .init(
                before: before.deadlineAt.map { .string(timestamp($0)) } ?? .null,
                after: after.deadlineAt.map { .string(timestamp($0)) } ?? .null)
        }
        if before.closesAt != after.closesAt, before.state == after.state {
            changes["closes_at"] = .init(
                before: before.closesAt.map { .string(timestamp($0)) } ?? .null, after: after.closesAt.map { .string(timestamp($0)) } ?? .null)
        }
        if before.mediationBodyID != after.mediationBodyID {
            changes["mediation_body_id"] = .init(after: after.mediationBodyID.map { .string($0.uuidString.lowercased()) } ?? .null)
        }
        if before.mediatorID != after.mediatorID {
            changes["mediator_id"] = .init(after: after.mediatorID.map { .string($0.uuidString.lowercased()) } ?? .null)
        }
        if before.agreedRefund != after.agreedRefund { changes["agreed_refund"] = .init(after: after.agreedRefund.map { .int($0) } ?? .null) }
        if before.rating != after.rating { changes["rating"] = .init(after: after.rating.map { .int($0) } ?? .null) }
        if before.outcome != after.outcome { changes["outcome"] = .init(after: after.outcome.map { .string($0.rawValue) } ?? .null) }
        if before.invalidReason != after.invalidReason {
            changes["invalid_reason"] = .init(after: after.invalidReason.map { .string($0.rawValue) } ?? .null)
        }
        if before.referralChannel != after.referralChannel {
            changes["referral_channel"] = .init(after: after.referralChannel.map { .string($0.rawValue) } ?? .null)
        }
        switch input {
        case .respond(let answer):
            changes["answer_decision"] = .init(after: .string(answer.decision.rawValue))
            if let refund = answer.proposal?.refund { changes["proposed_refund"] = .init(after: .int(refund)) }
            if let reason = answer.reason { changes["reason"] = .init(after: .personal(reason)) }
            if let fault = answer.fault { changes["fault"] = .init(after: .string(fault.rawValue)) }
        case .propose(let terms):
            if let refund = terms.refund { changes["settlement_refund"] = .init(after: .int(refund)) }
            if let text = terms.text { changes["settlement_text"] = .init(after: .personal(text)) }
        case .reason(let reason?), .escalate(_, let reason?), .triage(_, let reason?):
            changes["reason"] = .init(after: .personal(reason))
        case .rate(_, let comment?):
            changes["comment"] = .init(after: .personal(comment))
        case .refer(_, let reference?):
            changes["referral_reference"] = .init(after: .personal(reference))
        case .markInvalid(_, let note?):
            changes["note"] = .init(after: .personal(note))
        case .acknowledge(let text):
            changes["acknowledgements"] = .init(before: .int(before.acknowledgements), after: .int(after.acknowledgements))
            changes["text"] = .init(after: .personal(text))
        case .referralRecord(let reference, let outcome):
            if let reference { changes["referral_reference"] = .init(after: .personal(reference)) }
            if let outcome { changes["referral_outcome"] = .init(after: .string(outcome.rawValue)) }
        case .finding(let fault):
            changes["fault_finding"] = .init(before: before.faultFinding.map { .string($0.rawValue) } ?? .null, after: .string(fault.rawValue))
        case .ultimatum(let days):
            changes["ultimatum_days"] = .init(before: before.ultimatumDays.map { .int($0) } ?? .null, after: .int(days))
            changes["ultimatum_at"] = .init(
                before: before.ultimatumAt.map { .string(timestamp($0)) } ?? .null,
                after: after.ultimatumAt.map { .string(timestamp($0)) } ?? .null)
        case .disputeValidity(let ground, let note, _):
            changes["disputed_ground"] = .init(after: .string(ground.rawValue))
            if let note { changes["note"] = .init(after: .personal(note)) }
        default:
            break
        }
        return changes
    }

    /// What filing a complaint records (personal text as `.personal`).
    public static func submitAuditChanges(_ complaint: Complaint) -> [String: AuditFieldChange] {
        func id(_ value: UUID?) -> AuditValue { value.map { .string($0.uuidString.lowercased()) } ?? .null }
        var changes: [String: AuditFieldChange] = [
            "state": .init(after: .string(complaint.state.rawValue)),
            "platform_id": .init(after: id(complaint.platformID)),
            "merchant_id": .init(after: id(complaint.merchantID)),
            "category": .init(after: .string(complaint.category.rawValue)),
            "title": .init(after: .personal(complaint.title)),
            "description": .init(after: .personal(complaint.description)),
            "order_no": .init(after: .personal(complaint.order.orderNo)),
            "amount_paid": .init(after: .int(complaint.order.amountPaid)),
            "refund_claimed": .init(after: .int(complaint.refundClaimed)),
            "deadline_at": .init(after: complaint.deadlineAt.map { .string(timestamp($0)) } ?? .null),
            // The yardstick and the promise the case is measured by, fixed at filing.
            "standard_deadline_at": .init(after: complaint.standardDeadlineAt.map { .string(timestamp($0)) } ?? .null),
            "promised_response_days": .init(after: complaint.promise.map { .int($0.responseDays) } ?? .null),
        ]
        if let claim = complaint.faultClaim { changes["fault_claim"] = .init(after: .string(claim.rawValue)) }
        if let earlier = complaint.refiles { changes["refiles"] = .init(after: id(earlier)) }
        return changes
    }

    /// The change the standard deadline passing without a first response makes.
    public static func standardDeadlineAuditChanges(from before: Complaint, to after: Complaint) -> [String: AuditFieldChange] {
        [
            "standard_deadline_passed": .init(before: .bool(false), after: .bool(true)),
            "version": .init(before: .int(before.version), after: .int(after.version)),
        ]
    }

    /// The change a missed deadline makes.
    public static func overdueAuditChanges(from before: Complaint, to after: Complaint) -> [String: AuditFieldChange] {
        [
            "overdue": .init(before: .bool(false), after: .bool(true)),
            "overdue_party": .init(after: after.overdueParty.map(AuditValue.string) ?? .null),
            "version": .init(before: .int(before.version), after: .int(after.version)),
        ]
    }

    /// UTC with milliseconds, as every time in the audit trail.
    public static func timestamp(_ date: Date) -> String {
        UTCTime.milliseconds(date)
    }
}
