import Foundation
import Hummingbird
import NIOCore
import RedressCore
import RedressStore

/// A form's fields turned into the JSON body the API takes, then decoded and checked by the API's own
/// request types: the console states no rule of its own about what an action or a filing needs.
enum ConsoleJSON {
    static func decode<Value: Decodable>(_ type: Value.Type, from object: [String: Any]) throws -> Value {
        let data = try JSONSerialization.data(withJSONObject: object)
        return try Request.decodeJSON(type, from: ByteBuffer(bytes: data))
    }
}

/// The forms of a case's actions, and the request each posts.
enum ConsoleActionForms {
    /// What the selects of a page offer.
    struct Choices: Sendable {
        var mediationBodies: [(id: UUID, name: String)] = []
        var mediators: [(id: UUID, name: String)] = []
    }

    static func choices(for actions: [ComplaintAction], complaint: Complaint, _ transaction: Transaction) async throws -> Choices {
        var choices = Choices()
        if actions.contains(.escalate) || actions.contains(.reportUnfulfilled) {
            choices.mediationBodies = try await transaction.mediationBodies(page: PageRequest(limit: PageRequest.maximumLimit)).items.map {
                (id: $0.id, name: $0.name)
            }
        }
        if actions.contains(.assign), let body = complaint.mediationBodyID {
            choices.mediators = try await transaction.staff(in: [body], page: PageRequest(limit: PageRequest.maximumLimit)).items
                .filter { [.mediator, .mediationLead].contains($0.role) && $0.disabledAt == nil }.map { (id: $0.id, name: $0.displayName) }
        }
        return choices
    }

    /// One input of a form, as the template draws it.
    static func field(
        _ name: String, _ label: String, kind: String, required: Bool = false, max: Int = 2000, mode: String = "text",
        options: [(String, String)] = [], language: Language
    ) -> [String: Any] {
        [
            "id": "f-" + name.replacingOccurrences(of: ".", with: "-"), "name": name, "label": ConsoleText.phrase(label, language),
            "is_select": kind == "select", "is_textarea": kind == "textarea", "is_input": kind == "input", "is_checkbox": kind == "checkbox",
            "required": required, "max": max, "mode": mode,
            "options": options.map { ["value": $0.0, "label": $0.1] },
        ]
    }

