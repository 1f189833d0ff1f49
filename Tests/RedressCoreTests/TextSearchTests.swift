import Foundation
@testable import RedressCore
import Testing

@Suite("Byte search of words")
struct TextSearchTests {
    /// The byte search finds what a search by characters finds: not a word followed by a combining
    /// mark or a variation selector, nor one inside an emoji sequence. (Foundation's `contains`, used
    /// before, agrees except for words that begin with a combining mark or sit inside an emoji
    /// sequence; the word lists have neither.)
    @Test func findsWhatFoundationFinds() {
        let texts = [
            "", "a", "骗子平台，垃圾客服！", "卡密一直不发货 refund please", "aaab", "ab", "说法说法要个说法", "emoji 🧾 收据",
            "you liar\u{0301}", "骗子\u{E0100}平台", "e\u{0301}x liar", "🧾\u{200D}🧾",
        ]
        let words = [
            "", "a", "b", "ab", "aab", "骗子", "垃圾", "客服！", "要个说法", "refund", "please!", "🧾", "收据 ", "说法说法要个说法x",
            "liar", "e", "x", "\u{0301}x",
        ]
        for text in texts {
            for word in words {
                #expect(text.containsBytes(of: word) == (word.isEmpty || text.firstRange(of: word) != nil), "\(text) / \(word)")
            }
        }
    }
}
