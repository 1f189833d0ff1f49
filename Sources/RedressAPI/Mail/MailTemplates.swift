import Foundation
import RedressCore

/// The words of each mail, in Simplified Chinese (the default) and English. A mail about a case names
/// the case by its reference and links to it; it carries no statement, message or name, so that a
/// mail read by someone else reveals nothing but that a case exists.
enum MailTemplates {
    struct Text {
        let subject: String
        let body: String
    }

    static func headline(_ type: String, english: Bool) -> String? {
        let lines: [String: (String, String)] = [
            "complaint.submit": ("收到一件新投诉", "A new complaint has arrived"),
            "complaint.escalate_to_platform": ("商家未在期限内处理，投诉已转交平台", "The merchant did not answer in time: the complaint is now the platform's"),
            "complaint.respond": ("您的投诉已收到答复", "Your complaint has been answered"),
            "complaint.triage": ("调解组织已审核您的投诉", "The mediation body has reviewed your complaint"),
            "complaint.reject": ("消费者未接受答复", "The consumer did not accept the answer"),
            "complaint.accept": ("消费者接受了方案", "The consumer accepted the proposal"),
            "complaint.report_unfulfilled": ("消费者报告方案未履行", "The consumer reports that the agreement was not fulfilled"),
            "complaint.dispute_validity": ("平台请求调解组织认定投诉无效", "The platform asks the mediation body to rule the complaint invalid"),
            "complaint.escalate": ("投诉已提交调解", "The complaint has been escalated to mediation"),
            "complaint.assign": ("一件投诉已分配给您调解", "A complaint has been assigned to you"),
            "complaint.propose": ("调解员提出了调解方案", "The mediator has made a proposal"),
            "complaint.fail": ("调解未能达成一致", "Mediation has failed"),
            "complaint.refer": ("投诉已转交有关部门", "The complaint has been referred"),
            "complaint.close": ("投诉已结束", "The complaint is closed"),
            "complaint.confirm_fulfilment": ("消费者确认方案已履行，投诉已结束", "The consumer confirmed fulfilment: the complaint is closed"),
            "complaint.withdraw": ("消费者撤回了投诉", "The consumer withdrew the complaint"),
            "complaint.mark_invalid": ("投诉被认定为无效", "The complaint was found invalid"),
            "complaint.deadline_approaching": ("处理期限将在一个工作日内届满", "A deadline ends within one working day"),
            "complaint.overdue": ("已超过处理期限", "A deadline has been missed"),
            "message.post": ("投诉有一条新消息", "There is a new message on a complaint"),
            "complaint.acknowledge": ("商家或平台回复正在处理（这不是答复，处理期限照常计算）", "The seller says it is looking into it (not an answer: the deadline still runs)"),
            "complaint.set_ultimatum": ("消费者设定了最后期限，逾期将自动提交调解", "The consumer has set an ultimatum: the case escalates when it runs out"),
            "complaint.hand_to_merchant": ("平台将一件投诉转交您先行处理", "The platform has handed a complaint to you to answer first"),
            "complaint.supplement": ("消费者补充了投诉材料", "The consumer has added to the complaint"),
            "complaint.record_finding": ("调解员认定了责任归属", "The mediator has found where the fault lies"),
        ]
        return lines[type].map { english ? $0.1 : $0.0 }
    }

    static func caseMail(type: String, complaintID: UUID, state: String?, language: String, link: String, unsubscribe: String?) -> Text? {
        let english = language == "en"
        guard let headline = headline(type, english: english) else { return nil }
        let reference = String(complaintID.uuidString.lowercased().prefix(8))
        var body: [String]
        if english {
            body = ["Hello,", "", "Complaint \(reference): \(headline)."]
            if let state { body.append("Its state: \(state).") }
            body += ["", "See it: \(link)", "", "— Redress complaint mediation"]
            if let unsubscribe { body += ["", "To receive no more mails of this kind: \(unsubscribe)"] }
        } else {
            body = ["您好：", "", "投诉 \(reference)：\(headline)。"]
            if let state { body.append("当前状态：\(state)。") }
            body += ["", "查看：\(link)", "", "—— Redress 投诉调解"]
            if let unsubscribe { body += ["", "不再接收此类邮件：\(unsubscribe)"] }
        }
        let subject = english ? "[Redress] \(headline) (\(reference))" : "【Redress】\(headline)（\(reference)）"
        return Text(subject: subject, body: body.joined(separator: "\n"))
    }

