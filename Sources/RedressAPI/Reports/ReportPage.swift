import Foundation
import Hummingbird
import RedressCore

/// The public report as server-rendered HTML: a ranking table and charts drawn as inline SVG, with no
/// script, font or stylesheet from anywhere else; readable on a phone. Every value is escaped.
enum ReportPage {
    struct Text {
        let language: Language
        func callAsFunction(_ zh: String, _ en: String) -> String { language == .en ? en : zh }
    }

    static let style = """
        body{font-family:system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0 auto;
        max-width:64em;padding:1em;color:#1b1b1b;line-height:1.5}
        h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin-top:1.6em}
        nav,form{margin:.6em 0;display:flex;flex-wrap:wrap;gap:.6em;align-items:center}
        .scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
        table{border-collapse:collapse;width:100%;font-size:.92em}
        th,td{border-bottom:1px solid #ddd;padding:.35em .5em;text-align:right;white-space:nowrap}
        th:first-child,td:first-child,th:nth-child(2),td:nth-child(2){text-align:left}
        .muted{color:#666;font-size:.9em}.withheld{color:#888}td.note{white-space:normal;text-align:left}
        svg{width:100%;max-width:720px;height:auto;display:block}
        .legend span{display:inline-block;width:.8em;height:.8em;margin:0 .3em 0 .8em;vertical-align:middle}
        a{color:#0b57d0}
        """

    /// The overview: ranking, bar chart per platform, monthly trend of every platform together.
    static func overview(_ report: PublicReport, generatedAt: Date, language: Language) -> String {
        let t = Text(language: language)
        let query = "period=\(report.publicPeriod)"
        let languageQuery = language == .en ? "&lang=en" : ""
        var body: [String] = []
        body.append("<h1>\(t("网络虚拟商品消费投诉 · 平台处理情况公示", "Virtual goods complaints · how platforms handle them"))</h1>")
        body.append(periodLine(report, generatedAt: generatedAt, text: t))
        body.append(navigation(report, language: language, path: "/reports"))
        body.append("<h2>\(t("平台排名", "Ranking"))</h2>")
        body.append("<p class=\"muted\">\(t("所有平台按同一标准衡量：首次答复应在投诉提交后 \(report.standard.responseDays) 个工作日内。按按时答复率、解决率、答复率各自 95% 置信区间（Wilson）下限的平均值排序，样本少的比率不会因偶然而领先，一律快速驳回也不会；已公布月份的投诉合计少于 \(report.minimumComplaints) 件的平台不公布比率，不参与排名。", "Every platform is measured by one standard: a first response within \(report.standard.responseDays) working days of filing. Ranked by the mean of the lower bounds of the 95 % (Wilson) intervals of the on-time, resolution and response rates, so that neither a rate from few complaints nor rejecting everything at once can lead; platforms with fewer than \(report.minimumComplaints) complaints in published months have their rates withheld and are not ranked."))</p>")
        body.append("<div class=\"scroll\"><table id=\"ranking\"><thead><tr><th>\(t("名次", "Rank"))</th><th>\(t("平台", "Platform"))</th><th>\(t("承诺答复(工作日)", "Promised answer (working days)"))</th><th>\(t("投诉", "Complaints"))</th><th>\(t("撤回", "Withdrawn"))</th><th>\(t("无效", "Invalid"))</th><th>\(t("答复率", "Response rate"))</th><th>\(t("按时答复率", "On-time rate"))</th><th>\(t("解决率", "Resolution rate"))</th><th>\(t("进入调解", "Escalated"))</th><th>\(t("不公平条款 / 报复威胁（经调解员确认）", "Unfair terms / retaliation threats (confirmed by a mediator)"))</th><th>\(t("诉求金额(元)", "Claimed (CNY)"))</th><th>\(t("退款金额(元)", "Refunded (CNY)"))</th><th>\(t("满意度", "Satisfaction"))</th></tr></thead><tbody>")
        for entry in report.entries {
            let link = "/reports/platforms/\(entry.platformID.uuidString.lowercased())?\(query)\(languageQuery)"
            let name = "<a href=\"\(HTML.escape(link))\">\(HTML.escape(entry.platformName))</a>"
            if entry.withheld {
                body.append("<tr class=\"withheld\" data-platform=\"\(entry.platformID.uuidString.lowercased())\"><td>—</td><td>\(name)</td><td>\(entry.promise.responseDays)</td><td>\(entry.complaints)</td><td colspan=\"10\" class=\"note\">\(t("投诉量不足 \(report.minimumComplaints) 件，不公布比率", "fewer than \(report.minimumComplaints) complaints: rates withheld"))</td></tr>")
            } else {
                let c = entry.counts
                body.append("<tr data-platform=\"\(entry.platformID.uuidString.lowercased())\"><td>\(entry.rank.map(String.init) ?? "—")</td><td>\(name)</td><td>\(entry.promise.responseDays)</td><td>\(entry.complaints)</td><td>\(c.withdrawn)</td><td>\(c.invalid)</td><td>\(rate(c.responseRate))</td><td>\(rate(c.onTimeRate))</td><td>\(rate(c.resolutionRate))</td><td>\(c.escalated)</td><td>\(c.unfairTermsConfirmed) / \(c.threatsConfirmed)</td><td>\(yuan(c.amountClaimed))</td><td>\(yuan(c.amountRefunded))</td><td>\(c.satisfaction.map { String(format: "%.2f", $0) } ?? "—") <span class=\"muted\">(\(c.ratings))</span></td></tr>")
            }
        }
        body.append("</tbody></table></div>")
        body.append("<h2>\(t("各平台投诉量与答复率", "Complaints and response rate per platform"))</h2>")
        body.append(platformBars(report, text: t))
        body.append("<h2>\(t("月度趋势（全部平台）", "Monthly trend (all platforms)"))</h2>")
        body.append(trendChart(report.trend, id: "chart-trend", text: t))
        body.append(footer(report, language: language, path: "/public/v1/reports/platforms"))
        return page(title: t("平台投诉处理公示", "Platform complaint report"), language: language, body: body)
    }

