import Foundation
import RedressCore

/// The body of `POST /complaints/{id}/actions/{action}`: one shape for every action, each reading the
/// fields it needs.
struct ActionRequest: Decodable {
    let decision: String?
    let proposal: ProposalRequest?
    let terms: ProposalRequest?
    let reason: String?
    let text: String?
    let mediationBodyID: UUID?
    let mediatorID: UUID?
    let channel: String?
    let reference: String?
    let rating: Int?
    let comment: String?
    let invalidReason: String?
    let ultimatumDays: Int?
    let fault: String?
    let outcome: String?
}

struct ProposalRequest: Decodable {
    let refund: Int?
    let reissue: Bool?
    let apology: Bool?
    let compensation: Int?
    let text: String?
}

extension ActionRequest {
    /// What the action needs, validated (422 naming every invalid field).
    static func input(for action: ComplaintAction, _ body: ActionRequest?) throws(RedressError) -> ActionInput {
        var fields = FieldValidator()
        func proposal(_ request: ProposalRequest?, field: String) -> Proposal? {
            guard let request else { return nil }
            let value = Proposal(
                refund: fields.positiveAmount(request.refund, field: "\(field).refund"), reissue: request.reissue ?? false,
                apology: request.apology ?? false, compensation: fields.positiveAmount(request.compensation, field: "\(field).compensation"),
                text: fields.optionalText(request.text, field: "\(field).text", maxLength: 2000))
            // A proposal puts relief on the table — money or the goods; an apology or text alone offers
            // nothing (a reasoned rejection is the other answer).
            if !value.isRelief { fields.fail(field, "empty_proposal") }
            return value
        }
        let reason = fields.optionalText(body?.reason, field: "reason", maxLength: 2000)
        let fault = body?.fault.flatMap(Fault.init(rawValue:))
        if body?.fault != nil && fault == nil { fields.fail("fault", "unknown_value") }
        let input: ActionInput
        switch action {
        case .respond:
            switch body?.decision {
            case "propose":
                let terms = proposal(body?.proposal, field: "proposal")
                if terms == nil { fields.fail("proposal", "required") }
                input = .respond(Answer(decision: .propose, proposal: terms, reason: reason, fault: fault))
            case "reject":
                if reason == nil { fields.fail("reason", "required") }
                // "正在核实" is not a reason to reject: it is a holding reply (`acknowledge`).
                if let reason, HoldingReply.phrase(in: reason) != nil { fields.fail("reason", "holding_reply") }
                input = .respond(Answer(decision: .reject, proposal: nil, reason: reason, fault: fault))
            default:
                fields.fail("decision", body?.decision == nil ? "required" : "unknown_value")
                input = .none
            }
        case .escalate, .reportUnfulfilled:
            if action == .reportUnfulfilled && reason == nil { fields.fail("reason", "required") }
            input = .escalate(mediationBodyID: body?.mediationBodyID, reason: reason)
        case .triage:
            switch body?.decision {
            case "accept": input = .triage(accept: true, reason: reason)
            case "decline":
                if reason == nil { fields.fail("reason", "required") }
                input = .triage(accept: false, reason: reason)
            default:
                fields.fail("decision", body?.decision == nil ? "required" : "unknown_value")
                input = .none
            }
        case .assign:
            if body?.mediatorID == nil { fields.fail("mediator_id", "required") }
            input = .assign(mediatorID: body?.mediatorID ?? UUID())
        case .propose:
            var terms = proposal(body?.terms, field: "terms")
            if terms == nil { fields.fail("terms", "required") }
            if let text = fields.optionalText(body?.text, field: "text", maxLength: 2000) { terms?.text = text }
            input = .propose(terms ?? Proposal())
        case .fail:
            if reason == nil { fields.fail("reason", "required") }
            input = .reason(reason)
        case .reject:
            input = .reason(reason)
        case .refer:
            let channel = ReferralChannel(rawValue: body?.channel ?? "")
            if channel == nil { fields.fail("channel", body?.channel == nil ? "required" : "unknown_value") }
            input = .refer(channel: channel ?? .twelve315, reference: fields.optionalText(body?.reference, field: "reference", maxLength: 100))
        case .rate:
            let rating = body?.rating
            if rating == nil || !(1...5).contains(rating!) { fields.fail("rating", rating == nil ? "required" : "out_of_range") }
            input = .rate(rating: rating ?? 0, comment: fields.optionalText(body?.comment, field: "comment", maxLength: 1000))
        case .markInvalid, .disputeValidity:
            let ground = InvalidReason(rawValue: body?.invalidReason ?? "")
            if ground == nil { fields.fail("invalid_reason", body?.invalidReason == nil ? "required" : "unknown_value") }
            if reason == nil { fields.fail("reason", "required") }
            input = action == .markInvalid
                ? .markInvalid(reason: ground ?? .duplicate, note: reason)
                : .disputeValidity(ground: ground ?? .duplicate, note: reason, mediationBodyID: nil)
        case .acknowledge:
            let text = fields.optionalText(body?.text, field: "text", maxLength: 2000)
            if text == nil { fields.fail("text", "required") }
            input = .acknowledge(text ?? "")
        case .recordReferral:
            let reference = fields.optionalText(body?.reference, field: "reference", maxLength: 100)
            let outcome = body?.outcome.flatMap(ReferralOutcome.init(rawValue:))
            if body?.outcome != nil && outcome == nil { fields.fail("outcome", "unknown_value") }
            if reference == nil && outcome == nil { fields.fail("reference", "required") }
            input = .referralRecord(reference: reference, outcome: outcome)
        case .handToMerchant:
            input = .reason(reason)
        case .recordFinding:
            if body?.fault == nil { fields.fail("fault", "required") }
            input = .finding(fault ?? .undetermined)
        case .setUltimatum:
            let days = body?.ultimatumDays
            if days == nil || !(1...60).contains(days!) { fields.fail("ultimatum_days", days == nil ? "required" : "out_of_range") }
            input = .ultimatum(days: days ?? 1)
        case .escalateToPlatform, .accept, .confirmFulfilment, .withdraw, .close:
            input = .reason(reason)
        }
        try fields.check()
        return input
    }

    /// `If-Match: "3"` (or `W/"3"`, or `3`); `nil` when absent. Anything else is malformed.
    static func ifMatch(_ header: String?) throws(RedressError) -> Int? {
        guard let header else { return nil }
        let cleaned = header.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "W/", with: "").trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        guard let version = Int(cleaned) else { throw RedressError(.malformedRequest, detail: "If-Match must be the complaint's ETag.") }
        return version
    }
}
