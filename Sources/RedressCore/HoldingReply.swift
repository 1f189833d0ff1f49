/// Holding replies: what a seller says to stall instead of answering ("系统升级", "人工审核中",
/// "正在核实"). Such a text is an acknowledgement, never an answer: a rejection that gives it as its
/// reason is refused, and the seller posts it with `acknowledge`, which leaves the deadline running.
public enum HoldingReply {
    public static let matcher = PhraseMatcher([
        "系统升级", "系统维护", "人工审核", "审核中", "正在审核", "正在核实", "核实中", "正在核查", "核查中", "正在处理", "正在跟进",
        "正在调查", "请耐心等待", "耐心等待", "稍后回复", "稍后处理", "已反馈", "已提交相关部门", "已转交相关部门",
        "under review", "being reviewed", "being processed", "system upgrade", "system maintenance", "please be patient",
        "we will get back", "we are investigating",
    ], punctuationBreaks: true)

    /// The phrase `text` holds, or `nil`.
    public static func phrase(in text: String) -> String? { matcher.first(in: text) }
}