    /// One platform: its figures for the period and its monthly trend.
    static func platform(_ entry: PublicReport.Entry, report: PublicReport, generatedAt: Date, language: Language) -> String {
        let t = Text(language: language)
        var body: [String] = []
        body.append("<p><a href=\"/reports?period=\(report.publicPeriod)\(language == .en ? "&amp;lang=en" : "")\">← \(t("全部平台", "All platforms"))</a></p>")
        body.append("<h1>\(HTML.escape(entry.platformName))</h1>")
        body.append(periodLine(report, generatedAt: generatedAt, text: t))
        body.append(navigation(report, language: language, path: "/reports/platforms/\(entry.platformID.uuidString.lowercased())"))
        let c = entry.counts
        body.append("<div class=\"scroll\"><table id=\"figures\"><tbody>")
        body.append("<tr><th>\(t("名次", "Rank"))</th><td>\(entry.rank.map(String.init) ?? "—")</td></tr>")
        body.append("<tr><th>\(t("承诺答复期限", "Promised answer"))</th><td>\(t("\(entry.promise.responseDays) 个工作日（标准 \(report.standard.responseDays) 个工作日）", "\(entry.promise.responseDays) working days (standard: \(report.standard.responseDays))"))\(entry.merchantFirst ? t("，商家先行处理 \(entry.promise.merchantResponseDays) 个工作日", "; merchant first, \(entry.promise.merchantResponseDays) working days") : "")</td></tr>")
        body.append("<tr><th>\(t("投诉", "Complaints"))</th><td>\(entry.complaints)</td></tr>")
        if entry.withheld {
            body.append("<tr class=\"withheld\"><th>\(t("比率", "Rates"))</th><td>\(t("投诉量不足 \(report.minimumComplaints) 件，不公布比率", "fewer than \(report.minimumComplaints) complaints: rates withheld"))</td></tr>")
        } else {
            body.append("<tr><th>\(t("撤回 / 无效", "Withdrawn / invalid"))</th><td>\(c.withdrawn) / \(c.invalid)</td></tr>")
            body.append("<tr><th>\(t("等待答复", "Awaiting response"))</th><td>\(c.awaitingResponse)</td></tr>")
            body.append("<tr><th>\(t("答复率", "Response rate"))</th><td>\(rate(c.responseRate))</td></tr>")
            body.append("<tr><th>\(t("按时答复率", "On-time rate"))</th><td>\(rate(c.onTimeRate))</td></tr>")
            body.append("<tr><th>\(t("解决率", "Resolution rate"))</th><td>\(rate(c.resolutionRate))</td></tr>")
            body.append("<tr><th>\(t("结果：退款或赔偿 / 其他补救 / 仅作解释", "Outcomes: money / other remedy / explanation only"))</th><td>\(c.resolvedMonetary) / \(c.resolvedNonMonetary) / \(c.closedWithExplanation)</td></tr>")
            body.append("<tr><th>\(t("进入调解", "Escalated"))</th><td>\(c.escalated) (\(rate(c.escalationRate)))</td></tr>")
            body.append("<tr><th>\(t("不公平条款（经调解员确认的案件）", "Unfair terms (cases confirmed by a mediator)"))</th><td>\(c.unfairTermsConfirmed)</td></tr>")
            body.append("<tr><th>\(t("报复威胁（经调解员确认的案件）", "Retaliation threats (cases confirmed by a mediator)"))</th><td>\(c.threatsConfirmed)</td></tr>")
            body.append("<tr><th>\(t("重复投诉（同一消费者90天内再次投诉）", "Repeat complaints (the same consumer again within 90 days)"))</th><td>\(c.repeatComplaints) (\(rate(c.repeatRate)))</td></tr>")
            body.append("<tr><th>\(t("集体投诉中的案件", "Cases in collective complaints"))</th><td>\(c.collective)</td></tr>")
            body.append("<tr><th>\(t("诉求金额(元)", "Claimed (CNY)"))</th><td>\(yuan(c.amountClaimed))</td></tr>")
            body.append("<tr><th>\(t("退款金额(元)", "Refunded (CNY)"))</th><td>\(yuan(c.amountRefunded))</td></tr>")
            body.append("<tr><th>\(t("满意度", "Satisfaction"))</th><td>\(c.satisfaction.map { String(format: "%.2f", $0) } ?? "—") (\(c.ratings))</td></tr>")
        }
        body.append("</tbody></table></div>")
        body.append("<h2>\(t("月度趋势", "Monthly trend"))</h2>")
        body.append(trendChart(entry.trend, id: "chart-trend", text: t))
        body.append("<div class=\"scroll\"><table id=\"months\"><thead><tr><th>\(t("月份", "Month"))</th><th>\(t("投诉", "Complaints"))</th><th>\(t("答复率", "Response rate"))</th><th>\(t("按时答复率", "On-time rate"))</th><th>\(t("解决率", "Resolution rate"))</th></tr></thead><tbody>")
        for month in entry.trend {
            let m = month.counts
            let rates = month.inProgress
                ? "<td colspan=\"3\" class=\"withheld\">\(t("本月尚未结束", "month in progress"))</td>"
                : month.withheld
                ? "<td colspan=\"3\" class=\"withheld\">—</td>"
                : "<td>\(rate(m.responseRate))</td><td>\(rate(m.onTimeRate))</td><td>\(rate(m.resolutionRate))</td>"
            body.append("<tr><td>\(PublicReportResponse.monthLabel(month.month))</td><td>\(month.complaints)</td>\(rates)</tr>")
        }
        body.append("</tbody></table></div>")
        body.append(footer(report, language: language, path: "/public/v1/reports/platforms"))
        return page(title: "\(entry.platformName) · \(t("投诉处理公示", "complaint report"))", language: language, body: body)
    }

