import Crypto
import Foundation
import Hummingbird
import NIOCore
import RedressCore
import RedressStore

/// The web console: server-rendered pages for consumers, platform and merchant staff and mediators,
/// calling the same use cases as the JSON API (`SignIn`, `FileComplaint`, `ActOnComplaint`,
/// `PostMessage`) and reading under the same policies and row-level security. Forms post
/// `application/x-www-form-urlencoded`; each carries the page's form token; each answer is a page or
/// a redirect to one.
struct ConsoleController {
    let database: Database
    let configuration: APIConfiguration
    let signIn: SignIn
    let sessions: SessionCache
    let writes: CallerGate
    /// Evidence uploads, shared with the API's.
    let uploads: CallerGate
    let enrolment: SecondFactorEnrolment
    let registration: Registration
    let passwordReset: PasswordReset
    let accounts: AccountController

    var endpoints: [Endpoint] { casePages + accountPages + recordPages + staffPages }

    var casePages: [Endpoint] {
        [
            Endpoint(.get, "/console", home),
            Endpoint(.get, "/console/static/console.css", stylesheet),
            Endpoint(.get, "/console/sign-in", signInPage),
            Endpoint(.post, "/console/sign-in", signInForm),
            Endpoint(.post, "/console/sign-out", signOut),
            Endpoint(.get, "/console/cases", cases),
            Endpoint(.get, "/console/triage", triage),
            Endpoint(.get, "/console/cases/:id", caseView),
            Endpoint(.post, "/console/cases/:id/actions/:action", act),
            Endpoint(.post, "/console/cases/:id/messages", postMessage),
            Endpoint(.post, "/console/cases/:id/evidence", uploadEvidence),
            Endpoint(.post, "/console/cases/:id/supplements", addSupplement),
            Endpoint(.post, "/console/cases/:id/flags/:flagID/decision", decideFlag),
            Endpoint(.get, "/console/second-factor", secondFactorPage),
            Endpoint(.post, "/console/second-factor", startSecondFactor),
            Endpoint(.post, "/console/second-factor/confirm", confirmSecondFactor),
            Endpoint(.get, "/console/file", filingPage),
            Endpoint(.post, "/console/file", fileForm),
        ]
    }

    /// The newest entries of a thread a case page shows (the API pages through all of them).
    static let threadLength = 100
    /// Pages list at most this far in (50 a page).
    static let maximumOffset = 10_000
    static let pageSize = 50

    // MARK: The frame of every page

    /// The token of the page's forms, bound to the browser's session cookie, or before signing in to
    /// its form cookie; `nil` when it has neither.
    static func formToken(request: Request, context: RedressRequestContext, keys: Keyring) -> String? {
        binding(request: request, context: context).map { keys.formToken(binding: $0) }
    }

    /// What a page's form token is bound to: the browser's session cookie (as its digest, the way the
    /// sessions table knows it, whether or not it still opens a session), else its form cookie.
    /// Computed from the cookie itself, so that an error page, drawn outside authentication, binds
    /// its forms alike.
    static func binding(request: Request, context: RedressRequestContext) -> String? {
        if let digest = context.sessionDigest { return "session:" + digest.hexString }
        if let token = ConsoleSecurity.cookie(ConsoleSecurity.sessionCookie, in: request) {
            return "session:" + Array(SHA256.hash(data: Data(token.utf8))).hexString
        }
        return ConsoleSecurity.cookie(ConsoleSecurity.formCookie, in: request).map { "form:" + $0 }
    }

    /// What the token of a page for someone not signed in may be bound to: the page's binding, or the
    /// form cookie. A page opened from a mail's link arrives without the browser's cookies (they are
    /// `SameSite=Strict`) and binds its form to a new form cookie; the form then comes back with a
    /// session cookie that may still be there, stale or not, and is accepted by the form cookie it was
    /// made for. Signed-in pages accept their session's binding only.
    static func bindings(request: Request, context: RedressRequestContext) -> [String] {
        [binding(request: request, context: context), ConsoleSecurity.cookie(ConsoleSecurity.formCookie, in: request).map { "form:" + $0 }]
            .compactMap { $0 }
    }

    func viewer(_ request: Request, _ context: RedressRequestContext) -> ConsolePage.Viewer {
        ConsolePage.Viewer(
            language: ConsoleLanguage.of(request, context: context), actor: context.principal.actor, displayName: nil,
            formToken: Self.formToken(request: request, context: context, keys: database.keys) ?? "", path: request.uri.path)
    }