    static func form(for action: ComplaintAction, caseID: UUID, version: Int, choices: Choices, language: Language) -> [String: Any] {
        func money(_ name: String, _ label: String) -> [String: Any] { field(name, label, kind: "input", max: 12, mode: "decimal", language: language) }
        func reason(required: Bool = false) -> [String: Any] { field("reason", "reason", kind: "textarea", required: required, language: language) }
        func proposal(_ prefix: String) -> [[String: Any]] {
            [
                money("\(prefix).refund", "refund_yuan"), money("\(prefix).compensation", "compensation_yuan"),
                field("\(prefix).reissue", "reissue", kind: "checkbox", language: language),
                field("\(prefix).apology", "apology", kind: "checkbox", language: language),
                field(prefix == "terms" ? "text" : "\(prefix).text", "proposal_text", kind: "textarea", language: language),
            ]
        }
        var fields: [[String: Any]]
        switch action {
        case .respond:
            fields = [field("decision", "decision", kind: "select", required: true,
                            options: [("propose", ConsoleText.phrase("propose", language)), ("reject", ConsoleText.phrase("reject_answer", language))],
                            language: language)]
                + proposal("proposal") + [reason()]
        case .escalate, .reportUnfulfilled:
            fields = [field("mediation_body_id", "mediation_body", kind: "select", required: true,
                            options: choices.mediationBodies.map { ($0.id.uuidString.lowercased(), $0.name) }, language: language),
                      reason(required: action == .reportUnfulfilled)]
        case .triage:
            fields = [field("decision", "decision", kind: "select", required: true,
                            options: [("accept", ConsoleText.phrase("accept_case", language)), ("decline", ConsoleText.phrase("decline_case", language))],
                            language: language), reason()]
        case .assign:
            fields = choices.mediators.isEmpty
                ? [field("mediator_id", "mediator", kind: "input", required: true, max: 36, language: language)]
                : [field("mediator_id", "mediator", kind: "select", required: true,
                         options: choices.mediators.map { ($0.id.uuidString.lowercased(), $0.name) }, language: language)]
        case .propose:
            fields = proposal("terms")
        case .fail:
            fields = [reason(required: true)]
        case .refer:
            fields = [field("channel", "channel", kind: "select", required: true,
                            options: ReferralChannel.allCases.map { ($0.rawValue, $0.rawValue == "12315" ? "12315" : ConsoleFormat.channel($0, language)) },
                            language: language),
                      field("reference", "reference", kind: "input", max: 100, language: language)]
        case .rate:
            fields = [field("rating", "rating", kind: "select", required: true, options: (1...5).reversed().map { (String($0), String($0)) }, language: language),
                      field("comment", "comment", kind: "textarea", max: 1000, language: language)]
        case .markInvalid, .disputeValidity:
            fields = [field("invalid_reason", "invalid_reason", kind: "select", required: true,
                            options: InvalidReason.allCases.map { ($0.rawValue, $0.rawValue) }, language: language), reason(required: true)]
        case .acknowledge:
            fields = [field("text", "text", kind: "textarea", required: true, language: language)]
        case .recordReferral:
            fields = [field("reference", "reference", kind: "input", max: 100, language: language),
                      field("outcome", "outcome", kind: "select", options: [("", "—")] + ReferralOutcome.allCases.map { ($0.rawValue, $0.rawValue) },
                            language: language)]
        case .recordFinding:
            fields = [field("fault", "fault", kind: "select", required: true, options: Fault.allCases.map { ($0.rawValue, $0.rawValue) }, language: language)]
        case .setUltimatum:
            fields = [field("ultimatum_days", "ultimatum_days", kind: "input", required: true, max: 2, mode: "numeric", language: language)]
        case .reject, .handToMerchant, .escalateToPlatform, .withdraw:
            fields = [reason()]
        case .accept, .confirmFulfilment, .close:
            fields = []
        }
        return [
            "action": action.rawValue, "label": ConsoleText.action(action, language), "case_id": caseID.uuidString.lowercased(),
            "version": version, "fields": fields,
        ]
    }

    static let textFields = [
        "decision", "reason", "text", "channel", "reference", "comment", "invalid_reason", "fault", "outcome", "mediation_body_id", "mediator_id",
    ]
    static let numberFields = ["rating", "ultimatum_days"]

    /// The action's JSON body from its form: amounts typed in yuan become fen; a box ticked is `true`.
    static func request(from form: ConsoleForm) throws -> ActionRequest {
        var body: [String: Any] = [:]
        var problems = FieldValidator()
        for name in textFields { if let value = form[name] { body[name] = value } }
        for name in numberFields {
            guard let value = form[name] else { continue }
            if let number = Int(value), (-1_000_000...1_000_000).contains(number) { body[name] = number } else { problems.fail(name, "out_of_range") }
        }
        for prefix in ["proposal", "terms"] {
            var terms: [String: Any] = [:]
            for money in ["refund", "compensation"] {
                if let fen = ConsoleForm.fen(form["\(prefix).\(money)"], field: "\(prefix).\(money)", into: &problems) { terms[money] = fen }
            }
            for flag in ["reissue", "apology"] where form["\(prefix).\(flag)"] == "true" { terms[flag] = true }
            if let text = form["\(prefix).text"] { terms["text"] = text }
            if !terms.isEmpty { body[prefix] = terms }
        }
        try problems.check()
        return try ConsoleJSON.decode(ActionRequest.self, from: body)
    }
}

/// The filing form: one demand, amounts in yuan.
enum ConsoleFiling {
    /// The fields the page shows again after a check or an error.
    static let echoed: Set<String> = [
        "order_no", "product_name", "amount_paid", "title", "description", "demand_amount", "demand_text",
    ]