    // MARK: - Charts

    /// Horizontal bars: complaints (scaled to the largest) and, beneath, the response rate (0–100 %)
    /// for the 20 platforms with the most complaints.
    static func platformBars(_ report: PublicReport, text t: Text) -> String {
        let shown = report.entries.sorted { ($0.complaints, $1.platformName) > ($1.complaints, $0.platformName) }.prefix(20)
        guard !shown.isEmpty else { return "<p class=\"muted\">\(t("暂无数据", "No data"))</p>" }
        let maximum = max(shown.map(\.complaints).max() ?? 1, 1)
        let label = 96.0, width = 420.0, barWidth = width - label - 56, rowHeight = 36.0
        let height = Double(shown.count) * rowHeight + 10
        var svg = "<svg id=\"chart-platforms\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(t("各平台投诉量与答复率", "Complaints and response rate per platform"))\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"13\">"
        for (index, entry) in shown.enumerated() {
            let y = Double(index) * rowHeight + 4
            let name = entry.platformName.count > 8 ? String(entry.platformName.prefix(7)) + "…" : entry.platformName
            let complaints = entry.complaints
            let length = max(barWidth * Double(complaints) / Double(maximum), complaints > 0 ? 1 : 0)
            svg += "<text x=\"\(Int(label - 6))\" y=\"\(format(y + 13))\" text-anchor=\"end\">\(HTML.escape(name))</text>"
            svg += "<rect class=\"complaints\" data-value=\"\(complaints)\" x=\"\(Int(label))\" y=\"\(format(y))\" width=\"\(format(length))\" height=\"14\" fill=\"#3b6fd4\"><title>\(HTML.escape(entry.platformName)): \(complaints)</title></rect>"
            svg += "<text x=\"\(format(label + length + 4))\" y=\"\(format(y + 12))\">\(complaints)</text>"
            if !entry.withheld, let value = entry.counts.responseRate.value {
                svg += "<rect class=\"response-rate\" data-value=\"\(String(format: "%.4f", value))\" x=\"\(Int(label))\" y=\"\(format(y + 16))\" width=\"\(format(barWidth * value))\" height=\"9\" fill=\"#2e9d5b\"><title>\(HTML.escape(entry.platformName)): \(rate(entry.counts.responseRate))</title></rect>"
                svg += "<text x=\"\(format(label + barWidth * value + 4))\" y=\"\(format(y + 25))\" font-size=\"11\">\(rate(entry.counts.responseRate))</text>"
            }
        }
        svg += "</svg>"
        let legend = "<p class=\"legend muted\"><span style=\"background:#3b6fd4\"></span>\(t("投诉量", "complaints"))<span style=\"background:#2e9d5b\"></span>\(t("答复率", "response rate"))</p>"
        return svg + legend
    }

