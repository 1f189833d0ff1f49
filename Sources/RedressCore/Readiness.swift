import Foundation

public enum EvidenceKind: String, Sendable, Codable, CaseIterable {
    case orderRecord = "order_record"
    case paymentProof = "payment_proof"
    case communicationRecord = "communication_record"
    case anomalyProof = "anomaly_proof"
    case other
}

/// How strong a case is, as structured findings (Docs/lifecycle.md): what a complaint guide tells a
/// consumer to check by hand before complaining.
public struct Readiness: Sendable, Equatable {
    /// One link of the evidence chain "transaction happened → problem appeared → negotiation failed".
    public struct Link: Sendable, Equatable {
        public let step: String
        public let requires: [EvidenceKind]
        public let missing: [EvidenceKind]
        public var complete: Bool { missing.isEmpty }
    }

    public struct Finding: Sendable, Equatable {
        /// A stable machine code, e.g. `emotional_wording`.
        public let code: String
        /// Where it was found, e.g. `description` or `demands[1]`.
        public let field: String?
        /// The word or value concerned.
        public let subject: String?
        public let advice: String
    }

    public struct NextStep: Sendable, Equatable {
        public let code: String
        public let action: ComplaintAction?
        public let until: Date?
        public let advice: String
    }

    public let evidenceChain: [Link]
    public let demandFindings: [Finding]
    public let wordingFindings: [Finding]
    public let preconditions: [Finding]
    public let nextStep: NextStep
    public let recommendedChannels: [ReferralChannel]

    /// `strong` when the chain is complete and nothing else is amiss, `weak` when no link is complete.
    public var level: String {
        let complete = evidenceChain.filter(\.complete).count
        if complete == evidenceChain.count && demandFindings.isEmpty && wordingFindings.isEmpty { return "strong" }
        return complete == 0 ? "weak" : "fair"
    }
}

public enum ReadinessCheck {
    static let chain: [(step: String, requires: [EvidenceKind])] = [
        ("transaction_happened", [.orderRecord, .paymentProof]),
        ("problem_appeared", [.anomalyProof]),
        ("negotiation_failed", [.communicationRecord]),
    ]

    /// Words that make a statement read as an outburst rather than facts (complaint guides advise "避免情绪化表述").
    static let emotionalWords: [String] = [
        "骗子", "骗钱", "诈骗犯", "垃圾", "黑心", "黑店", "无良", "奸商", "坑爹", "去死", "傻逼", "妈的", "畜生", "混蛋", "王八蛋",
        "scammer", "fraudster", "crook", "thief", "liar", "idiot", "stupid", "garbage", "trash", "damn", "sucks",
    ]

    /// Demands that are no demand at all: "我要个说法" is not "refund 500 CNY".
    static let vagueDemandWords: [String] = ["说法", "解释", "交代", "explanation", "explain", "justice"]

    public static func evaluate(
        _ complaint: Complaint, evidence: [EvidenceKind], merchantFirst: Bool, now: Date, language: Language
    ) -> Readiness {
        let present = Set(evidence)
        let links = chain.map { Readiness.Link(step: $0.step, requires: $0.requires, missing: $0.requires.filter { !present.contains($0) }) }

        var demands: [Readiness.Finding] = []
        for (index, demand) in complaint.demands.enumerated() {
            let field = "demands[\(index)]"
            switch demand.kind {
            case .refund, .compensation:
                if (demand.amount ?? 0) <= 0 {
                    demands.append(.init(code: "amount_missing", field: field, subject: demand.kind.rawValue,
                                         advice: text(language, zh: "写明具体金额，例如“退款500元”。", en: "State the amount, e.g. \"refund 500 CNY\".")))
                }
            case .other:
                let wording = (demand.text ?? "").lowercased()
                if demand.amount == nil, let word = vagueDemandWords.first(where: { wording.containsBytes(of: $0) }) {
                    demands.append(.init(code: "vague_demand", field: field, subject: word,
                                         advice: text(language, zh: "“要个说法”不是诉求：写明退款、补发、道歉或赔偿及金额。",
                                                      en: "\"An explanation\" is not a demand: ask for a refund, reissue, apology or compensation, with the amount.")))
                }
            default:
                break
            }
        }

        var wording: [Readiness.Finding] = []
        for (field, value) in [("title", complaint.title), ("description", complaint.description)] {
            let lowered = value.lowercased()
            for word in emotionalWords where lowered.containsBytes(of: word) {
                wording.append(.init(code: "emotional_wording", field: field, subject: word,
                                     advice: text(language, zh: "请客观陈述事实（时间、地点、人物、经过），避免情绪化或侮辱性的用语。",
                                                  en: "State the facts (when, where, who, what happened); leave out emotional or abusive words.")))
            }
        }

        var preconditions: [Readiness.Finding] = []
        if merchantFirst && complaint.merchantID != nil && !present.contains(.communicationRecord) {
            preconditions.append(.init(code: "merchant_negotiation_record", field: "evidence", subject: EvidenceKind.communicationRecord.rawValue,
                                       advice: text(language, zh: "该平台要求先与商家协商：请上传与商家沟通的记录。",
                                                    en: "This platform asks you to negotiate with the merchant first: upload your conversation with the merchant.")))
        }
        if complaint.category == .nonDelivery && !present.contains(.anomalyProof) {
            preconditions.append(.init(code: "anomaly_proof", field: "evidence", subject: EvidenceKind.anomalyProof.rawValue,
                                       advice: text(language, zh: "请上传能证明问题的截图，例如未到账的卡密或充值记录。",
                                                    en: "Upload proof of the problem, e.g. a screenshot of the undelivered card key.")))
        }

        let fraud = ComplaintWorkflow.fraudSuspected(complaint)
        return Readiness(
            evidenceChain: links, demandFindings: demands, wordingFindings: wording, preconditions: preconditions,
            nextStep: nextStep(complaint, now: now, language: language),
            recommendedChannels: ComplaintWorkflow.recommendedChannels(for: complaint, fraudSuspected: fraud))
    }

