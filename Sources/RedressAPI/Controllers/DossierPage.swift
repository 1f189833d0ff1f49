import Foundation
import Hummingbird
import NIOCore
import RedressCore
import RedressStore

/// The dossier as a printable HTML page (every value escaped).
enum DossierPage {
    static let rules =
        "body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse;width:100%;margin-bottom:1em}th,td{border:1px solid #999;padding:.3em;text-align:left;vertical-align:top}code{font-size:.8em;word-break:break-all}@media print{body{margin:0}}"

    /// How the page is styled: its own rules inline (the API's page), or the console's stylesheet
    /// (the console forbids inline styles).
    enum Style {
        case inline
        case console
    }

    static func html(_ dossier: DossierController.DossierResponse, language: Language, style: Style = .inline) -> String {
        func t(_ zh: String, _ en: String) -> String { language == .en ? en : zh }
        func e(_ text: String?) -> String {
            (text ?? "—").replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&#39;")
        }
        func time(_ date: Date?) -> String { date.map { APIJSON.rfc3339($0) } ?? "—" }
        func money(_ fen: Int?) -> String { fen.map { String(format: "%d.%02d", $0 / 100, $0 % 100) } ?? "—" }
        let complaint = dossier.complaint
        var rows: [String] = []
        rows.append("<h1>\(t("投诉案件材料", "Complaint dossier"))</h1>")
        rows.append("<p>\(t("生成时间", "Generated")): \(time(dossier.generatedAt)) · \(t("案件编号", "Case")): \(e(complaint.id.value.uuidString.lowercased()))</p>")
        if let erased = complaint.erasedAt {
            rows.append("<p><strong>\(t("本案消费者的个人信息（姓名、陈述、证据）已依法删除", "The consumer's personal data (name, statement, evidence) was erased as the law provides")): \(time(erased))</strong></p>")
        }
        if let anonymised = complaint.anonymisedAt {
            rows.append("<p><strong>\(t("保存期限届满，订单信息已匿名化", "The retention period ended: the order's facts are anonymised")): \(time(anonymised))</strong></p>")
        }
        rows.append("<h2>\(t("被投诉平台", "Platform complained about"))</h2><table>")
        rows.append("<tr><th>\(t("平台", "Platform"))</th><td>\(e(dossier.platform.name))</td></tr>")
        rows.append("<tr><th>\(t("企业名称", "Company"))</th><td>\(e(dossier.platform.companyName))</td></tr>")
        rows.append("<tr><th>\(t("统一社会信用代码", "Unified social credit code"))</th><td>\(e(dossier.platform.creditCode))</td></tr>")
        rows.append("<tr><th>\(t("注册地址", "Registered address"))</th><td>\(e(dossier.platform.registeredAddress))</td></tr></table>")
        rows.append("<h2>\(t("事实与诉求", "Facts and demands"))</h2><table>")
        rows.append("<tr><th>\(t("标题", "Title"))</th><td>\(e(complaint.title))</td></tr>")
        rows.append("<tr><th>\(t("经过", "What happened"))</th><td>\(e(complaint.description).replacingOccurrences(of: "\n", with: "<br>"))</td></tr>")
        if let order = complaint.order {
            rows.append("<tr><th>\(t("订单", "Order"))</th><td>\(e(order.orderNo)) · \(e(order.productName)) · \(money(order.amountPaid)) \(e(order.currency))</td></tr>")
        }
        for demand in complaint.demands ?? [] {
            rows.append("<tr><th>\(t("诉求", "Demand"))</th><td>\(e(demand.kind.rawValue)) \(demand.amount.map(money) ?? "") \(e(demand.text ?? ""))</td></tr>")
        }
        rows.append("<tr><th>\(t("状态", "State"))</th><td>\(e(complaint.state.rawValue))</td></tr></table>")
        if !dossier.supplements.isEmpty {
            rows.append("<h2>\(t("补充说明（提交后追加）", "Supplements (added after filing)"))</h2><table>")
            for supplement in dossier.supplements {
                rows.append("<tr><th>\(time(supplement.createdAt))</th><td>\(e(supplement.body).replacingOccurrences(of: "\n", with: "<br>"))\(supplement.evidenceIDs.isEmpty ? "" : " <code>\(supplement.evidenceIDs.count) \(t("份证据", "evidence files"))</code>")</td></tr>")
            }
            rows.append("</table>")
        }
        rows.append("<h2>\(t("证据清单", "Evidence")) (SHA-256)</h2><table><tr><th>\(t("类型", "Kind"))</th><th>\(t("文件", "File"))</th><th>\(t("大小", "Size"))</th><th>SHA-256</th><th>\(t("上传时间", "Uploaded"))</th></tr>")
        for item in dossier.evidence {
            let length = item.durationSeconds.value.map { " · \($0 / 60):\(String(format: "%02d", $0 % 60))" } ?? ""
            rows.append("<tr><td>\(e(item.kind.rawValue))</td><td>\(e(item.filename))</td><td>\(item.size)\(length)</td><td><code>\(item.sha256)</code></td><td>\(time(item.uploadedAt))</td></tr>")
        }
        rows.append("</table>")
        if complaint.acknowledgements > 0 {
            rows.append("<p>\(t("答复前的搪塞性回复（不计为答复）", "Holding replies before any answer (not counted as answers)")): \(complaint.acknowledgements)</p>")
        }
        if let ultimatum = complaint.ultimatumAt {
            rows.append("<p>\(t("消费者设定的最后期限", "The consumer's ultimatum")): \(time(ultimatum))</p>")
        }
        // Who was responsible, as each side sees it, and what became of a referral.
        let fault = [
            (t("消费者认为", "The consumer's view"), complaint.faultClaim), (t("经营者答复认为", "The seller's view"), complaint.answer?.fault),
            (t("调解员认定", "The mediator's finding"), complaint.faultFinding),
        ].compactMap { label, value in value.map { "\(label): \(e($0.rawValue))" } }
        if !fault.isEmpty { rows.append("<p>\(t("责任归属", "Fault")) — \(fault.joined(separator: "; "))</p>") }
        if let channel = complaint.referralChannel {
            let outcome = complaint.referralOutcome.map { e($0.rawValue) } ?? t("办理中", "open")
            rows.append("<p>\(t("已转交", "Referred to")) \(e(channel.rawValue)) \(e(complaint.referralReference ?? "")) — \(outcome)</p>")
        }
        if !dossier.flags.isEmpty {
            rows.append("<h2>\(t("不公平条款与报复威胁", "Unfair terms and retaliation threats"))</h2><table><tr><th>\(t("类别", "Kind"))</th><th>\(t("来源", "Source"))</th><th>\(t("用语", "Wording"))</th><th>\(t("调解员认定", "Mediator's finding"))</th><th>\(t("法律依据", "Legal basis"))</th></tr>")
            for flag in dossier.flags {
                rows.append("<tr><td>\(e(flag.kind.rawValue))</td><td>\(e(flag.source.rawValue))</td><td>\(e(flag.phrase ?? flag.statement ?? ""))</td><td>\(e(flag.state.rawValue))</td><td>\(e(flag.legalBasis))</td></tr>")
            }
            rows.append("</table>")
        }
        rows.append("<h2>\(t("处理经过", "Timeline"))</h2><table><tr><th>#</th><th>\(t("时间", "Time"))</th><th>\(t("事项", "Action"))</th><th>\(t("角色", "Role"))</th><th>\(t("状态变化", "State"))</th></tr>")
        for event in dossier.timeline {
            let state = event.changes["state"].map { "\(e($0.before)) → \(e($0.after))" } ?? ""
            rows.append("<tr><td>\(event.seq)</td><td>\(time(event.at))</td><td>\(e(event.action))</td><td>\(e(event.actorRole))</td><td>\(state)</td></tr>")
        }
        rows.append("</table><p>\(t("建议渠道", "Recommended channels")): \(dossier.recommendedChannels.map(\.rawValue).joined(separator: ", "))</p>")
        return """
            <!doctype html><html lang="\(language.rawValue)"><head><meta charset="utf-8"><title>\(t("投诉案件材料", "Complaint dossier"))</title>
            \(style == .inline ? "<style>\(rules)</style>" : #"<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/console/static/console.css">"#)
            </head><body><main class="dossier">
            \(rows.joined(separator: "\n"))
            </main></body></html>
            """
    }
}
