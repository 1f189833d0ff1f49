import Foundation
import Hummingbird
import RedressCore
import RedressStore

/// The console's pages for a person's own account: registering (and the link of the verification
/// mail), a forgotten password (and the link of its mail), and, signed in, his sessions, his export
/// and, for a consumer, erasure. Each calls the API's own use case (`Registration`, `PasswordReset`,
/// `AccountController`).
extension ConsoleController {
    var accountPages: [Endpoint] {
        [
            Endpoint(.get, "/console/register", registerPage),
            Endpoint(.post, "/console/register", registerForm),
            Endpoint(.get, "/console/verify-email", verifyEmailPage),
            Endpoint(.post, "/console/verify-email", verifyEmailForm),
            Endpoint(.get, "/console/reset-password", resetPasswordPage),
            Endpoint(.post, "/console/reset-password", resetPasswordForm),
            Endpoint(.get, "/console/account", accountPage),
            Endpoint(.post, "/console/account/sessions/end-others", endOtherSessions),
            Endpoint(.post, "/console/account/sessions/:id/end", endSession),
            Endpoint(.get, "/console/account/export", export),
            Endpoint(.post, "/console/account/erase", erase),
            // Links in mails written before the console existed.
            Endpoint(.get, "/verify-email", { request, _ in ConsolePage.redirect("/console/verify-email" + Self.query(request)) }),
            Endpoint(.get, "/reset-password", { request, _ in ConsolePage.redirect("/console/reset-password" + Self.query(request)) }),
            Endpoint(.get, "/complaints/:id", { _, context in ConsolePage.redirect("/console/cases/\(try context.parameters.id().uuidString.lowercased())") }),
        ]
    }

    /// A link's token, carried to the page it moved to (token characters only).
    static func query(_ request: Request) -> String {
        guard let token = request.uri.queryParameters["token"].map(String.init), token.count <= 100,
              token.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else { return "" }
        return "?token=" + token
    }

    // MARK: Registering

    @Sendable func registerPage(_ request: Request, context: RedressRequestContext) async throws -> Response {
        if context.principal.actor != nil { return ConsolePage.redirect("/console") }
        let language = ConsoleLanguage.of(request, context: context)
        return anonymousPage("register", title: ConsoleText.phrase("register", language), path: "/console/register", values: ["ask": true], request, context)
    }

    @Sendable func registerForm(_ request: Request, context: RedressRequestContext) async throws -> Response {
        let form = try await self.form(request, context, anonymous: true)
        let language = ConsoleLanguage.of(request, context: context)
        let title = ConsoleText.phrase("register", language)
        do {
            try await registration.start(
                .init(email: form["email"], password: form.fields["password"], displayName: form["display_name"], phone: form["phone"]),
                language: language, context: context)
        } catch let error as RedressError where error.code == .validationFailed {
            let echoed = ["email": String((form["email"] ?? "").prefix(254)), "display_name": String((form["display_name"] ?? "").prefix(100)),
                          "phone": String((form["phone"] ?? "").prefix(32))]
            return anonymousPage(
                "register", title: title, path: "/console/register", values: ["ask": true, "form": echoed], request, context,
                errors: error.invalidFields, status: .unprocessableContent)
        }
        // The same page whether the address was new or taken: the mail says which.
        return anonymousPage("register", title: title, path: "/console/register", values: ["sent": true], request, context)
    }

    /// The link of the verification mail opens a page with a button: a mail scanner that follows links
    /// must not create the account.
    @Sendable func verifyEmailPage(_ request: Request, context: RedressRequestContext) async throws -> Response {
        let language = ConsoleLanguage.of(request, context: context)
        let token = String(Self.query(request).dropFirst("?token=".count))
        return anonymousPage(
            "verify-email", title: ConsoleText.phrase("verify_email", language), path: "/console/verify-email",
            values: ConsolePage.present(["token": token, "ask": true]), request, context)
    }

    @Sendable func verifyEmailForm(_ request: Request, context: RedressRequestContext) async throws -> Response {
        let form = try await self.form(request, context, anonymous: true)
        let language = ConsoleLanguage.of(request, context: context)
        let title = ConsoleText.phrase("verify_email", language)
        do {
            _ = try await registration.confirm(token: form["token"], password: form.fields["password"], context: context)
        } catch let error as RedressError where error.code == .validationFailed {
            // A wrong password leaves the link working: the form again. A dead link: say so.
            let linkDead = error.invalidFields.contains { $0.field == "token" }
            return anonymousPage(
                "verify-email", title: title, path: "/console/verify-email",
                values: linkDead ? ["failed": true] : ["ask": true, "token": form["token"] ?? ""], request, context,
                errors: error.invalidFields, status: .unprocessableContent)
        }
        return anonymousPage("verify-email", title: title, path: "/console/verify-email", values: ["done": true], request, context)
    }

    // MARK: A forgotten password

