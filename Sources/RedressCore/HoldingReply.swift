/// Holding replies: what a seller says to stall instead of answering ("系统升级", "人工审核中",
/// "正在核实"). Such a text is an acknowledgement, never an answer: a rejection that gives it as its
/// reason is refused, and the seller posts it with `acknowledge`, which leaves the deadline running.
public enum HoldingReply {
    /// The phrases, compared after dropping spaces and punctuation and lower-casing.
    public static let phrases: [String] = [
        "系统升级", "系统维护", "人工审核", "审核中", "正在审核", "正在核实", "核实中", "正在核查", "核查中", "正在处理",
        "正在调查", "调查中", "请耐心等待", "耐心等待", "稍后回复", "稍后处理", "尽快处理", "已反馈", "已提交相关部门", "已转交相关部门",
        "underreview", "beingreviewed", "beingprocessed", "systemupgrade", "systemmaintenance", "pleasebepatient", "wewillgetback",
        "investigating",
    ]

    /// The phrase `text` holds, or `nil`.
    public static func phrase(in text: String) -> String? {
        let folded = String(text.lowercased().unicodeScalars.filter { scalar in
            !(scalar.properties.isWhitespace || scalar.properties.generalCategory.isPunctuationOrSymbol)
        }.map(Character.init))
        return phrases.first { folded.contains($0) }
    }
}

extension Unicode.GeneralCategory {
    var isPunctuationOrSymbol: Bool {
        switch self {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation, .finalPunctuation,
            .otherPunctuation, .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            true
        default: false
        }
    }
}