    /// A language asked for by `?lang=` is remembered for the next pages.
    func languageCookie(_ request: Request) -> HTTPFields {
        guard let asked = ConsoleLanguage.requested(request) else { return [:] }
        return [.setCookie: "\(ConsoleLanguage.cookie)=\(asked == .en ? "en" : "zh-CN"); Path=/console; Max-Age=31536000; SameSite=Strict"]
    }

    var secureCookies: Bool { configuration.mail.publicURL.lowercased().hasPrefix("https://") }

    /// A form another site's page sent (the browser says so in `Sec-Fetch-Site`) is refused before its
    /// body is read.
    static func refuseCrossSite(_ request: Request) throws(RedressError) {
        if let site = request.headers[.init("Sec-Fetch-Site")!], site != "same-origin", site != "none" {
            throw RedressError(.forbidden, detail: "form_expired")
        }
    }

    /// The form of a POST, its token checked against the browser's cookie. A form of a page for someone
    /// not signed in (`anonymous`) is also accepted by the form cookie it was made for.
    func form(_ request: Request, _ context: RedressRequestContext, anonymous: Bool = false) async throws -> ConsoleForm {
        try Self.refuseCrossSite(request)
        let form = try await ConsoleForm(request, context: context)
        let bindings = anonymous ? Self.bindings(request: request, context: context) : [Self.binding(request: request, context: context)].compactMap { $0 }
        try ConsoleSecurity.checkFormToken(form["csrf"], bindings: bindings, keys: database.keys)
        return form
    }

    func signedIn(_ context: RedressRequestContext) throws -> Actor {
        guard let actor = context.principal.actor else { throw RedressError.unauthenticated }
        return actor
    }

    // MARK: Signing in and out

    @Sendable func home(_ request: Request, context: RedressRequestContext) async throws -> Response {
        guard let actor = context.principal.actor else { return ConsolePage.redirect("/console/sign-in") }
        switch actor.role {
        case .mediator, .mediationLead: return ConsolePage.redirect("/console/triage")
        case .admin: return ConsolePage.redirect("/console/organisations")
        default: return ConsolePage.redirect("/console/cases")
        }
    }

