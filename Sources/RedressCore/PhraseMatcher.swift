import Foundation

/// Finds catalogued phrases in what people write, however it is dressed: compared in compatibility
/// form (full-width letters as ASCII), lower-cased, in simplified characters, without invisible format
/// characters, combining marks, variation selectors and symbols (emoji); spaces between Chinese
/// characters are ignored ("正在 核实") while a phrase of words keeps its spaces. Punctuation either
/// ends a phrase (`punctuationBreaks`: "经调查，中通" is not "调查中", for a refusal that must not catch
/// an honest answer) or is ignored too ("封·号" is "封号", for a flag a mediator will judge).
public struct PhraseMatcher: Sendable {
    public let phrases: [String]
    public let punctuationBreaks: Bool

    public init(_ phrases: [String], punctuationBreaks: Bool) {
        self.punctuationBreaks = punctuationBreaks
        self.phrases = phrases.map { PhraseMatcher.fold($0, punctuationBreaks: punctuationBreaks).spaced }
    }

    /// Every catalogued phrase the text holds, in the catalogue's order.
    public func matches(in text: String) -> [String] {
        let folded = Self.fold(text, punctuationBreaks: punctuationBreaks)
        return phrases.filter { phrase in
            phrase.contains(" ") ? folded.spaced.contains(phrase) : folded.joined.contains(phrase)
        }
    }

    public func first(in text: String) -> String? { matches(in: text).first }

    /// Traditional characters of the catalogued phrases, and their simplified forms.
    static let simplified: [Character: Character] = [
        "統": "统", "級": "级", "維": "维", "護": "护", "審": "审", "實": "实", "處": "处", "調": "调", "請": "请", "後": "后",
        "饋": "馈", "關": "关", "門": "门", "轉": "转", "復": "复", "覆": "复", "進": "进", "經": "经", "賣": "卖", "換": "换",
        "釋": "释", "權": "权", "歸": "归", "臺": "台", "號": "号", "響": "响", "帳": "账", "賬": "账", "戶": "户", "凍": "冻",
        "結": "结", "銷": "销", "擔": "担", "責": "责", "虛": "虚", "擬": "拟", "無": "无", "論": "论", "該": "该",
        "帐": "账", "終": "终", "訴": "诉", "註": "注", "則": "则",
    ]

    struct Folded {
        /// Runs of spaces as one.
        let spaced: String
        /// Without spaces.
        let joined: String
    }

    static func fold(_ text: String, punctuationBreaks: Bool) -> Folded {
        var folded = ""
        var lastWasSpace = false
        for scalar in text.precomposedStringWithCompatibilityMapping.lowercased().unicodeScalars {
            let category = scalar.properties.generalCategory
            switch category {
            case .format, .nonspacingMark, .enclosingMark, .spacingMark, .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
                continue
            case .control where !scalar.properties.isWhitespace:
                continue
            case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation, .finalPunctuation,
                .otherPunctuation:
                if punctuationBreaks {
                    folded.append("|")
                    lastWasSpace = false
                }
                continue
            default:
                break
            }
            if scalar.properties.isWhitespace {
                if !lastWasSpace { folded.append(" ") }
                lastWasSpace = true
                continue
            }
            lastWasSpace = false
            let character = Character(scalar)
            folded.append(simplified[character] ?? character)
        }
        return Folded(spaced: folded, joined: folded.replacingOccurrences(of: " ", with: ""))
    }
}