    static func request(from form: ConsoleForm) throws(RedressError) -> FilingRequest {
        var problems = FieldValidator()
        var order: [String: Any] = ["currency": Money.currency]
        if let value = form["order_no"] { order["order_no"] = value }
        if let value = form["product_name"] { order["product_name"] = value }
        if let fen = ConsoleForm.fen(form["amount_paid"], field: "order.amount_paid", into: &problems) { order["amount_paid"] = fen }
        var demand: [String: Any] = ["kind": form["demand_kind"] ?? "refund"]
        if let fen = ConsoleForm.fen(form["demand_amount"], field: "demands[0].amount", into: &problems) { demand["amount"] = fen }
        if let text = form["demand_text"] { demand["text"] = text }
        var body: [String: Any] = ["order": order, "demands": [demand]]
        for name in ["platform_id", "category", "title", "description"] { if let value = form[name] { body[name] = value } }
        try problems.check()
        do {
            return try ConsoleJSON.decode(FilingRequest.self, from: body)
        } catch let error as RedressError {
            throw error
        } catch {
            throw RedressError(.malformedRequest)
        }
    }
}

/// How the console writes times, amounts and the like.
enum ConsoleFormat {
    /// Beijing time, to the minute: what people in mainland China read deadlines in.
    static func time(_ date: Date) -> String {
        let style = Date.FormatStyle(date: .numeric, time: .shortened, timeZone: TimeZone(identifier: "Asia/Shanghai")!)
            .locale(Locale(identifier: "en_GB"))
        return date.formatted(style)
    }

    static func yuan(_ fen: Int) -> String {
        let sign = fen < 0 ? "-" : "", magnitude = fen.magnitude
        return "¥\(sign)\(magnitude / 100)." + String(format: "%02d", Int(magnitude % 100))
    }

    static func channel(_ channel: ReferralChannel, _ language: Language) -> String {
        switch channel {
        case .twelve315: "12315"
        case .court: language == .en ? "A court" : "法院"
        case .police: language == .en ? "The police" : "公安机关"
        }
    }

    static func evidence(_ kind: EvidenceKind, _ language: Language) -> String {
        let names: (String, String) =
            switch kind {
            case .orderRecord: ("订单记录", "the order record")
            case .paymentProof: ("付款凭证", "a proof of payment")
            case .communicationRecord: ("与商家的沟通记录", "the messages with the seller")
            case .anomalyProof: ("问题截图或录屏", "a screenshot or recording of the problem")
            case .other: ("其他材料", "other material")
            }
        return language == .en ? names.1 : names.0
    }

    static func missingEvidence(step: String, missing: [EvidenceKind], language: Language) -> String {
        let list = missing.map { evidence($0, language) }.joined(separator: language == .en ? ", " : "、")
        return language == .en ? "The evidence lacks \(list)." : "证据链缺少：\(list)。"
    }

    /// The values of the case page, from the API's view of the case.
    static func caseValues(_ view: ComplaintResponse, language: Language) -> [String: Any] {
        var values: [String: Any] = [
            "title": view.title ?? "", "state_label": ConsoleText.state(view.state, language), "overdue": view.overdue,
            "deadline": view.deadlineAt.map(time) ?? "", "turn": ConsoleText.turn(view.state, language) ?? "",
            "category_label": ConsoleText.category(view.category, language), "submitted": time(view.submittedAt),
            "description": view.description ?? "",
        ]
        if let order = view.order {
            values["order"] = ["order_no": order.orderNo, "product_name": order.productName, "amount_paid": yuan(order.amountPaid)]
        }
        let demands = view.demands ?? []
        values["has_demands"] = !demands.isEmpty
        values["demands"] = demands.map {
            ConsolePage.present(["label": ConsoleText.demandKind($0.kind, language), "amount": $0.amount.map(yuan) ?? "", "text": $0.text ?? ""])
        }
        if let answer = view.answer {
            values["answer"] = [answer.proposal.map { proposalText($0, language) }, answer.reason].compactMap { $0 }.joined(separator: " · ")
        }
        if let terms = view.settlement?.terms { values["settlement"] = proposalText(terms, language) }
        return values
    }

    static func proposalText(_ proposal: ComplaintResponse.ProposalView, _ language: Language) -> String {
        var parts: [String] = []
        if let refund = proposal.refund { parts.append((language == .en ? "refund " : "退款 ") + yuan(refund)) }
        if let compensation = proposal.compensation { parts.append((language == .en ? "compensation " : "赔偿 ") + yuan(compensation)) }
        if proposal.reissue { parts.append(language == .en ? "deliver again" : "补发") }
        if proposal.apology { parts.append(language == .en ? "apology" : "致歉") }
        if let text = proposal.text { parts.append(text) }
        return parts.joined(separator: language == .en ? "; " : "；")
    }
}
