import RedressCore
import Testing

@Suite("Holding replies")
struct HoldingReplyTests {
    @Test(arguments: [
        "系统升级中，请耐心等待", "您的投诉已转人工审核", "正在核实中", "正在 核实", "正在核\u{200B}实", "正在核實", "系統升級",
        "ＵＮＤＥＲ ＲＥＶＩＥＷ", "Your case is under   review.", "我们正在跟进",
    ])
    func stallingIsRecognised(text: String) {
        #expect(HoldingReply.phrase(in: text) != nil, "\(text)")
    }

    @Test(arguments: [
        "经调查，中通快递显示已签收，卡密已于9月24日发送至您的账户。", "经核实，该订单已发货，不予退款。",
        "After investigating, the key was delivered on 24 September.", "The order was refunded on 2 October.",
    ])
    func reasonedRejectionsAreNot(text: String) {
        #expect(HoldingReply.phrase(in: text) == nil, "\(text)")
    }
}