    /// Complaints per month and, over them, those answered on time: two lines on one scale.
    static func trendChart(_ months: [PublicReport.Month], id: String, text t: Text) -> String {
        guard !months.isEmpty else { return "" }
        let width = 420.0, height = 220.0, left = 40.0, right = 14.0, top = 12.0, bottom = 30.0
        let maximum = Double(max(months.map(\.complaints).max() ?? 1, 1))
        let step = months.count > 1 ? (width - left - right) / Double(months.count - 1) : 0
        func x(_ index: Int) -> Double { months.count > 1 ? left + step * Double(index) : (left + width - right) / 2 }
        func y(_ value: Int) -> Double { top + (height - top - bottom) * (1 - Double(value) / maximum) }
        var svg = "<svg id=\"\(id)\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(t("月度趋势", "Monthly trend"))\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"11\">"
        svg += "<line x1=\"\(Int(left))\" y1=\"\(format(height - bottom))\" x2=\"\(Int(width - right))\" y2=\"\(format(height - bottom))\" stroke=\"#999\"/>"
        for fraction in [0.0, 0.5, 1.0] {
            let value = Int((maximum * fraction).rounded())
            svg += "<text x=\"\(Int(left - 6))\" y=\"\(format(y(value) + 4))\" text-anchor=\"end\" fill=\"#666\">\(value)</text>"
            svg += "<line x1=\"\(Int(left))\" y1=\"\(format(y(value)))\" x2=\"\(Int(width - right))\" y2=\"\(format(y(value)))\" stroke=\"#eee\"/>"
        }
        let complaints = months.enumerated().map { "\(format(x($0.offset))),\(format(y($0.element.complaints)))" }.joined(separator: " ")
        svg += "<polyline class=\"complaints\" points=\"\(complaints)\" fill=\"none\" stroke=\"#3b6fd4\" stroke-width=\"2\"/>"
        let visible = months.enumerated().filter { !$0.element.withheld }
        if !visible.isEmpty {
            let onTime = visible.map { "\(format(x($0.offset))),\(format(y($0.element.counts.respondedOnTime)))" }.joined(separator: " ")
            svg += "<polyline class=\"on-time\" points=\"\(onTime)\" fill=\"none\" stroke=\"#2e9d5b\" stroke-width=\"2\" stroke-dasharray=\"5 3\"/>"
        }
        for (index, month) in months.enumerated() {
            let label = PublicReportResponse.monthLabel(month.month)
            svg += "<circle class=\"month\" data-month=\"\(label)\" data-value=\"\(month.complaints)\" cx=\"\(format(x(index)))\" cy=\"\(format(y(month.complaints)))\" r=\"3\" fill=\"#3b6fd4\"><title>\(label): \(month.complaints)</title></circle>"
            // The year where it starts or changes, the month alone otherwise; every other month when crowded.
            if months.count <= 7 || index % 2 == 0 {
                let short = index == 0 || month.month.month == 1 ? label : String(label.suffix(2))
                svg += "<text x=\"\(format(x(index)))\" y=\"\(format(height - bottom + 16))\" text-anchor=\"middle\" fill=\"#666\">\(short)</text>"
            }
        }
        svg += "</svg>"
        return svg + "<p class=\"legend muted\"><span style=\"background:#3b6fd4\"></span>\(t("投诉量", "complaints"))<span style=\"background:#2e9d5b\"></span>\(t("按时答复", "answered on time"))</p>"
    }

