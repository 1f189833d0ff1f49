import RedressCore

/// What the console says, in Simplified Chinese (the default) and English. Templates read the table
/// as `t.<key>`; states, actions, roles and categories have their own names here.
enum ConsoleText {
    static let phrases: [String: (zh: String, en: String)] = [
        "skip_to_content": ("跳到正文", "Skip to content"),
        "navigation": ("导航", "Navigation"),
        "sign_in": ("登录", "Sign in"),
        "sign_out": ("退出", "Sign out"),
        "email": ("电子邮箱", "E-mail"),
        "password": ("密码", "Password"),
        "second_factor_code": ("动态验证码（或恢复码）", "Authenticator code (or a recovery code)"),
        "new_password": ("新密码（管理员重置后须设置）", "New password (required after a reset)"),
        "please_correct": ("请更正以下内容", "Please correct the following"),
        "footer": ("Redress 网络虚拟商品消费投诉调解", "Redress · complaint mediation for virtual goods"),
        "request_id": ("请求编号", "Request id"),
        "back_home": ("返回首页", "Back to the start"),
        "my_cases": ("我的投诉", "My complaints"),
        "open_cases": ("待处理投诉", "Open cases"),
        "triage_queue": ("待受理队列", "Triage queue"),
        "all_cases": ("全部投诉", "All cases"),
        "file_a_complaint": ("提交投诉", "File a complaint"),
        "no_cases": ("暂无投诉。", "No cases."),
        "overdue": ("已超期", "Overdue"),
        "deadline": ("期限", "Deadline"),
        "whose_turn": ("待处理方", "Whose turn"),
        "filed": ("提交于", "Filed"),
        "next_page": ("下一页", "Next page"),
        "facts": ("投诉内容", "The complaint"),
        "category": ("类别", "Category"),
        "order_no": ("订单号", "Order number"),
        "product": ("商品名称", "Product"),
        "amount_paid": ("实付金额", "Amount paid"),
        "amount_paid_yuan": ("实付金额（元）", "Amount paid (CNY)"),
        "statement": ("事实经过", "What happened"),
        "statement_hint": ("写清时间、经过和与商家沟通的结果；避免情绪化表述。", "Say when and what happened and how talking to the seller went; facts, not feelings."),
        "demands": ("诉求", "Demands"),
        "demand": ("诉求", "Demand"),
        "demand_amount_yuan": ("诉求金额（元）", "Amount demanded (CNY)"),
        "demand_text": ("补充说明（可选）", "Details (optional)"),
        "answer": ("答复", "Answer"),
        "proposal": ("方案", "Proposal"),
        "readiness": ("投诉材料检查", "Checking the complaint"),
        "next_step": ("下一步", "Next step"),
        "what_you_can_do": ("您可以", "What you can do"),
        "thread": ("沟通记录", "Messages"),
        "no_messages": ("暂无消息。", "No messages yet."),
        "older_messages": ("仅显示最近 100 条消息。", "Only the newest 100 messages are shown."),
        "internal_note": ("内部备注", "Internal note"),
        "message": ("留言", "Message"),
        "send": ("发送", "Send"),
        "filing_intro": ("按步骤填写：在哪里买的、订单信息、出了什么问题、具体诉求。提交前可先检查，系统会指出缺少的材料和不具体的诉求。", "Step by step: where you bought, the order, what went wrong, what you ask for. Check first: Redress points out missing evidence and vague demands."),
        "step_where": ("购买平台与问题类别", "Where you bought and what kind of problem"),
        "step_order": ("订单信息", "The order"),
        "step_problem": ("出了什么问题", "What went wrong"),
        "step_demand": ("具体诉求", "What you ask for"),
        "platform": ("平台", "Platform"),
        "title": ("标题", "Title"),
        "check_first": ("先检查", "Check first"),
        "file": ("提交投诉", "File"),
        "filed_notice": ("投诉已提交。", "Your complaint is filed."),
        "done_notice": ("已完成。", "Done."),
        "sent_notice": ("已发送。", "Sent."),
        "check_clean": ("未发现问题，可以提交。", "Nothing to point out: ready to file."),
        "yes": ("是", "Yes"),
        "reason": ("理由", "Reason"),
        "decision": ("决定", "Decision"),
        "refund_yuan": ("退款金额（元）", "Refund (CNY)"),
        "compensation_yuan": ("赔偿金额（元）", "Compensation (CNY)"),
        "reissue": ("补发商品", "Deliver the goods again"),
        "apology": ("致歉", "Apologise"),
        "proposal_text": ("方案说明", "The proposal in words"),
        "mediation_body": ("调解组织", "Mediation body"),
        "mediator": ("调解员", "Mediator"),
        "channel": ("渠道", "Channel"),
        "reference": ("受理编号", "Reference"),
        "rating": ("评分（1-5）", "Rating (1-5)"),
        "comment": ("评价", "Comment"),
        "invalid_reason": ("无效理由", "Ground"),
        "text": ("内容", "Text"),
        "outcome": ("结果", "Outcome"),
        "fault": ("责任方", "Fault"),
        "ultimatum_days": ("限期（工作日）", "Ultimatum (working days)"),
        "propose": ("提出方案", "Propose"),
        "reject_answer": ("拒绝并说明理由", "Reject with reasons"),
        "accept_case": ("受理", "Accept"),
        "decline_case": ("不予受理", "Decline"),
        "not_found": ("找不到该页面或投诉。", "No such page or case."),
        "forbidden": ("您的账号无权查看此页面。", "Your account may not see this page."),
        "form_expired": ("表单已过期，请刷新页面后重试。", "The form expired: reload the page and try again."),
        "invalid_credentials": ("邮箱或密码不正确。", "Wrong e-mail or password."),
        "evidence": ("证据", "Evidence"),
        "no_evidence": ("尚未上传证据。", "No evidence yet."),
        "evidence_kind": ("证据类型", "Kind of evidence"),
        "evidence_file": ("文件（图片、PDF、文本、录音或录像）", "File (image, PDF, text, recording or video)"),
        "upload": ("上传", "Upload"),
        "second_factor": ("两步验证", "Two-step sign-in"),
        "second_factor_intro": ("您的角色须以两步验证登录。请输入密码开始设置，然后用身份验证器应用扫描二维码。", "Your role signs in with a second factor. Enter your password to begin, then scan the code with an authenticator app."),
        "scan_intro": ("用身份验证器应用（如 Google Authenticator、Microsoft Authenticator）扫描二维码，然后输入它显示的 6 位验证码。", "Scan the code with an authenticator app, then enter the 6 digits it shows."),
        "qr_alt": ("身份验证器二维码（也可手动输入下方密钥）", "Authenticator QR code (or type the key below)"),
        "manual_key": ("手动输入密钥", "Key to type by hand"),
        "confirm": ("确认", "Confirm"),
        "start": ("开始", "Begin"),
        "continue": ("继续", "Continue"),
        "recovery_codes_intro": ("两步验证已启用。请妥善保存以下恢复码：每个只能使用一次，且只显示这一次。", "Two-step sign-in is on. Keep these recovery codes safe: each works once, and they are shown only now."),
        "register": ("注册", "Register"),
        "register_intro": ("注册消费者账号：我们会向您的邮箱发送一个链接，点击后账号即创建。", "A consumer account: we mail you a link, and the account is created when you open it."),
        "register_sent": ("请查收邮件，点击其中的链接完成注册。", "Check your mail and open the link in it to finish."),
        "password_hint": ("至少 10 个字符；不要使用常见密码或您的邮箱。", "At least 10 characters; not a common password, not your e-mail."),
        "display_name": ("称呼（可选）", "Name (optional)"),
        "phone": ("手机号（可选）", "Mobile number (optional)"),
        "have_account": ("已有账号？登录", "Have an account? Sign in"),
        "no_account": ("没有账号？注册", "No account? Register"),
        "forgot_password": ("忘记密码？", "Forgot your password?"),
        "verify_email": ("验证邮箱", "Confirm your e-mail"),
        "verify_intro": ("输入注册时设置的密码以创建账号。如果您没有注册过，请忽略此页面。", "Enter the password you chose when registering to create the account. If you did not register, leave this page."),
        "registration_password": ("注册时设置的密码", "The password you chose when registering"),
        "create_account": ("创建账号", "Create the account"),
        "link_invalid": ("该链接无效或已过期。", "This link is invalid or has expired."),
        "account_created": ("账号已创建，现在可以登录。", "Your account is created: you can sign in now."),
        "reset_password": ("重设密码", "Reset your password"),
        "reset_intro": ("输入您的邮箱，我们会发送一个 30 分钟内有效的链接。", "Enter your e-mail: we send a link that works for 30 minutes."),
        "send_link": ("发送链接", "Send the link"),
        "choose_password": ("新密码", "New password"),
        "reset_sent": ("如果该邮箱有账号，重设链接已发送。", "If the address has an account, a link is on its way."),
        "password_changed": ("密码已更改。", "Your password is changed."),
        "my_account": ("我的账号", "My account"),
        "sessions": ("登录设备", "Where you are signed in"),
        "sessions_intro": ("不认识的登录请结束它，并修改密码。", "End any session you do not recognise, and change your password."),
        "unknown_client": ("未知设备", "Unknown device"),
        "signed_in_at": ("登录于", "Signed in"),
        "last_used": ("最近使用", "Last used"),
        "this_session": ("当前设备", "This device"),
        "end_session": ("结束", "End"),
        "more_sessions": ("仅显示前 100 个登录。", "Only the first 100 sessions are shown."),
        "end_other_sessions": ("结束其他所有登录", "End every other session"),
        "your_data": ("您的数据", "Your data"),
        "export_intro": ("下载 Redress 保存的关于您的全部数据（JSON 文件）。", "Download everything Redress holds about you (a JSON file)."),
        "download_export": ("下载数据", "Download"),
        "erase_account": ("注销账号", "Erase my account"),
        "erase_intro": ("注销后您的账号和个人信息将被删除，无法恢复；投诉须先全部结束或撤回。", "Your account and your personal data are deleted for good; every complaint must be closed or withdrawn first."),
        "link": ("链接", "Link"),
        "nothing_here": ("暂无。", "Nothing yet."),
        "no": ("否", "No"),
        "events": ("事件", "Events"),
        "chain_intact": ("审计链完整", "Chain intact"),
        "first_broken": ("首个断裂处", "First broken link"),
        "audit_check": ("审计链核验", "Audit chain check"),
        "audit_check_intro": ("重新计算本案每条审计记录的哈希链：任何篡改、删除或插入都会被发现。", "Every event of the case is hashed again in order: any change, removal or insertion shows."),
        "result": ("结果", "Result"),
        "item": ("项目", "Item"),
        "value": ("值", "Value"),
        "back_to_case": ("返回案件", "Back to the case"),
        "clusters": ("疑似同类投诉", "Clusters"),
        "clusters_intro": ("系统根据同一商家（同一统一社会信用代码）或同一商品、相近时间和相似陈述提出的分组，供调解组织合并处理。", "Groups Redress proposes: the same company's merchants or the same product, close in time, with similar statements."),
        "proposed_clusters": ("建议分组", "Proposed"),
        "same_merchant": ("同一商家", "Same merchant"),
        "same_product": ("同一商品", "Same product"),
        "size": ("案件数", "Cases"),
        "updated": ("更新于", "Updated"),
        "cases": ("案件", "Cases"),
        "merchant_record": ("商家记录", "Merchant record"),
        "complaints": ("投诉", "Complaints"),
        "open": ("处理中", "Open"),
        "unresolved": ("未解决", "Unresolved"),
        "missed_deadline": ("超期未答复", "Missed deadline"),
        "refunded": ("退款金额", "Refunded"),
        "police_referrals": ("移送公安", "Police referrals"),
        "invalid": ("无效投诉", "Invalid"),
        "by_platform": ("按平台", "By platform"),
        "by_month": ("按月份", "By month"),
        "by_period": ("按期间", "By period"),
        "by_category": ("按类别", "By category"),
        "month": ("月份", "Month"),
        "period": ("期间", "Period"),
        "total": ("合计", "Total"),
        "statistics": ("统计", "Statistics"),
        "platforms": ("平台", "Platforms"),
        "company": ("企业名称", "Company"),
        "responded_on_time": ("按时答复", "Answered on time"),
        "response_rate": ("答复率", "Response rate"),
        "resolution_rate": ("解决率", "Resolution rate"),
        "escalated": ("转调解", "Escalated"),
        "referred": ("移送", "Referred"),
        "repeat_complaints": ("重复投诉", "Repeat complaints"),
        "collective": ("集体投诉", "Collective"),
        "median_first_response_hours": ("首次答复中位时长（小时）", "Median first answer (hours)"),
        "metrics_intro": ("各项指标的定义见统计说明。", "Each figure is defined in the statistics guide."),
        "webhooks": ("Webhook", "Webhooks"),
        "webhooks_intro": ("本组织接收案件事件的地址及其投递记录。", "Where your organisation receives case events, and how each delivery went."),
        "endpoints": ("接收地址", "Endpoints"),
        "address": ("地址", "Address"),
        "status": ("状态", "Status"),
        "created": ("创建于", "Created"),
        "enabled": ("启用", "Enabled"),
        "disabled": ("停用", "Disabled"),
        "deliveries": ("投递记录", "Deliveries"),
        "case": ("案件", "Case"),
        "attempts": ("尝试次数", "Attempts"),
        "http_status": ("HTTP 状态", "HTTP status"),
        "latency": ("耗时", "Latency"),
        "error": ("错误", "Error"),
        "organisations": ("机构", "Organisations"),
        "organisations_intro": ("平台与调解组织名录。", "The directory of platforms and mediation bodies."),
        "credit_code": ("统一社会信用代码", "Credit code"),
        "response_days": ("答复期限（工作日）", "Answer within (working days)"),
        "mediation_bodies": ("调解组织", "Mediation bodies"),
        "region": ("地区", "Region"),
        "staff": ("工作人员", "Staff"),
        "name": ("名称", "Name"),
        "role": ("角色", "Role"),
        "calendar": ("工作日历", "Working calendar"),
        "calendar_intro": ("法定节假日与调休上班日：期限按工作日计算。", "Official holidays and weekend days worked: deadlines count working days."),
        "date": ("日期", "Date"),
        "kind": ("类型", "Kind"),
        "working_day": ("上班", "Working day"),
        "day_off": ("休息", "Day off"),
        "dossier": ("案件材料（可打印）", "Dossier (printable)"),
        "verify_audit": ("核验审计链", "Check the audit chain"),
        "merchant_record_link": ("该商家在各平台的记录", "This merchant on every platform"),
        "supplement": ("补充材料", "Add to your complaint"),
        "supplement_intro": ("补充新的事实或证据：先上传文件，再在此说明并勾选。", "New facts or evidence: upload the files first, then say what they show and tick them."),
        "supplement_statement": ("补充说明", "What is new"),
        "supplement_files": ("附上的证据", "Files it refers to"),
        "add_supplement": ("提交补充", "Add"),
        "flags": ("风险提示", "Flags"),
        "unfair_term": ("疑似不公平格式条款", "Possibly unfair standard term"),
        "retaliation_threat": ("疑似报复威胁", "Possible retaliation threat"),
        "flag_open": ("待调解员认定", "awaiting a mediator's decision"),
        "flag_confirmed": ("已认定", "confirmed"),
        "flag_dismissed": ("不予认定", "dismissed"),
        "flag_confirm": ("认定", "Confirm"),
        "flag_dismiss": ("不予认定", "Dismiss"),
        "flag_note": ("说明（可选）", "Note (optional)"),
        "decide": ("提交决定", "Decide"),
        "staff_intro": ("停用账号会立即结束其所有登录；被停用调解员的案件退回组长。", "Disabling an account ends every session of it at once; a disabled mediator's cases go back to the lead."),
        "change": ("操作", "Change"),
        "disable": ("停用", "Disable"),
        "enable": ("启用", "Enable"),
        "new_staff": ("新建工作人员账号", "New staff account"),
        "first_password": ("初始密码（至少 10 个字符）", "First password (at least 10 characters)"),
        "organisation": ("所属机构", "Organisation"),
        "no_organisation": ("无（审计员、管理员）", "None (auditors, administrators)"),
        "create": ("创建", "Create"),
        "new_webhook": ("新增接收地址", "New endpoint"),
        "webhook_url": ("接收地址（HTTPS）", "Address (HTTPS)"),
        "all_events": ("全部事件（包括以后新增的）", "Every event (and those added later)"),
        "description": ("说明（可选）", "Description (optional)"),
        "webhook_secret_intro": ("接收地址已创建。以下签名密钥只显示这一次，请立即保存到接收方：", "The endpoint is created. Its signing secret is shown this once: store it with your receiver now."),
        "enrol_first": ("请先启用两步验证。", "Set up two-step sign-in first."),
    ]