    static func nextStep(_ complaint: Complaint, now: Date, language: Language) -> Readiness.NextStep {
        let passed = complaint.isPastDeadline(at: now)
        func step(_ code: String, _ action: ComplaintAction?, until: Date? = nil, zh: String, en: String) -> Readiness.NextStep {
            Readiness.NextStep(code: code, action: action, until: until, advice: text(language, zh: zh, en: en))
        }
        switch complaint.state {
        case .awaitingMerchant:
            return step("wait_for_merchant", .escalateToPlatform, until: complaint.deadlineAt,
                        zh: "等待商家在期限内答复；商家逾期或答复不满意时，可转交平台处理。",
                        en: "Wait for the merchant's answer within the deadline; if it is late or unsatisfactory, pass the case to the platform.")
        case .awaitingPlatform where passed:
            return step("escalate", .escalate, zh: "平台已逾期未答复：可以申请消费者协会调解，或直接向12315投诉。",
                        en: "The platform missed its deadline: you may ask a consumer association to mediate, or go to 12315 directly.")
        case .awaitingPlatform:
            return step("wait_for_platform", nil, until: complaint.deadlineAt,
                        zh: "先给平台处理的机会：等待平台在期限内答复。", en: "Give the platform its chance first: wait for its answer within the deadline.")
        case .proposalMade where complaint.answerRejected:
            return step("escalate", .escalate, until: complaint.closesAt,
                        zh: "您已拒绝平台的答复：可以申请调解；期限内未申请的，案件将按未解决结案。",
                        en: "You rejected the platform's answer: you may ask for mediation; without it by the closing time the case closes unresolved.")
        case .proposalMade:
            return step("consider_answer", .accept, until: complaint.closesAt,
                        zh: "查看答复：接受，或说明理由拒绝；期限内未回应的，案件将按未解决结案。",
                        en: "Read the answer: accept it, or reject it with your reasons; without an answer by the closing time the case closes unresolved.")
        case .escalated where complaint.escalatedBy == .system && !complaint.triaged:
            return step("wait_for_triage_or_refer", .refer, until: complaint.deadlineAt,
                        zh: "您设定的期限已到，案件已转交调解机构；在其受理前，您也可以改为向12315投诉。",
                        en: "Your ultimatum ran out and the case went to a mediation body; until it takes the case up, you may go to 12315 instead.")
        case .escalated:
            return step("wait_for_triage", nil, until: complaint.deadlineAt, zh: "调解机构正在受理审核。", en: "The mediation body is reviewing the case.")
        case .inMediation where complaint.settlement != nil:
            return step("consider_settlement", .accept, zh: "调解员提出了调解方案：接受或拒绝。", en: "The mediator proposed a settlement: accept or reject it.")
        case .inMediation:
            return step("wait_for_mediator", nil, until: complaint.deadlineAt, zh: "调解员正在调解。", en: "The mediator is working on the case.")
        case .resolutionAgreed:
            return step("confirm_fulfilment", .confirmFulfilment, until: complaint.closesAt ?? complaint.deadlineAt,
                        zh: "收到退款或补发后请确认；期限后仍未履行可报告。逾期未确认的，案件将按未确认结案。",
                        en: "Confirm once the refund or reissue arrived; report it if it has not come by the deadline. Unconfirmed by the closing time, the case closes as unconfirmed.")
        case .mediationFailed:
            return step("refer", .refer, until: complaint.closesAt, zh: "调解未成功：可向12315、法院或公安机关反映，并使用案件材料。",
                        en: "Mediation failed: take the case to 12315, a court or the police, with the dossier.")
        case .closedResolved where complaint.rating == nil, .referred where complaint.rating == nil, .closed where complaint.rating == nil:
            return step("rate", .rate, zh: "请为本次处理评分。", en: "Rate how the case was handled.")
        default:
            return step("none", nil, zh: "无需进一步操作。", en: "Nothing more to do.")
        }
    }

    static func text(_ language: Language, zh: String, en: String) -> String { language == .en ? en : zh }
}

extension String {
    /// Whether `word` occurs in the text as whole characters, as a search by characters finds it.
    /// Foundation's `contains` goes through `NSString`'s locale-aware search on Linux, a twentieth of
    /// the service's time for reading a case: the bytes are searched instead, and a match counts only
    /// where it starts and ends between characters (not before a combining mark or a variation
    /// selector).
    func containsBytes(of word: String) -> Bool {
        guard !word.isEmpty else { return true }
        var text = self, word = word
        let matches: [Int] = text.withUTF8 { text in
            word.withUTF8 { word in
                guard word.count <= text.count, let first = word.first else { return [] }
                var matches: [Int] = []
                var start = 0
                while start + word.count <= text.count {
                    guard let offset = text[start...(text.count - word.count)].firstIndex(of: first) else { break }
                    if memcmp(text.baseAddress! + offset, word.baseAddress!, word.count) == 0 { matches.append(offset) }
                    start = offset + 1
                }
                return matches
            }
        }
        let bytes = self.utf8
        return matches.contains { offset in
            let start = bytes.index(bytes.startIndex, offsetBy: offset)
            let end = bytes.index(start, offsetBy: word.utf8.count)
            return start.samePosition(in: self) != nil && end.samePosition(in: self) != nil
        }
    }
}