    // MARK: - Pieces

    /// The period, whether its figures are final, and when the page was built.
    static func periodLine(_ report: PublicReport, generatedAt: Date, text t: Text) -> String {
        let state = report.final
            ? t("终版", "final")
            : t("暂定：部分投诉仍在 \(report.standard.responseDays) 个工作日的标准期限内，答复数字还会变化", "provisional: some complaints are still inside the standard \(report.standard.responseDays) working days, so the response figures can still change")
        return "<p class=\"muted\">\(t("统计期间", "Period")): \(report.publicPeriod) (\(report.period.from) – \(report.period.to)) · \(state) · \(t("生成时间", "Generated")): \(HTML.escape(APIJSON.rfc3339(generatedAt)))</p>"
    }

    /// Only months, quarters and years are published: a field for one, and the neighbouring months.
    static func navigation(_ report: PublicReport, language: Language, path: String) -> String {
        let t = Text(language: language)
        let other = language == .en ? "" : "&amp;lang=en"
        let here = language == .en ? "&amp;lang=en" : ""
        let first = report.period.from.firstOfMonth
        let previous = PublicPeriod.month(first.addingMonths(-1)), next = PublicPeriod.month(report.period.to.firstOfMonth.addingMonths(1))
        return """
            <form method="get" action="\(HTML.escape(path))"><label>\(t("期间（月 2026-09、季 2026-Q3、年 2026）", "Period (month 2026-09, quarter 2026-Q3, year 2026)")) \
            <input name="period" value="\(report.publicPeriod)" pattern="[0-9]{4}(-(0[1-9]|1[0-2]|Q[1-4]))?" required></label>\
            \(language == .en ? "<input type=\"hidden\" name=\"lang\" value=\"en\">" : "")<button type="submit">\(t("查询", "Show"))</button>\
            <a href="\(HTML.escape(path))?period=\(previous)\(here)">← \(previous)</a> <a href="\(HTML.escape(path))?period=\(next)\(here)">\(next) →</a> \
            <a href="\(HTML.escape(path))?period=\(report.publicPeriod)\(other)">\(t("English", "简体中文"))</a></form>
            """
    }