    static func table(_ language: Language) -> [String: String] {
        phrases.mapValues { language == .en ? $0.en : $0.zh }
    }

    static func phrase(_ key: String, _ language: Language) -> String {
        guard let entry = phrases[key] else { return key }
        return language == .en ? entry.en : entry.zh
    }

    static func state(_ state: ComplaintState, _ language: Language) -> String {
        let names: (String, String) =
            switch state {
            case .awaitingMerchant: ("等待商家答复", "Awaiting the merchant")
            case .awaitingPlatform: ("等待平台答复", "Awaiting the platform")
            case .proposalMade: ("已提出方案", "Proposal made")
            case .escalated: ("已提请调解", "Escalated to mediation")
            case .inMediation: ("调解中", "In mediation")
            case .resolutionAgreed: ("已达成方案", "Resolution agreed")
            case .closedResolved: ("已解决", "Resolved")
            case .mediationFailed: ("调解未成", "Mediation failed")
            case .referred: ("已转交", "Referred")
            case .withdrawn: ("已撤回", "Withdrawn")
            case .invalid: ("无效投诉", "Invalid")
            case .closed: ("已关闭", "Closed")
            }
        return language == .en ? names.1 : names.0
    }

    static func action(_ action: ComplaintAction, _ language: Language) -> String {
        let names: (String, String) =
            switch action {
            case .respond: ("答复（方案或拒绝）", "Answer (a proposal or a reasoned rejection)")
            case .escalateToPlatform: ("请平台处理", "Ask the platform")
            case .accept: ("接受方案", "Accept the proposal")
            case .reject: ("拒绝方案", "Reject the proposal")
            case .escalate: ("提请调解", "Take it to mediation")
            case .triage: ("受理审查", "Triage")
            case .assign: ("指派调解员", "Assign a mediator")
            case .propose: ("提出调解方案", "Propose a settlement")
            case .fail: ("调解未成", "Record that mediation failed")
            case .refer: ("转交 12315、法院或公安", "Refer to 12315, a court or the police")
            case .confirmFulfilment: ("确认已履行", "Confirm it was done")
            case .reportUnfulfilled: ("报告未履行", "Report it was not done")
            case .withdraw: ("撤回投诉", "Withdraw")
            case .rate: ("评价", "Rate")
            case .markInvalid: ("标记为无效", "Mark invalid")
            case .close: ("关闭", "Close")
            case .disputeValidity: ("对投诉有效性提出异议", "Dispute the complaint's validity")
            case .acknowledge: ("回复正在处理", "Reply that it is in hand")
            case .handToMerchant: ("转商家处理", "Hand to the merchant")
            case .recordReferral: ("登记转交结果", "Record the referral")
            case .recordFinding: ("认定责任", "Record the finding")
            case .setUltimatum: ("设定限期", "Set an ultimatum")
            }
        return language == .en ? names.1 : names.0
    }