    @Sendable func stylesheet(_ request: Request, context: RedressRequestContext) async throws -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
            body: .init(byteBuffer: ConsolePage.stylesheet))
    }

    @Sendable func signInPage(_ request: Request, context: RedressRequestContext) async throws -> Response {
        if context.principal.actor != nil { return ConsolePage.redirect("/console") }
        return signInResponse(request, context, email: "")
    }

    /// The sign-in form.
    func signInResponse(
        _ request: Request, _ context: RedressRequestContext, email: String, askCode: Bool = false, askNewPassword: Bool = false,
        errors: [RedressError.InvalidField] = [], status: HTTPResponse.Status = .ok
    ) -> Response {
        let language = ConsoleLanguage.of(request, context: context)
        return anonymousPage(
            "sign-in", title: ConsoleText.phrase("sign_in", language), path: "/console/sign-in",
            values: ["email": email, "ask_code": askCode, "ask_new_password": askNewPassword], request, context, errors: errors, status: status)
    }

    /// A page for someone not signed in (signing in, registering, a link from a mail): its forms'
    /// token is bound to a form cookie, set here when the browser has none.
    func anonymousPage(
        _ template: String, title: String, path: String, values: [String: Any], _ request: Request, _ context: RedressRequestContext,
        notice: String? = nil, errors: [RedressError.InvalidField] = [], status: HTTPResponse.Status = .ok
    ) -> Response {
        var headers = languageCookie(request)
        var binding = Self.binding(request: request, context: context)
        if binding == nil {
            let fresh = SecureRandom.token(bytes: 24)
            headers.append(.init(name: .setCookie, value: ConsoleSecurity.setCookie(ConsoleSecurity.formCookie, fresh, maxAge: 3600, secure: secureCookies)))
            binding = "form:" + fresh
        }
        let viewer = ConsolePage.Viewer(
            language: ConsoleLanguage.of(request, context: context), actor: nil, displayName: nil,
            formToken: database.keys.formToken(binding: binding!), path: path)
        return ConsolePage.render(template, title: title, values: values, viewer: viewer, notice: notice, errors: errors, status: status, headers: headers)
    }

    @Sendable func signInForm(_ request: Request, context: RedressRequestContext) async throws -> Response {
        let form = try await self.form(request, context, anonymous: true)
        let attempt = SignIn.Attempt(
            email: form["email"] ?? "", password: form.fields["password"] ?? "", newPassword: form["new_password"], code: form["code"],
            client: SignIn.clientDescription(request))
        let session: SignIn.Session
        do {
            session = try await signIn(attempt, context: context)
        } catch let error as RedressError {
            let email = String(attempt.email.prefix(254))
            switch error.code {
            case .secondFactorRequired:
                return signInResponse(request, context, email: email, askCode: true, status: .unauthorized)
            case .invalidSecondFactor:
                return signInResponse(request, context, email: email, askCode: true, errors: [.init(field: "code", reason: "invalid_credentials")], status: .unauthorized)
            case .passwordChangeRequired:
                return signInResponse(request, context, email: email, askNewPassword: true, status: .unauthorized)
            case .invalidCredentials:
                return signInResponse(request, context, email: email, errors: [.init(field: "", reason: "invalid_credentials")], status: .unauthorized)
            case .validationFailed:
                return signInResponse(
                    request, context, email: email, askNewPassword: attempt.newPassword != nil, errors: error.invalidFields, status: .unprocessableContent)
            default:
                throw error
            }
        }
        // Signing in again from the same browser (another tab, another account) ends the session its
        // cookie held: the cookie is replaced, and a session nobody can use any more must not linger.
        if let previous = context.sessionDigest {
            _ = try? await database.transaction(as: context.identity, origin: context.origin) { transaction in
                try await transaction.revokeSession(digest: previous, actor: context.auditActor)
            }
            sessions.forget(digest: previous)
        }
        let lifetime = Int(configuration.sessionLifetime.components.seconds)
        // A role that must sign in with a second factor, without one enrolled, may do nothing else first.
        let mustEnrol = configuration.secondFactorRoles.contains(session.account.role) && !session.secondFactor
        return ConsolePage.redirect(
            mustEnrol ? "/console/second-factor" : "/console",
            headers: [
                .setCookie: ConsoleSecurity.setCookie(ConsoleSecurity.sessionCookie, session.token, maxAge: lifetime, secure: secureCookies),
            ])
    }

    @Sendable func signOut(_ request: Request, context: RedressRequestContext) async throws -> Response {
        _ = try await form(request, context)
        if let digest = context.sessionDigest {
            _ = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
                try await transaction.revokeSession(digest: digest, actor: context.auditActor)
            }
            sessions.forget(digest: digest)
        }
        return ConsolePage.redirect(
            "/console/sign-in", headers: [.setCookie: ConsoleSecurity.clearCookie(ConsoleSecurity.sessionCookie, secure: secureCookies)])
    }

    // MARK: The second factor

    @Sendable func secondFactorPage(_ request: Request, context: RedressRequestContext) async throws -> Response {
        _ = try signedIn(context)
        try Policy.authorize(context.principal, .readOwnAccount)
        return secondFactorResponse(request, context, values: ["ask_password": true])
    }

    func secondFactorResponse(
        _ request: Request, _ context: RedressRequestContext, values: [String: Any], errors: [RedressError.InvalidField] = [],
        status: HTTPResponse.Status = .ok
    ) -> Response {
        let viewer = viewer(request, context)
        return ConsolePage.render(
            "second-factor", title: ConsoleText.phrase("second_factor", viewer.language), values: values, viewer: viewer, errors: errors,
            status: status, headers: languageCookie(request))
    }

    /// The password starts the enrolment: the page shows the secret as a QR code and as a key.
    @Sendable func startSecondFactor(_ request: Request, context: RedressRequestContext) async throws -> Response {
        let actor = try signedIn(context)
        try Policy.authorize(context.principal, .readOwnAccount)
        let form = try await self.form(request, context)
        do {
            let started = try await enrolment.start(password: form.fields["password"] ?? "", actor: actor, context: context)
            return secondFactorResponse(
                request, context,
                values: ["started": true, "manual_key": started.manualKey,
                         "qr_data": "data:image/svg+xml;base64," + Data(started.qrSVG.utf8).base64EncodedString()])
        } catch let error as RedressError where error.code == .validationFailed {
            return secondFactorResponse(request, context, values: ["ask_password": true], errors: error.invalidFields, status: .unprocessableContent)
        }
    }

    /// The first code confirms it: the recovery codes are shown, once.
    @Sendable func confirmSecondFactor(_ request: Request, context: RedressRequestContext) async throws -> Response {
        let actor = try signedIn(context)
        try Policy.authorize(context.principal, .readOwnAccount)
        guard let digest = context.sessionDigest else { throw RedressError.unauthenticated }
        let form = try await self.form(request, context)
        do {
            let codes = try await enrolment.confirm(code: form["code"] ?? "", actor: actor, session: digest, context: context)
            return secondFactorResponse(request, context, values: ["has_codes": true, "codes": codes])
        } catch let error as RedressError where error.code == .validationFailed || error.code == .invalidSecondFactor {
            let invalid = error.invalidFields.isEmpty ? [RedressError.InvalidField(field: "code", reason: "invalid_credentials")] : error.invalidFields
            // The secret waits to be confirmed: the code may be typed again.
            return secondFactorResponse(request, context, values: ["started": true], errors: invalid, status: .unprocessableContent)
        }
    }

    // MARK: Lists

    func offset(_ request: Request) throws(RedressError) -> Int {
        guard let text = request.uri.queryParameters["offset"] else { return 0 }
        guard let value = Int(text), (0...Self.maximumOffset).contains(value) else {
            throw RedressError.validation([.init(field: "offset", reason: "out_of_range")])
        }
        return value
    }

    /// The caller's cases: a consumer's own, newest first; a platform's or merchant's open ones, most
    /// urgent first; a mediation body's and the operator's as the API lists them.
    @Sendable func cases(_ request: Request, context: RedressRequestContext) async throws -> Response {
        let actor = try signedIn(context)
        try Policy.authorize(context.principal, .readComplaints)
        let offset = try offset(request)
        let scope = ComplaintListQuery.listScope(of: actor)
        let now = configuration.clock.now()
        let viewer = viewer(request, context)
        let found = try await database.transaction(as: context.identity, origin: context.origin) { transaction -> [Complaint] in
            switch actor.role {
            case .platformStaff, .platformAdmin, .merchantStaff:
                return try await transaction.openCases(of: scope, offset: offset, limit: Self.pageSize + 1)
            default:
                return try await transaction.recentComplaints(of: scope, offset: offset, limit: Self.pageSize + 1)
            }
        }
        let language = viewer.language
        let heading = ConsoleText.phrase(
            actor.role == .consumer ? "my_cases" : [.platformStaff, .platformAdmin, .merchantStaff].contains(actor.role) ? "open_cases" : "all_cases",
            language)
        return ConsolePage.render(
            "cases", title: heading,
            values: [
                "heading": heading, "may_file": actor.role == .consumer, "empty": found.isEmpty,
                "cases": found.prefix(Self.pageSize).map { Self.summary($0, actor: actor, now: now, language: language) },
                "next_href": found.count > Self.pageSize && offset + Self.pageSize <= Self.maximumOffset
                    ? "/console/cases?offset=\(offset + Self.pageSize)" : "",
            ],
            viewer: viewer, headers: languageCookie(request))
    }

    /// A mediation body's triage queue, most urgent first (the API's `GET /triage`).
    @Sendable func triage(_ request: Request, context: RedressRequestContext) async throws -> Response {
        let actor = try signedIn(context)
        try Policy.authorize(context.principal, .readTriageQueue)
        guard let body = actor.organizationID else { throw RedressError.forbidden }
        let offset = try offset(request)
        let now = configuration.clock.now()
        let viewer = viewer(request, context)
        let found = try await database.triageQueue(
            as: context.identity, bodyID: body, states: [.escalated, .inMediation], overdue: nil, mediatorID: nil, offset: offset,
            limit: Self.pageSize + 1)
        let heading = ConsoleText.phrase("triage_queue", viewer.language)
        return ConsolePage.render(
            "cases", title: heading,
            values: [
                "heading": heading, "empty": found.isEmpty,
                "cases": found.prefix(Self.pageSize).map { Self.summary($0, actor: actor, now: now, language: viewer.language) },
                "next_href": found.count > Self.pageSize && offset + Self.pageSize <= Self.maximumOffset
                    ? "/console/triage?offset=\(offset + Self.pageSize)" : "",
            ],
            viewer: viewer, headers: languageCookie(request))
    }

    /// One line of a list, from the API's view of the case for this viewer: who may not read the case's
    /// texts (an auditor) sees its state and dates, not its title.
    static func summary(_ complaint: Complaint, actor: Actor, now: Date, language: Language) -> [String: Any] {
        let view = ComplaintResponse(complaint, access: CaseAccess(actor, to: complaint, now: now), readiness: nil)
        return ConsolePage.present([
            "id": complaint.id.uuidString.lowercased(), "title": view.title ?? ConsoleText.state(complaint.state, language),
            "state_label": ConsoleText.state(complaint.state, language),
            "overdue": complaint.overdue, "deadline": complaint.deadlineAt.map { ConsoleFormat.time($0) } ?? "",
            "turn": ConsoleText.turn(complaint.state, language) ?? "", "submitted": ConsoleFormat.time(complaint.submittedAt),
        ])
    }

    // MARK: One case

    @Sendable func caseView(_ request: Request, context: RedressRequestContext) async throws -> Response {
        let actor = try signedIn(context)
        try Policy.authorize(context.principal, .readComplaints)
        let id = try context.parameters.id()
        return try await casePage(id, actor: actor, request: request, context: context)
    }

    /// The case as its viewer may see it (the API's own view of it), with the forms of what he may do.
    func casePage(
        _ id: UUID, actor: Actor, request: Request, context: RedressRequestContext, notice: String? = nil,
        errors: [RedressError.InvalidField] = [], status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let now = configuration.clock.now()
        let viewer = viewer(request, context)
        let language = viewer.language
        let (view, thread, files, choices, links, flags, decidesFlags) = try await database.transaction(as: context.identity, origin: context.origin) {
            transaction -> (ComplaintResponse, (messages: [MessageRecord], more: Bool), [EvidenceRecord], ConsoleActionForms.Choices, [String: String], [CaseFlag], Bool) in
            guard let complaint = try await transaction.complaint(id: id) else { throw RedressError.notFound }
            let merchantFirst = try await transaction.platform(id: complaint.platformID)?.merchantFirst ?? false
            let evidence = try await transaction.evidenceKinds(complaintID: complaint.id)
            let view = ComplaintResponse.view(complaint, actor: actor, merchantFirst: merchantFirst, evidence: evidence, now: now, language: language)
            let relations = CaseAccess.relations(of: actor, to: complaint)
            let thread = relations.isEmpty ? ([], false) : try await transaction.latestMessages(complaintID: id, limit: Self.threadLength)
            let files = relations.isEmpty ? [] : try await transaction.evidence(complaintID: id, page: PageRequest(limit: PageRequest.maximumLimit)).items
            let choices = try await ConsoleActionForms.choices(for: view.allowedActions, complaint: complaint, transaction)
            let flags = relations.isEmpty ? [] : try await transaction.flags(complaintID: id)
            // The flag decision's own rule (FlagController.decide), to offer its form.
            let decidesFlags = !relations.isDisjoint(with: [.assignedMediator, .mediationLead]) && complaint.mediated && !complaint.state.isTerminal
            return (view, thread, files, choices, Self.recordLinks(complaint, actor: actor, principal: context.principal, relations: relations), flags, decidesFlags)
        }
        let (messages, olderMessages) = (thread.messages, thread.more)
        let actions = view.allowedActions.filter { $0 != .close }.map {
            ConsoleActionForms.form(for: $0, caseID: id, version: view.version, choices: choices, language: language)
        }
        var findings: [String] = []
        if let readiness = view.readiness {
            for link in readiness.evidenceChain where !link.complete {
                findings.append(ConsoleFormat.missingEvidence(step: link.step, missing: link.missing, language: language))
            }
            findings += (readiness.demands + readiness.wording + readiness.preconditions).map(\.advice)
        }
        var values: [String: Any] = [
            "case_id": id.uuidString.lowercased(),
            "case": ConsolePage.present(ConsoleFormat.caseValues(view, language: language)),
            "has_findings": !findings.isEmpty || view.readiness != nil, "findings": findings,
            "next_step": view.readiness?.nextStep.advice ?? "",
            "has_actions": !actions.isEmpty, "actions": actions,
            "messages": messages.map {
                ["author": ConsoleText.role(Role(rawValue: $0.authorRole) ?? .consumer, language), "at": ConsoleFormat.time($0.createdAt),
                 "body": $0.body, "internal": $0.visibility == .internal] as [String: Any]
            },
            "no_messages": messages.isEmpty, "older_messages": olderMessages,
            "may_message": view.allowedActions.isEmpty == false || !messages.isEmpty || actor.role != .auditor,
            "may_write_internal": actor.organizationID != nil,
            "files": files.map {
                ["id": $0.id.uuidString.lowercased(), "name": $0.filename, "kind": ConsoleFormat.evidence($0.kind, language),
                 "at": ConsoleFormat.time($0.uploadedAt)] as [String: Any]
            },
            "has_files": !files.isEmpty,
            "has_flags": !flags.isEmpty,
            "flags": flags.map { flag in
                ConsolePage.present([
                    "id": flag.id.uuidString.lowercased(), "kind": ConsoleText.phrase(flag.kind.rawValue, language),
                    "wording": flag.phrase ?? flag.statement ?? "", "state": ConsoleText.phrase("flag_" + flag.state.rawValue, language),
                    "legal_basis": flag.kind.legalBasis(in: language), "decidable": decidesFlags && flag.state == .open,
                ])
            },
            // A consumer related to a case is its consumer.
            "may_supplement": actor.role == .consumer && !view.state.isTerminal && links["dossier_href"] != nil,
            "may_upload": actor.role != .auditor && !view.state.isTerminal && files.count < configuration.maxEvidenceFiles,
            "evidence_kinds": EvidenceKind.allCases.map { ["value": $0.rawValue, "label": ConsoleFormat.evidence($0, language)] },
        ]
        values.merge(links) { $1 }
        values["has_record_links"] = !links.isEmpty
        return ConsolePage.render(
            "case", title: view.title ?? ConsoleText.state(view.state, language), values: values, viewer: viewer, notice: notice,
            errors: errors, status: status, headers: languageCookie(request))
    }

    /// The links of a case page to its records: the dossier for its parties, the audit check for its
    /// parties and auditors, the merchant's record for whoever may read it.
    static func recordLinks(_ complaint: Complaint, actor: Actor, principal: Principal, relations: Set<CaseRelation>) -> [String: String] {
        let id = complaint.id.uuidString.lowercased()
        var links: [String: String] = [:]
        if !relations.isEmpty { links["dossier_href"] = "/console/cases/\(id)/dossier" }
        if !relations.isEmpty || actor.role == .auditor { links["audit_href"] = "/console/cases/\(id)/audit" }
        if let merchant = complaint.merchantID,
            Policy.isAllowed(principal, .readMerchantRecord(merchant: OrganizationRef(id: merchant, kind: .merchant, platformID: complaint.platformID)))
        {
            links["record_href"] = "/console/merchants/\(merchant.uuidString.lowercased())/record"
        }
        return links
    }

    /// An action's form: the same input, checks and transition as `POST /complaints/{id}/actions/{action}`.
    @Sendable func act(_ request: Request, context: RedressRequestContext) async throws -> Response {
        let actor = try signedIn(context)
        try Policy.authorize(context.principal, .actOnComplaints)
        let id = try context.parameters.id()
        guard let action = context.parameters.get("action").flatMap(ComplaintAction.init(rawValue:)) else { throw RedressError.notFound }
        let form = try await self.form(request, context)
        let language = ConsoleLanguage.of(request, context: context)
        do {
            let body = try ConsoleActionForms.request(from: form)
            let input = try ActionRequest.input(for: action, body)
            let version = form["version"].flatMap(Int.init)
            _ = try await ActOnComplaint(database: database, configuration: configuration)(
                action, input: input, on: id, expectedVersion: version, by: actor, context: context)
        } catch let error as RedressError where error.code == .validationFailed || error.status == 409 || error.code == .preconditionFailed {
            return try await casePage(
                id, actor: actor, request: request, context: context, errors: error.invalidFields.isEmpty
                    ? [.init(field: "", reason: error.code.title(in: language))] : error.invalidFields,
                status: .init(code: error.status))
        }
        return ConsolePage.redirect("/console/cases/\(id.uuidString.lowercased())")
    }

    @Sendable func postMessage(_ request: Request, context: RedressRequestContext) async throws -> Response {
        let actor = try signedIn(context)
        let id = try context.parameters.id()
        let form = try await self.form(request, context)
        do {
            try await PostMessage(database: database, configuration: configuration, writes: writes)(
                visibility: form["internal"] == "true" ? "internal" : "parties", body: form.fields["body"], on: id, by: actor, context: context)
        } catch let error as RedressError where error.code == .validationFailed {
            return try await casePage(id, actor: actor, request: request, context: context, errors: error.invalidFields, status: .unprocessableContent)
        }
        return ConsolePage.redirect("/console/cases/\(id.uuidString.lowercased())")
    }

    /// A consumer's supplement: a statement and, ticked, files already on the case.
    @Sendable func addSupplement(_ request: Request, context: RedressRequestContext) async throws -> Response {
        let actor = try signedIn(context)
        let id = try context.parameters.id()
        let form = try await self.form(request, context)
        let chosen = form.fields.keys.filter { $0.hasPrefix("evidence.") }.compactMap { UUID(uuidString: String($0.dropFirst("evidence.".count))) }
        do {
            _ = try await SupplementController(database: database, configuration: configuration).add(
                statement: form.fields["statement"], evidenceIDs: chosen, on: id, by: actor, context: context)
        } catch let error as RedressError where error.code == .validationFailed {
            return try await casePage(id, actor: actor, request: request, context: context, errors: error.invalidFields, status: .unprocessableContent)
        }
        return ConsolePage.redirect("/console/cases/\(id.uuidString.lowercased())")
    }

    /// A mediator confirms or dismisses a flag.
    @Sendable func decideFlag(_ request: Request, context: RedressRequestContext) async throws -> Response {
        let actor = try signedIn(context)
        let id = try context.parameters.id()
        let flagID = try context.parameters.id("flagID")
        let form = try await self.form(request, context)
        do {
            _ = try await FlagController(database: database, configuration: configuration).decide(
                flagID, on: id, decision: form["decision"], note: form["note"], by: actor, context: context)
        } catch let error as RedressError where error.code == .validationFailed || error.status == 409 {
            let invalid = error.invalidFields.isEmpty ? [RedressError.InvalidField(field: "", reason: error.code.title(in: ConsoleLanguage.of(request, context: context)))] : error.invalidFields
            return try await casePage(id, actor: actor, request: request, context: context, errors: invalid, status: .init(code: error.status))
        }
        return ConsolePage.redirect("/console/cases/\(id.uuidString.lowercased())")
    }

    /// A file for the case, from a form with a file input: read within the evidence bound at the
    /// upload pace, its token checked, then kept as the API keeps one (`EvidenceController.store`).
    @Sendable func uploadEvidence(_ request: Request, context: RedressRequestContext) async throws -> Response {
        let actor = try signedIn(context)
        let (_, id) = try MessageController.caller(context)
        try Self.refuseCrossSite(request)
        guard let boundary = ConsoleMultipart.boundary(of: request.headers[.contentType]) else { throw RedressError(.unsupportedMediaType) }
        let maxFiles = configuration.maxEvidenceFiles
        // Only a party to an open case with room for a file gets its body read.
        try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await EvidenceController.requireRoomForUpload(actor, complaintID: id, maxFiles: maxFiles, transaction, lock: false)
        }
        // The file and the form's few short fields.
        let limit = configuration.maxEvidenceBytes + 16 * 1024
        let tooLarge = RedressError(.payloadTooLarge, detail: "An evidence file may be at most \(configuration.maxEvidenceBytes) bytes.")
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit { throw tooLarge }
        let pace = UploadPace(grace: configuration.uploadGrace, minimumBytesPerSecond: configuration.uploadMinimumBytesPerSecond)
        let address = context.origin.clientAddress.map(Transaction.throttleAddress)
        let binding = Self.binding(request: request, context: context)
        do {
            try await uploads.withPlace(for: actor.accountID, from: address) {
                let body = try await EvidenceController.collect(request.body, upTo: limit, pace: pace, tooLarge: tooLarge)
                // Parsing up to the upload limit is long work for the CPU: never on an event loop.
                let parts = try await LongWork.run { try ConsoleMultipart.parse(body, boundary: boundary) }
                // The form's own fields are short (a token, a kind): a longer one is no value, never copied.
                func text(_ name: String) -> String? {
                    parts.first { $0.name == name && $0.filename == nil }.flatMap { $0.body.readableBytes <= 1024 ? String(buffer: $0.body) : nil }
                }
                try ConsoleSecurity.checkFormToken(text("csrf"), bindings: binding.map { [$0] } ?? [], keys: database.keys)
                var fields = FieldValidator()
                let kind = EvidenceKind(rawValue: text("kind") ?? "")
                if kind == nil { fields.fail("kind", "required") }
                let file = parts.first { $0.name == "file" && $0.filename != nil }
                let checkedName = file?.filename.map(EvidenceName.validate)
                if checkedName == nil { fields.fail("file", "required") } else if let reason = checkedName?.reason { fields.fail("file", reason) }
                try fields.check()
                guard file!.body.readableBytes <= configuration.maxEvidenceBytes else { throw tooLarge }
                // A browser names a file's type from its extension, in its own words (audio/x-m4a): the
                // type is taken from the bytes, and the name must still match them.
                let fileBody = file!.body
                let detected = try await LongWork.run { EvidenceFileType.detect(fileBody.readableBytesView)?.rawValue }
                _ = try await EvidenceController.store(
                    file!.body, kind: kind!, filename: checkedName!.name!, declaredType: detected ?? file!.contentType, on: id, by: actor,
                    database: database, configuration: configuration, context: context)
            }
        } catch let error as RedressError where error.code == .validationFailed || error.code == .unsupportedMediaType {
            let invalid = error.invalidFields.isEmpty ? [RedressError.InvalidField(field: "file", reason: "not_evidence")] : error.invalidFields
            return try await casePage(id, actor: actor, request: request, context: context, errors: invalid, status: .init(code: error.status))
        }
        return ConsolePage.redirect("/console/cases/\(id.uuidString.lowercased())")
    }

    // MARK: Filing

    @Sendable func filingPage(_ request: Request, context: RedressRequestContext) async throws -> Response {
        _ = try signedIn(context)
        try Policy.authorize(context.principal, .fileComplaint)
        return try await filingResponse(request, context, form: ConsoleForm(fields: [:]))
    }

    func filingResponse(
        _ request: Request, _ context: RedressRequestContext, form: ConsoleForm, findings: [String] = [],
        errors: [RedressError.InvalidField] = [], status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let viewer = viewer(request, context)
        let language = viewer.language
        let platforms = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.platforms(page: PageRequest(limit: PageRequest.maximumLimit)).items
        }
        let values: [String: Any] = [
            "platforms": platforms.map { ["id": $0.id.uuidString.lowercased(), "name": $0.name, "selected": form["platform_id"] == $0.id.uuidString.lowercased()] as [String: Any] },
            "categories": ComplaintCategory.allCases.map {
                ["value": $0.rawValue, "label": ConsoleText.category($0, language), "selected": form["category"] == $0.rawValue] as [String: Any]
            },
            "demand_kinds": Demand.Kind.allCases.map {
                ["value": $0.rawValue, "label": ConsoleText.demandKind($0, language), "selected": form["demand_kind"] == $0.rawValue] as [String: Any]
            },
            "form": form.fields.filter { ConsoleFiling.echoed.contains($0.key) },
            "has_findings": !findings.isEmpty, "findings": findings,
        ]
        return ConsolePage.render(
            "file", title: ConsoleText.phrase("file_a_complaint", language), values: values, viewer: viewer, errors: errors, status: status,
            headers: languageCookie(request))
    }

    /// "Check first" shows what the readiness check finds in the draft; "File" files it as
    /// `POST /complaints` does.
    @Sendable func fileForm(_ request: Request, context: RedressRequestContext) async throws -> Response {
        let actor = try signedIn(context)
        try Policy.authorize(context.principal, .fileComplaint)
        let form = try await self.form(request, context)
        let language = ConsoleLanguage.of(request, context: context)
        let now = configuration.clock.now()
        let complaint: Complaint
        do {
            complaint = try ConsoleFiling.request(from: form).complaint(by: actor, now: now)
        } catch {
            return try await filingResponse(request, context, form: form, errors: error.invalidFields, status: .unprocessableContent)
        }
        if form["intent"] != "file" {
            // The platform's own preconditions too (one that hears the merchant first wants the talk with him).
            let merchantFirst = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
                try await transaction.platform(id: complaint.platformID)?.merchantFirst ?? false
            }
            let readiness = ReadinessCheck.evaluate(complaint, evidence: [], merchantFirst: merchantFirst, now: now, language: language)
            var findings = readiness.evidenceChain.filter { !$0.complete }.map {
                ConsoleFormat.missingEvidence(step: $0.step, missing: $0.missing, language: language)
            }
            findings += (readiness.demandFindings + readiness.wordingFindings + readiness.preconditions).map(\.advice)
            if findings.isEmpty { findings = [ConsoleText.phrase("check_clean", language)] }
            return try await filingResponse(request, context, form: form, findings: findings)
        }
        _ = try await writes.withPlace(for: actor.accountID) {
            try await FileComplaint(database: database, configuration: configuration)(complaint, by: actor, retry: nil, context: context)
        }
        return ConsolePage.redirect("/console/cases/\(complaint.id.uuidString.lowercased())")
    }
}