    static func footer(_ report: PublicReport, language: Language, path: String) -> String {
        let t = Text(language: language)
        let query = "period=\(report.publicPeriod)"
        return """
            <h2>\(t("数据与口径", "Data and definitions"))</h2>
            <p class="muted">\(t("按投诉提交日（当地日期）按整月、季度或年度统计。被调解组织认定无效的投诉，以及在标准期限内、平台答复前即撤回的投诉，不计入比率的分母；仍在标准期限内未获答复的投诉不算逾期。“解决”仅指消费者确认已获退款、赔偿或其他补救；接受平台解释而结案的单独列出。某平台某月投诉不足 \(report.minimumComplaints) 件、或该月尚未结束时，该月只公布投诉件数；某月评价少于 \(report.minimumRatings) 条时不公布满意度；期间比率与金额只汇总已公布的月份。仅公布平台层面的汇总数据，不含任何消费者、订单或投诉内容。", "Complaints are counted by their local day of submission, by month, quarter or year. Complaints the mediation body found invalid, and those withdrawn before any answer while the standard deadline still ran, are left out of the rates' base; an unanswered complaint still inside the standard deadline is not late. “Resolved” means the consumer confirmed a refund, compensation or other remedy; cases closed by accepting the platform's explanation are shown apart. A platform's month with fewer than \(report.minimumComplaints) complaints, or a month not yet over, shows its number of complaints only; a month with fewer than \(report.minimumRatings) ratings shows no satisfaction; a period's rates and amounts add up the published months alone. Only platform-level aggregates are published: no consumer, order or complaint text."))</p>
            <nav><a href="\(path)?\(query)">JSON</a><a href="\(path)?\(query)&amp;format=csv">CSV</a></nav>
            """
    }

    /// Whether a path is one of the HTML pages (and not the JSON or CSV report).
    static func serves(_ path: String) -> Bool {
        path == "/reports" || path.hasPrefix("/reports/")
    }

    /// An error on a page, as a page: the title in the page's language, what was wrong, and the way
    /// back to the overview.
    static func errorPage(_ error: RedressError, requestID: String, language: Language) -> String {
        let t = Text(language: language)
        var body = ["<h1>\(HTML.escape(error.code.title(in: language)))</h1>"]
        if !error.invalidFields.isEmpty {
            let items = error.invalidFields.map { "<li><code>\(HTML.escape($0.field))</code>: \(HTML.escape($0.reason))</li>" }
            body.append("<ul>\(items.joined())</ul>")
        }
        body.append("<p class=\"muted\">\(t("请求编号", "Request id")): \(HTML.escape(requestID))</p>")
        body.append("<p><a href=\"/reports\(language == .en ? "?lang=en" : "")\">\(t("返回平台公示", "Back to the platform report"))</a></p>")
        return page(title: error.code.title(in: language), language: language, body: body)
    }

    static func errorResponse(_ error: RedressError, request: Request, context: RedressRequestContext) -> Response {
        let language: Language = request.uri.queryParameters["lang"] == "en" ? .en : .zhCN
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
        if let retryAfter = error.retryAfterSeconds { headers[.retryAfter] = String(retryAfter) }
        return Response(
            status: .init(code: error.status), headers: headers,
            body: .init(byteBuffer: ByteBuffer(string: errorPage(error, requestID: context.requestID, language: language))))
    }

    static func page(title: String, language: Language, body: [String]) -> String {
        """
        <!doctype html>
        <html lang="\(language.rawValue)"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(HTML.escape(title))</title>
        <style>\(style)</style>
        </head><body>
        \(body.joined(separator: "\n"))
        </body></html>
        """
    }

    static func rate(_ rate: Rate) -> String {
        rate.value.map { String(format: "%.1f%%", $0 * 100) } ?? "—"
    }

    /// Fen as yuan with thousands separators: `1,234.50`.
    static func yuan(_ fen: Int) -> String {
        let sign = fen < 0 ? "-" : ""
        let digits = Array(String(fen.magnitude / 100))
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { grouped += "," }
            grouped.append(digit)
        }
        let cents = fen.magnitude % 100
        return sign + grouped + (cents < 10 ? ".0" : ".") + String(cents)
    }

    /// One decimal, for SVG coordinates (String(format:) is slow on Linux and this runs per point).
    static func format(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        let whole = abs(tenths) / 10, fraction = abs(tenths) % 10
        return (tenths < 0 ? "-" : "") + String(whole) + "." + String(fraction)
    }
}
