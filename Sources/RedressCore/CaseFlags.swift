/// What a case can be flagged for, besides its own facts: clauses that take the consumer's main rights
/// away, and threats against a consumer for complaining. Redress recognises catalogued wording in the
/// platform's recorded terms and in what the platform's and merchant's side writes; a consumer can
/// report either, with evidence; a mediator of the case confirms or dismisses each flag, and confirmed
/// ones count against the platform (Docs/metrics.md).
public enum FlagKind: String, Sendable, Codable, CaseIterable {
    case unfairTerm = "unfair_term"
    case retaliationThreat = "retaliation_threat"

    /// Wording that marks it. Compared by `PhraseMatcher`: traditional characters, full-width letters,
    /// emoji and punctuation inside a phrase do not hide it (a mediator judges every flag).
    public var matcher: PhraseMatcher {
        switch self {
        case .unfairTerm: Self.unfairTerms
        case .retaliationThreat: Self.threats
        }
    }

    static let unfairTerms = PhraseMatcher([
        "概不退换", "不退不换", "售出不退", "一律不退", "概不退款", "一律不予退款", "不接受任何退款", "最终解释权", "不承担任何责任",
        "no refunds under any", "all sales are final", "right of final interpretation",
    ], punctuationBreaks: false)
    static let threats = PhraseMatcher([
        "影响账户使用", "影响账号使用", "影响您的账户", "影响您的账号", "封号", "封禁账号", "封禁账户", "冻结账户", "冻结账号", "冻结您的",
        "限制账户", "限制账号", "注销账户", "注销账号", "撤销投诉", "撤回投诉否则", "拉黑",
        "suspend your account", "ban your account", "freeze your account", "close your account", "withdraw the complaint or",
    ], punctuationBreaks: false)

    /// The legal basis shown with a flag.
    public func legalBasis(in language: Language) -> String {
        let text: (zh: String, en: String)
        switch self {
        case .unfairTerm:
            text = (
                zh: "《消费者权益保护法》第二十六条：经营者不得以格式条款、通知、声明、店堂告示等方式，作出排除或者限制消费者权利、减轻或者免除经营者责任、加重消费者责任等对消费者不公平、不合理的规定，此类内容无效。第二十五条对在线下载的数字化商品等所作的例外，只免除“七日无理由退货”，不涵盖未交付或与描述不符的商品。",
                en: "Consumer Rights Protection Law, Art. 26: a business may not, by standard terms, notices or statements, exclude or restrict consumers' rights, reduce or exempt its own liability or increase the consumer's; such terms are void. Art. 25's exceptions for digital goods downloaded online only lift the seven-day return without reason; they do not cover goods never delivered or not as described.")
        case .retaliationThreat:
            text = (
                zh: "《消费者权益保护法》第十五条：消费者有权检举、控告侵害消费者权益的行为；第二十六条：经营者不得以格式条款、通知、声明等方式限制消费者权利。以冻结、封禁账户相威胁阻止投诉，侵害消费者依法投诉的权利。",
                en: "Consumer Rights Protection Law, Art. 15: consumers may report and accuse conduct that infringes their rights; Art. 26: a business may not restrict consumers' rights by terms, notices or statements. Threatening to freeze or ban an account to stop a complaint infringes the consumer's right to complain.")
        }
        return language == .en ? text.en : text.zh
    }

    /// Every flag kind whose wording `text` holds, with the first catalogued phrase found: one text
    /// raises at most one flag of each kind, however many phrases it strings together.
    public static func recognise(_ text: String) -> [(kind: FlagKind, phrase: String)] {
        allCases.compactMap { kind in kind.matcher.first(in: text).map { (kind, $0) } }
    }
}

/// Where a flag comes from.
public enum FlagSource: String, Sendable, Codable, CaseIterable {
    /// A clause of the platform's recorded terms in force when the case was filed.
    case platformTerms = "platform_terms"
    /// The platform's or merchant's answer (`respond`).
    case answer
    /// A message to the parties, or a holding reply, from the platform's or merchant's side.
    case message
    /// The consumer reported it, with evidence.
    case consumerReport = "consumer_report"
}

public enum FlagState: String, Sendable, Codable, CaseIterable {
    case open, confirmed, dismissed
}