    static func role(_ role: Role, _ language: Language) -> String {
        let names: (String, String) =
            switch role {
            case .consumer: ("消费者", "Consumer")
            case .merchantStaff: ("商家", "Merchant staff")
            case .platformStaff: ("平台客服", "Platform staff")
            case .platformAdmin: ("平台管理员", "Platform administrator")
            case .mediator: ("调解员", "Mediator")
            case .mediationLead: ("调解负责人", "Mediation lead")
            case .auditor: ("审计员", "Auditor")
            case .admin: ("系统管理员", "Administrator")
            }
        return language == .en ? names.1 : names.0
    }

    static func category(_ category: ComplaintCategory, _ language: Language) -> String {
        let names: (String, String) =
            switch category {
            case .nonDelivery: ("付款后未发货 / 卡密未到账", "Paid, not delivered")
            case .notAsDescribed: ("与描述不符", "Not as described")
            case .serviceBreach: ("服务违约", "Service not as agreed")
            case .other: ("其他", "Other")
            }
        return language == .en ? names.1 : names.0
    }

    static func demandKind(_ kind: Demand.Kind, _ language: Language) -> String {
        let names: (String, String) =
            switch kind {
            case .refund: ("退款", "Refund")
            case .reissue: ("补发", "Deliver again")
            case .apology: ("道歉", "Apology")
            case .compensation: ("赔偿", "Compensation")
            case .other: ("其他", "Other")
            }
        return language == .en ? names.1 : names.0
    }

    /// Who must move the case next, as a person reads it.
    static func turn(_ state: ComplaintState, _ language: Language) -> String? {
        let names: (String, String)? =
            switch state {
            case .awaitingMerchant: ("商家", "The merchant")
            case .awaitingPlatform: ("平台", "The platform")
            case .proposalMade: ("消费者", "The consumer")
            case .resolutionAgreed: ("平台履行方案", "The platform, to carry out the agreement")
            case .escalated, .inMediation: ("调解组织", "The mediation body")
            default: nil
            }
        return names.map { language == .en ? $0.1 : $0.0 }
    }
}