    /// Without a token: the address to send a link to. With the link's token: the new password.
    @Sendable func resetPasswordPage(_ request: Request, context: RedressRequestContext) async throws -> Response {
        let language = ConsoleLanguage.of(request, context: context)
        let token = String(Self.query(request).dropFirst("?token=".count))
        return anonymousPage(
            "reset-password", title: ConsoleText.phrase("reset_password", language), path: "/console/reset-password",
            values: token.isEmpty ? ["ask_email": true] : ["token": token, "ask_password": true], request, context)
    }

    @Sendable func resetPasswordForm(_ request: Request, context: RedressRequestContext) async throws -> Response {
        let form = try await self.form(request, context, anonymous: true)
        let language = ConsoleLanguage.of(request, context: context)
        let title = ConsoleText.phrase("reset_password", language)
        let path = "/console/reset-password"
        if let token = form["token"] {
            do {
                try await passwordReset.confirm(token: token, newPassword: form.fields["new_password"], context: context)
            } catch let error as RedressError where error.code == .validationFailed {
                let expired = error.invalidFields.contains { $0.field == "token" }
                return anonymousPage(
                    "reset-password", title: title, path: path, values: expired ? ["ask_email": true] : ["token": token, "ask_password": true],
                    request, context, errors: error.invalidFields, status: .unprocessableContent)
            }
            return anonymousPage("reset-password", title: title, path: path, values: ["changed": true], request, context)
        }
        do {
            try await passwordReset.request(email: form["email"], context: context)
        } catch let error as RedressError where error.code == .validationFailed {
            return anonymousPage(
                "reset-password", title: title, path: path, values: ["ask_email": true], request, context, errors: error.invalidFields,
                status: .unprocessableContent)
        }
        return anonymousPage("reset-password", title: title, path: path, values: ["sent": true], request, context)
    }

    // MARK: The account

    /// The sessions that still open (where and when each was last used; each can be ended), the
    /// export, and a consumer's erasure.
    @Sendable func accountPage(_ request: Request, context: RedressRequestContext) async throws -> Response {
        _ = try signedIn(context)
        return try await accountResponse(request, context)
    }

    func accountResponse(
        _ request: Request, _ context: RedressRequestContext, notice: String? = nil, errors: [RedressError.InvalidField] = [],
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let actor = try signedIn(context)
        let viewer = viewer(request, context)
        let page = try await accounts.activeSessions(PageRequest(limit: PageRequest.maximumLimit), context: context)
        let values: [String: Any] = [
            "sessions": page.items.map {
                ConsolePage.present([
                    "id": $0.id.uuidString.lowercased(), "client": $0.clientDescription ?? "", "address": $0.clientAddress ?? "",
                    "created": ConsoleFormat.time($0.createdAt), "last_used": ConsoleFormat.time($0.lastUsedAt), "current": $0.isCurrent,
                ])
            },
            "more_sessions": page.nextCursor != nil,
            "may_erase": actor.role == .consumer,
        ]
        return ConsolePage.render(
            "account", title: ConsoleText.phrase("my_account", viewer.language), values: values, viewer: viewer, notice: notice, errors: errors,
            status: status, headers: languageCookie(request))
    }

    @Sendable func endSession(_ request: Request, context: RedressRequestContext) async throws -> Response {
        _ = try signedIn(context)
        let id = try context.parameters.id()
        _ = try await form(request, context)
        try await accounts.endSession(id, context: context)
        return ConsolePage.redirect("/console/account")
    }

    @Sendable func endOtherSessions(_ request: Request, context: RedressRequestContext) async throws -> Response {
        _ = try signedIn(context)
        _ = try await form(request, context)
        _ = try await accounts.endOtherSessions(context)
        return ConsolePage.redirect("/console/account")
    }

    /// The API's export, as a file to keep.
    @Sendable func export(_ request: Request, context: RedressRequestContext) async throws -> Response {
        _ = try signedIn(context)
        let document = try await accounts.exportDocument(context)
        var response = try JSONResponse(body: document).response(from: request, context: context)
        for field in ConsoleSecurity.headers where field.name != .contentType { response.headers[field.name] = field.value }
        response.headers[.contentDisposition] = "attachment; filename=\"redress-export.json\""
        return response
    }

    /// A consumer's erasure, his password confirming it; the session ends with the account.
    @Sendable func erase(_ request: Request, context: RedressRequestContext) async throws -> Response {
        _ = try signedIn(context)
        let form = try await self.form(request, context)
        let language = ConsoleLanguage.of(request, context: context)
        do {
            _ = try await accounts.eraseOwnAccount(password: form.fields["password"], context: context)
        } catch let error as RedressError where error.code == .validationFailed || error.code == .conflict {
            let invalid = error.invalidFields.isEmpty ? [RedressError.InvalidField(field: "", reason: error.detail ?? error.code.title(in: language))] : error.invalidFields
            return try await accountResponse(request, context, errors: invalid, status: .init(code: error.status))
        }
        return ConsolePage.redirect(
            "/console/sign-in", headers: [.setCookie: ConsoleSecurity.clearCookie(ConsoleSecurity.sessionCookie, secure: secureCookies)])
    }
}
