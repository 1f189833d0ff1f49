import Foundation
@testable import RedressCore
import Testing

@Suite("Byte search of words")
struct TextSearchTests {
    /// The byte search finds what Foundation's `contains` finds, for the kinds of text cases hold.
    @Test func findsWhatFoundationFinds() {
        let texts = ["", "a", "骗子平台，垃圾客服！", "卡密一直不发货 refund please", "aaab", "ab", "说法说法要个说法", "emoji 🧾 收据"]
        let words = ["", "a", "b", "ab", "aab", "骗子", "垃圾", "客服！", "要个说法", "refund", "please!", "🧾", "收据 ", "说法说法要个说法x"]
        for text in texts {
            for word in words {
                #expect(text.containsBytes(of: word) == (word.isEmpty || text.contains(word)), "\(text) / \(word)")
            }
        }
    }
}
