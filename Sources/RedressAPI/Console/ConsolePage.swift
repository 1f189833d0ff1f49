import Foundation
import Hummingbird
import Mustache
import NIOCore
import RedressCore
import RedressStore

/// Console pages: Mustache templates (`Templates/`), every value escaped by the engine (`{{ }}`; the
/// templates never use the unescaped forms), wrapped in the same head and foot, answered with the
/// console's security headers.
enum ConsolePage {
    /// The templates, read once. `nil` if one does not parse (a test loads them all).
    static let library: MustacheLibrary? = try? loadLibrary()

    static func loadLibrary() throws -> MustacheLibrary {
        guard let folder = Bundle.module.url(forResource: "Templates", withExtension: nil) else { throw RedressError(.internalError) }
        var library = MustacheLibrary()
        for file in try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil) where file.pathExtension == "mustache" {
            try library.register(String(contentsOf: file, encoding: .utf8), named: file.deletingPathExtension().lastPathComponent)
        }
        return library
    }

    static var stylesheet: ByteBuffer {
        let url = Bundle.module.url(forResource: "Static", withExtension: nil)?.appendingPathComponent("console.css")
        return ByteBuffer(bytes: url.flatMap { try? Data(contentsOf: $0) } ?? Data())
    }

    /// Who is looking, as every page's head shows it.
    struct Viewer {
        let language: Language
        let actor: Actor?
        let displayName: String?
        /// The token every form of the page carries.
        let formToken: String
        /// The path of the page (the language switch links back to it).
        let path: String
    }

    static func render(
        _ template: String, title: String, values: [String: Any] = [:], viewer: Viewer, notice: String? = nil,
        errors: [RedressError.InvalidField] = [], status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]
    ) -> Response {
        let language = viewer.language
        var context = values
        context["lang"] = language == .en ? "en" : "zh-CN"
        context["t"] = ConsoleText.table(language)
        context["title"] = title
        context["csrf"] = viewer.formToken
        context["signed_in"] = viewer.actor != nil
        if let actor = viewer.actor {
            context["user_name"] = viewer.displayName ?? ""
            context["role_label"] = ConsoleText.role(actor.role, language)
            context["nav"] = navigation(for: actor, language: language, current: viewer.path)
        }
        if let notice { context["notice"] = notice }
        context["has_errors"] = !errors.isEmpty
        context["errors"] = errors.map { present(["field": $0.field.isEmpty ? "" : fieldLabel($0.field, language), "message": reason($0.reason, language)]) }
        let other: Language = language == .en ? .zhCN : .en
        context["other_language_href"] = viewer.path + "?lang=" + (other == .en ? "en" : "zh-CN")
        context["other_language_code"] = other == .en ? "en" : "zh-CN"
        context["other_language_name"] = other == .en ? "English" : "简体中文"
        guard let html = library?.render(present(context), withTemplate: template) else {
            return Response(status: .internalServerError, headers: ConsoleSecurity.headers, body: .init(byteBuffer: ByteBuffer(string: "Internal error")))
        }
        var headers = ConsoleSecurity.headers
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// The values without their empty texts: Mustache shows a section for any value present, an
    /// empty text included.
    static func present(_ values: [String: Any]) -> [String: Any] {
        values.filter { !(($0.value as? String)?.isEmpty ?? false) }
    }

    /// 303 to a page of the console (after a form, or to sign in).
    static func redirect(_ location: String, headers extra: HTTPFields = [:]) -> Response {
        var headers = ConsoleSecurity.headers
        headers[.location] = location
        headers.append(contentsOf: extra)
        return Response(status: .seeOther, headers: headers)
    }

    /// The links of the head: each role's own pages.
    static func navigation(for actor: Actor, language: Language, current: String) -> [[String: Any]] {
        var links: [(String, String)] = []
        switch actor.role {
        case .consumer:
            links = [("/console/cases", "my_cases"), ("/console/file", "file_a_complaint")]
        case .platformStaff:
            links = [("/console/cases", "open_cases"), ("/console/clusters", "clusters"), ("/console/statistics", "statistics")]
        case .platformAdmin:
            links = [("/console/cases", "open_cases"), ("/console/clusters", "clusters"), ("/console/statistics", "statistics"),
                     ("/console/webhooks", "webhooks"), ("/console/staff", "staff")]
        case .merchantStaff:
            links = [("/console/cases", "open_cases"), ("/console/clusters", "clusters")]
        case .mediator:
            links = [("/console/triage", "triage_queue"), ("/console/cases", "all_cases"), ("/console/clusters", "clusters"), ("/console/statistics", "statistics")]
        case .mediationLead:
            links = [("/console/triage", "triage_queue"), ("/console/cases", "all_cases"), ("/console/clusters", "clusters"), ("/console/statistics", "statistics"),
                     ("/console/webhooks", "webhooks"), ("/console/staff", "staff")]
        case .auditor:
            links = [("/console/cases", "all_cases"), ("/console/clusters", "clusters"), ("/console/statistics", "statistics"), ("/console/organisations", "organisations")]
        case .admin:
            links = [("/console/organisations", "organisations"), ("/console/staff", "staff"), ("/console/calendar", "calendar")]
        }
        links.append(("/console/account", "my_account"))
        return links.map { ["href": $0.0, "label": ConsoleText.phrase($0.1, language), "current": $0.0 == current] }
    }

    /// An error as a page: a person reads what went wrong and where to go; someone not signed in is
    /// sent to sign in.
    static func errorResponse(_ error: RedressError, request: Request, context: RedressRequestContext, keys: Keyring?) -> Response {
        let language = ConsoleLanguage.of(request, context: context)
        if error.code == .unauthenticated { return redirect("/console/sign-in") }
        let viewer = Viewer(
            language: language, actor: context.principal.actor, displayName: nil,
            formToken: keys.flatMap { ConsoleController.formToken(request: request, context: context, keys: $0) } ?? "", path: "/console")
        let detail: String
        switch error.code {
        case .notFound: detail = ConsoleText.phrase("not_found", language)
        case .forbidden where error.detail == "form_expired": detail = ConsoleText.phrase("form_expired", language)
        case .forbidden: detail = ConsoleText.phrase("forbidden", language)
        case .secondFactorEnrolmentRequired: return redirect("/console/second-factor")
        default: detail = ""
        }
        return render(
            "error", title: error.code.title(in: language),
            values: ["heading": error.code.title(in: language), "detail": detail, "request_id": context.requestID],
            viewer: viewer, errors: error.invalidFields, status: .init(code: error.status))
    }

    static func fieldLabel(_ field: String, _ language: Language) -> String {
        let key: String
        switch field {
        case "order.order_no": key = "order_no"
        case "order.product_name": key = "product"
        case "order.amount_paid", "amount_paid": key = "amount_paid"
        case "description": key = "statement"
        case "file", "body": key = "evidence_file"
        case "token": key = "link"
        case "url": key = "address"
        case "event_types": key = "events"
        case let name where name.hasPrefix("demands"): key = "demand"
        case let name where name.hasSuffix(".refund"): key = "refund_yuan"
        case let name where name.hasSuffix(".compensation"): key = "compensation_yuan"
        default: key = field
        }
        return ConsoleText.phrases[key].map { language == .en ? $0.en : $0.zh } ?? field
    }

    /// What a validation reason means, in words.
    static func reason(_ code: String, _ language: Language) -> String {
        let names: [String: (String, String)] = [
            "required": ("必填", "required"),
            "too_long": ("过长", "too long"),
            "out_of_range": ("超出允许范围", "out of range"),
            "invalid_amount": ("金额格式不正确（例如 12.50）", "not an amount (e.g. 12.50)"),
            "unknown_value": ("不是可选的值", "not one of the choices"),
            "holding_reply": ("“正在核实”不是拒绝的理由", "“we are looking into it” is no reason to reject"),
            "empty_proposal": ("方案须包含退款、补发或赔偿", "a proposal must offer a refund, the goods or compensation"),
            "invalid_credentials": ("邮箱或密码不正确", "wrong e-mail or password"),
            "not_evidence": ("不是可接受的证据文件（图片、PDF、文本、录音或录像）", "not a file Redress keeps as evidence (image, PDF, text, recording or video)"),
            "too_many_files": ("证据文件已达上限", "the case holds as many files as it may"),
            "extension_does_not_match_content": ("文件扩展名与内容不符", "the file's extension does not match its content"),
            "does_not_match_content": ("文件类型与内容不符", "the file's type does not match its content"),
            "invalid_email": ("邮箱格式不正确", "not an e-mail address"),
            "invalid_phone": ("手机号格式不正确", "not a mobile number"),
            "too_short": ("过短", "too short"),
            "common_password": ("这是常见密码，容易被猜中", "a common password, easily guessed"),
            "same_as_email": ("不能与邮箱相同", "must not be your e-mail"),
            "too_simple": ("过于简单", "too simple"),
            "incorrect": ("不正确", "incorrect"),
            "invalid_or_expired": ("链接无效或已过期", "the link is invalid or has expired"),
            "control_characters": ("含有不允许的字符", "holds characters that are not allowed"),
            "invalid_url": ("不是有效的网址", "not a valid address"),
            "https_required": ("须使用 HTTPS", "must be HTTPS"),
            "credentials_not_allowed": ("网址中不能包含用户名或密码", "must not hold a user name or password"),
            "address_not_allowed": ("该地址不能接收投递（内网、本机或无法解析）", "deliveries may not go there (a private, local or unknown address)"),
            "unknown_event_type": ("未知的事件类型", "an unknown event type"),
        ]
        return names[code].map { language == .en ? $0.1 : $0.0 } ?? code
    }
}

/// The language of a console page: `?lang=` (remembered in a cookie), else the cookie, else the
/// browser's `Accept-Language`.
enum ConsoleLanguage {
    static let cookie = "redress_lang"

    static func of(_ request: Request, context: RedressRequestContext) -> Language {
        if let asked = requested(request) { return asked }
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if parts.count == 2, parts[0] == cookie { return parts[1] == "en" ? .en : .zhCN }
            }
        }
        return context.language
    }

    static func requested(_ request: Request) -> Language? {
        switch request.uri.queryParameters["lang"] {
        case "en": .en
        case "zh-CN", "zh": .zhCN
        default: nil
        }
    }
}

/// The console's templates, for a check at start or in a test.
public enum ConsoleTemplates {
    /// Parses every template; returns how many there are.
    public static func load() throws -> Int {
        let folder = Bundle.module.url(forResource: "Templates", withExtension: nil)
        _ = try ConsolePage.loadLibrary()
        return try folder.map { try FileManager.default.contentsOfDirectory(atPath: $0.path).filter { $0.hasSuffix(".mustache") }.count } ?? 0
    }
}
