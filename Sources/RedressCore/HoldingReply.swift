import Foundation

/// Holding replies: what a seller says to stall instead of answering ("系统升级", "人工审核中",
/// "正在核实"). Such a text is an acknowledgement, never an answer: a rejection that gives it as its
/// reason is refused, and the seller posts it with `acknowledge`, which leaves the deadline running.
public enum HoldingReply {
    /// The phrases (simplified; traditional characters are compared as their simplified forms).
    public static let phrases: [String] = [
        "系统升级", "系统维护", "人工审核", "审核中", "正在审核", "正在核实", "核实中", "正在核查", "核查中", "正在处理", "正在跟进",
        "正在调查", "请耐心等待", "耐心等待", "稍后回复", "稍后处理", "已反馈", "已提交相关部门", "已转交相关部门",
        "under review", "being reviewed", "being processed", "system upgrade", "system maintenance", "please be patient",
        "we will get back", "we are investigating",
    ]

    /// Traditional characters of the phrases, and their simplified forms.
    static let simplified: [Character: Character] = [
        "統": "统", "級": "级", "維": "维", "護": "护", "審": "审", "實": "实", "處": "处", "調": "调", "請": "请", "後": "后",
        "饋": "馈", "關": "关", "門": "门", "轉": "转", "復": "复", "覆": "复", "進": "进",
    ]

    /// The phrase `text` holds, or `nil`. The text is compared in compatibility form (full-width
    /// letters as ASCII), lower-cased, in simplified characters, without invisible format characters
    /// and with runs of spaces as one; punctuation ends a phrase, so that "经调查，中通" is not "调查中".
    public static func phrase(in text: String) -> String? {
        var folded = ""
        var lastWasSpace = false
        for scalar in text.precomposedStringWithCompatibilityMapping.lowercased().unicodeScalars {
            let category = scalar.properties.generalCategory
            if category == .format || category == .control && !scalar.properties.isWhitespace { continue }
            if scalar.properties.isWhitespace {
                if !lastWasSpace { folded.append(" ") }
                lastWasSpace = true
                continue
            }
            lastWasSpace = false
            let character = Character(scalar)
            folded.append(category.isPunctuationOrSymbol ? "|" : simplified[character] ?? character)
        }
        // Spaces between Chinese characters are an evasion ("正在 核实"); between words they are words'.
        let joined = folded.replacingOccurrences(of: " ", with: "")
        return phrases.first { phrase in
            phrase.contains(" ") ? folded.contains(phrase) : joined.contains(phrase)
        }
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
