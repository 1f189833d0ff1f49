import Foundation
import Hummingbird
import RedressCore
import RedressStore

/// A person's mail settings, and the unsubscribe link every optional mail carries.
struct NotificationController {
    let database: Database
    let configuration: APIConfiguration

    var endpoints: [Endpoint] {
        [
            Endpoint(.get, "/api/v1/me/notifications", read),
            Endpoint(.patch, "/api/v1/me/notifications", update),
            Endpoint(.get, "/api/v1/notifications/unsubscribe", confirmPage),
            Endpoint(.post, "/api/v1/notifications/unsubscribe", unsubscribe),
        ]
    }

    struct PreferencesResponse: Encodable, Sendable {
        let language: String
        /// Every optional category, and whether its mails are sent.
        let categories: [String: Bool]

        init(_ preferences: NotificationPreferences) {
            language = preferences.language
            categories = Dictionary(uniqueKeysWithValues: MailCategory.allCases.map { ($0.rawValue, !preferences.disabled.contains($0)) })
        }
    }

    struct UpdateRequest: Decodable {
        let language: String?
        let categories: [String: Bool]?
    }

    struct UnsubscribeResponse: Encodable, Sendable {
        let category: String
        let enabled: Bool
    }

    @Sendable func read(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<PreferencesResponse> {
        try Policy.authorize(context.principal, .readOwnAccount)
        guard let account = context.principal.actor?.accountID else { throw RedressError.unauthenticated }
        let preferences = try await database.transaction(as: context.identity, origin: context.origin) {
            try await $0.notificationPreferences(accountID: account)
        }
        return JSONResponse(body: PreferencesResponse(preferences))
    }

    @Sendable func update(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<PreferencesResponse> {
        try Policy.authorize(context.principal, .readOwnAccount)
        guard let account = context.principal.actor?.accountID else { throw RedressError.unauthenticated }
        let body = try await request.decodeJSON(UpdateRequest.self, limit: configuration.maxJSONBodyBytes)
        var fields = FieldValidator()
        if let language = body.language, !["zh-CN", "en"].contains(language) { fields.fail("language", "not_one_of_zh-CN_en") }
        var categories: [MailCategory: Bool] = [:]
        for (name, enabled) in body.categories ?? [:] {
            guard let category = MailCategory(rawValue: name) else {
                fields.fail("categories", "unknown_category")
                continue
            }
            categories[category] = enabled
        }
        if body.language == nil && categories.isEmpty { fields.fail("categories", "nothing_to_change") }
        try fields.check()
        let preferences = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.setNotificationPreferences(accountID: account, language: body.language, categories: categories, actor: context.auditActor)
            return try await transaction.notificationPreferences(accountID: account)
        }
        return JSONResponse(body: PreferencesResponse(preferences))
    }

    /// One-click unsubscribe (RFC 8058): the token alone, which only the mail's recipient has.
    @Sendable func unsubscribe(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<UnsubscribeResponse> {
        let (account, category) = try token(request)
        // The token speaks for the account: the system records the change on the account's chain.
        let system = AuditActor(accountID: nil, role: "system", organizationID: nil)
        try await database.transaction(as: DatabaseIdentity(role: "system"), origin: context.origin) { transaction in
            try await transaction.setNotificationPreferences(accountID: account, language: nil, categories: [category: false], actor: system)
        }
        return JSONResponse(body: UnsubscribeResponse(category: category.rawValue, enabled: false))
    }

    /// What a click on the link in the mail's text opens: a page with one button, so that a mail
    /// scanner that follows links unsubscribes nobody.
    @Sendable func confirmPage(_ request: Request, context: RedressRequestContext) async throws -> Response {
        let (_, category) = try token(request)
        let token = request.uri.queryParameters["token"].map(String.init) ?? ""
        let english = Language.negotiate(acceptLanguage: request.headers[.acceptLanguage]) == .en
        let question = english ? "Receive no more mails of this kind (\(category.rawValue))?" : "不再接收此类邮件（\(category.rawValue)）？"
        let button = english ? "Unsubscribe" : "退订"
        let html = """
            <!doctype html><html lang="\(english ? "en" : "zh-CN")"><head><meta charset="utf-8"><title>Redress</title></head><body>
            <form method="post" action="/api/v1/notifications/unsubscribe?token=\(HTML.escape(token))"><p>\(HTML.escape(question))</p>
            <button type="submit">\(button)</button></form></body></html>
            """
        return Response(
            status: .ok,
            headers: [.contentType: "text/html; charset=utf-8", .init("Content-Security-Policy")!: "default-src 'none'; form-action 'self'", .init("X-Frame-Options")!: "DENY"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    private func token(_ request: Request) throws -> (UUID, MailCategory) {
        guard let text = request.uri.queryParameters["token"], let found = database.keys.unsubscribe(token: String(text)) else {
            throw RedressError.notFound
        }
        return found
    }
}