    static func passwordReset(link: String, minutes: Int, language: String) -> Text {
        if language == "en" {
            return Text(
                subject: "[Redress] Reset your password",
                body: """
                    Hello,

                    Someone asked to reset the password of your Redress account. If it was you, choose a new
                    password here within \(minutes) minutes (the link works once):

                    \(link)

                    Every session of your account ends when the password changes. If it was not you, ignore
                    this mail: your password stays as it is.

                    — Redress complaint mediation
                    """)
        }
        return Text(
            subject: "【Redress】重置密码",
            body: """
                您好：

                有人申请重置您的 Redress 账户密码。如果是您本人，请在 \(minutes) 分钟内通过以下链接设置新密码（链接仅可使用一次）：

                \(link)

                密码更改后，您账户的所有登录会话都将结束。如果不是您本人操作，请忽略此邮件，您的密码不会改变。

                —— Redress 投诉调解
                """)
    }

    /// To the account's address when a second factor is set up: a stolen password alone could enrol
    /// the thief's authenticator, and the owner should hear of it at once.
    static func secondFactorEnrolled(language: String) -> Text {
        if language == "en" {
            return Text(
                subject: "[Redress] Two-step sign-in was set up",
                body: """
                    Hello,

                    Two-step sign-in was just set up on your Redress account, and every other session of it
                    ended. If it was you, nothing more is needed.

                    If it was not you, someone has your password: tell your organisation's administrator at
                    once, who can disable the account and reset its password and second factor.

                    — Redress complaint mediation
                    """)
        }
        return Text(
            subject: "【Redress】已启用两步验证",
            body: """
                您好：

                您的 Redress 账户刚刚启用了两步验证，账户的其他登录会话已全部结束。如果是您本人操作，无需处理。

                如果不是您本人操作，说明他人已掌握您的密码：请立即联系您所在机构的管理员，停用该账户并重置密码和两步验证。

                —— Redress 投诉调解
                """)
    }

    static func verification(link: String, language: String) -> Text {
        if language == "en" {
            return Text(
                subject: "[Redress] Confirm your e-mail address",
                body: """
                    Hello,

                    To finish creating your Redress account, open this link within 24 hours:

                    \(link)

                    If you did not register, ignore this mail: no account is created.

                    — Redress complaint mediation
                    """)
        }
        return Text(
            subject: "【Redress】请确认您的邮箱地址",
            body: """
                您好：

                请在 24 小时内打开以下链接，完成 Redress 账户注册：

                \(link)

                如果您没有注册，请忽略此邮件，账户不会被创建。

                —— Redress 投诉调解
                """)
    }

    static func addressTaken(link: String, language: String) -> Text {
        if language == "en" {
            return Text(
                subject: "[Redress] Someone tried to register with your address",
                body: """
                    Hello,

                    Someone tried to create a Redress account with this e-mail address, which already has one.
                    If it was you, sign in; if you forgot your password, reset it here:

                    \(link)

                    If it was not you, you need do nothing: your account is unchanged.

                    — Redress complaint mediation
                    """)
        }
        return Text(
            subject: "【Redress】有人尝试用您的邮箱注册",
            body: """
                您好：

                有人尝试使用此邮箱地址注册 Redress 账户，但该地址已有账户。如果是您本人，请直接登录；如果忘记了密码，可在此重置：

                \(link)

                如果不是您本人操作，您无需做任何事，您的账户不会改变。

                —— Redress 投诉调解
                """)
    }
}
