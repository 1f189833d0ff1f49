import Foundation
import Hummingbird
import NIOCore
import RedressCore
import RedressStore

/// The console's pages of records and figures: a case's printable dossier and the check of its audit
/// chain, the proposed clusters, a merchant's record across platforms, a platform's statistics, an
/// organisation's webhooks and their delivery log, and for the operator the directory, staff and
/// calendar. Each reads through the API's own function under the same policy.
extension ConsoleController {
    var recordPages: [Endpoint] {
        [
            Endpoint(.get, "/console/cases/:id/dossier", dossier),
            Endpoint(.get, "/console/cases/:id/audit", auditCheck),
            Endpoint(.get, "/console/clusters", clusters),
            Endpoint(.get, "/console/merchants/:id/record", merchantRecord),
            Endpoint(.get, "/console/statistics", statistics),
            Endpoint(.get, "/console/statistics/:id", platformStatistics),
            Endpoint(.get, "/console/webhooks", webhooks),
            Endpoint(.get, "/console/webhooks/:id", webhookDeliveries),
            Endpoint(.post, "/console/webhooks", createWebhook),
            Endpoint(.post, "/console/webhooks/:id", changeWebhook),
            Endpoint(.get, "/console/organisations", organisations),

            Endpoint(.get, "/console/calendar", calendar),
        ]
    }

    func tablePage(
        _ request: Request, _ context: RedressRequestContext, heading: String, intro: String = "", table: ConsoleTable,
        links: [(text: String, href: String)] = [], next: String = ""
    ) -> Response {
        let viewer = viewer(request, context)
        var values = table.values
        values["heading"] = heading
        values["intro"] = intro
        values["next_href"] = next
        values["has_buttons"] = !links.isEmpty
        values["buttons"] = links.map { ["button_text": $0.text, "button_href": $0.href] }
        return ConsolePage.render("table", title: heading, values: ConsolePage.present(values), viewer: viewer, headers: languageCookie(request))
    }

    func phrase(_ key: String, _ request: Request, _ context: RedressRequestContext) -> String {
        ConsoleText.phrase(key, ConsoleLanguage.of(request, context: context))
    }

    // MARK: A case's dossier and audit chain

    /// The dossier 12315, a court or the police receive, as the API prints it, for print.
    @Sendable func dossier(_ request: Request, context: RedressRequestContext) async throws -> Response {
        let actor = try signedIn(context)
        let id = try context.parameters.id()
        let language = ConsoleLanguage.of(request, context: context)
        let built = try await DossierController(database: database, configuration: configuration).build(id, actor: actor, context: context, language: language)
        let html = DossierPage.html(built, language: language, style: .console)
        return Response(status: .ok, headers: ConsoleSecurity.headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// The case's audit chain recomputed: for its parties and auditors.
    @Sendable func auditCheck(_ request: Request, context: RedressRequestContext) async throws -> Response {
        let actor = try signedIn(context)
        let id = try context.parameters.id()
        let result = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            guard let complaint = try await transaction.complaint(id: id) else { throw RedressError.notFound }
            if actor.role != .auditor && CaseAccess.relations(of: actor, to: complaint).isEmpty { throw RedressError.notFound }
            return try await transaction.verifyAuditChains(chain: AuditChain.complaint(id))
        }
        let t = { (key: String) in self.phrase(key, request, context) }
        var rows: [[ConsoleTable.Cell]] = [[.init(t("events")), .init(result.events)], [.init(t("chain_intact")), .init(t(result.valid ? "yes" : "no"))]]
        if let broken = result.firstBroken { rows.append([.init(t("first_broken")), .init("#\(broken.seq): \(broken.problem)")]) }
        return tablePage(
            request, context, heading: t("audit_check"), intro: t("audit_check_intro"),
            table: ConsoleTable(sections: [.init(caption: t("result"), columns: [t("item"), t("value")], rows: rows)]),
            links: [(t("back_to_case"), "/console/cases/\(id.uuidString.lowercased())")])
    }

    // MARK: Clusters and merchants

    @Sendable func clusters(_ request: Request, context: RedressRequestContext) async throws -> Response {
        _ = try signedIn(context)
        let offset = try offset(request)
        let (items, more) = try await ClusterController(database: database, configuration: configuration).clusters(
            offset: offset, limit: Self.pageSize, context: context)
        let language = ConsoleLanguage.of(request, context: context)
        let t = { (key: String) in ConsoleText.phrase(key, language) }
        let rows = items.map { cluster -> [ConsoleTable.Cell] in
            [
                .init(t(cluster.reason)), .init(ComplaintCategory(rawValue: cluster.category).map { ConsoleText.category($0, language) } ?? cluster.category),
                .init(cluster.size), .init(ConsoleFormat.time(cluster.updatedAt)),
                .init("", links: cluster.members.enumerated().map { index, member in
                    ("\(index + 1)", "/console/cases/\(member.complaintID.value.uuidString.lowercased())")
                }),
            ]
        }
        return tablePage(
            request, context, heading: t("clusters"), intro: t("clusters_intro"),
            table: ConsoleTable(sections: [.init(caption: t("proposed_clusters"), columns: [t("reason"), t("category"), t("size"), t("updated"), t("cases")], rows: rows)]),
            next: more && offset + Self.pageSize <= Self.maximumOffset ? "/console/clusters?offset=\(offset + Self.pageSize)" : "")
    }

    /// A merchant's record across platforms: by platform and by month (the API's window).
    @Sendable func merchantRecord(_ request: Request, context: RedressRequestContext) async throws -> Response {
        _ = try signedIn(context)
        let id = try context.parameters.id()
        let record = try await MerchantRecordController(database: database, configuration: configuration).record(
            id, parameters: request.uri.queryParameters, context: context)
        let t = { (key: String) in self.phrase(key, request, context) }
        let columns = [t("complaints"), t("open"), t("unresolved"), t("missed_deadline"), t("refunded"), t("police_referrals"), t("invalid")]
        func counts(_ counts: MerchantRecordController.Counts) -> [ConsoleTable.Cell] {
            [.init(counts.complaints), .init(counts.open), .init(counts.unresolved), .init(counts.missedDeadline),
             .init(ConsoleFormat.yuan(counts.amountRefunded)), .init(counts.policeReferrals), .init(counts.invalid)]
        }
        let byPlatform = record.platforms.map { [ConsoleTable.Cell("\($0.platformName) · \($0.merchantName)")] + counts($0.totals) }
        let byMonth = record.months.map { [ConsoleTable.Cell($0.month)] + counts($0.totals) }
        return tablePage(
            request, context, heading: "\(t("merchant_record")): \(record.merchant.name)", intro: "\(record.from) – \(record.to)",
            table: ConsoleTable(sections: [
                .init(caption: t("by_platform"), columns: [t("platform")] + columns, rows: byPlatform + [[.init(t("total"))] + counts(record.totals)]),
                .init(caption: t("by_month"), columns: [t("month")] + columns, rows: byMonth),
            ]))
    }

    // MARK: Statistics

    /// A platform's staff read their own platform's figures; mediators and auditors choose a platform.
    @Sendable func statistics(_ request: Request, context: RedressRequestContext) async throws -> Response {
        let actor = try signedIn(context)
        if [.platformStaff, .platformAdmin].contains(actor.role), let platform = actor.organizationID {
            return ConsolePage.redirect("/console/statistics/\(platform.uuidString.lowercased())")
        }
        try Policy.authorize(context.principal, .readAllPlatformStatistics)
        let pageRequest = try request.pageRequest()
        let page = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.platforms(page: pageRequest)
        }
        let t = { (key: String) in self.phrase(key, request, context) }
        let rows = page.items.map { [ConsoleTable.Cell($0.name, href: "/console/statistics/\($0.id.uuidString.lowercased())"), .init($0.companyName)] }
        return tablePage(
            request, context, heading: t("statistics"),
            table: ConsoleTable(sections: [.init(caption: t("platforms"), columns: [t("platform"), t("company")], rows: rows)]),
            next: page.nextCursor.map { "/console/statistics?cursor=\($0.encoded)" } ?? "")
    }

    /// One platform's figures (the API's `GET /stats/platforms/{id}`, the same period parameters).
    @Sendable func platformStatistics(_ request: Request, context: RedressRequestContext) async throws -> Response {
        _ = try signedIn(context)
        let id = try context.parameters.id()
        try Policy.authorize(context.principal, .readPlatformStatistics(platformID: id))
        let query = try StatisticsController.PeriodQuery(request, today: configuration.calendarDay(of: configuration.clock.now()))
        let figures = try await StatisticsController(database: database, configuration: configuration).figures(of: id, query: query, context: context)
        let language = ConsoleLanguage.of(request, context: context)
        let t = { (key: String) in ConsoleText.phrase(key, language) }
        let columns = [t("complaints"), t("responded_on_time"), t("response_rate"), t("resolution_rate"), t("escalated"), t("referred"),
                       t("repeat_complaints"), t("collective"), t("median_first_response_hours"), t("refunded")]
        func cells(_ metrics: MetricsResponse) -> [ConsoleTable.Cell] {
            func rate(_ rate: RateResponse) -> String { rate.value.value.map { String(format: "%.1f%%", $0 * 100) } ?? "—" }
            return [
                .init(metrics.complaints), .init(metrics.respondedOnTime), .init(rate(metrics.responseRate)), .init(rate(metrics.resolutionRate)),
                .init(metrics.escalated), .init(metrics.referred), .init(metrics.repeatComplaints), .init(metrics.collective),
                .init(metrics.medianFirstResponseHours?.value.map { String(format: "%.1f", $0) } ?? "—"), .init(ConsoleFormat.yuan(metrics.amountRefunded)),
            ]
        }
        let byCategory = figures.byCategory.map { row in
            [ConsoleTable.Cell(ComplaintCategory(rawValue: row.category).map { ConsoleText.category($0, language) } ?? row.category)] + cells(row.metrics)
        }
        let series = (figures.series ?? []).map { [ConsoleTable.Cell($0.period)] + cells($0.metrics) }
        return tablePage(
            request, context, heading: "\(t("statistics")): \(figures.platform.name)", intro: "\(figures.from) – \(figures.to) · \(t("metrics_intro"))",
            table: ConsoleTable(sections: [
                .init(caption: t("total"), columns: [""] + columns, rows: [[.init(t("total"))] + cells(figures.totals)]),
                .init(caption: t("by_period"), columns: [t("period")] + columns, rows: series),
                .init(caption: t("by_category"), columns: [t("category")] + columns, rows: byCategory),
            ]))
    }

    // MARK: Webhooks

    @Sendable func webhooks(_ request: Request, context: RedressRequestContext) async throws -> Response {
        _ = try signedIn(context)
        return try await webhooksResponse(request, context)
    }

    /// The organisation's endpoints, each disabled or re-enabled with a button, and a form for a new one
    /// (whose signing secret the next page shows, once).
    func webhooksResponse(
        _ request: Request, _ context: RedressRequestContext, secret: String? = nil, errors: [RedressError.InvalidField] = [],
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let organization = try WebhookController.organization(context)
        let page = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.webhookEndpoints(organizationID: organization, page: PageRequest(limit: PageRequest.maximumLimit))
        }
        let viewer = viewer(request, context)
        let t = { (key: String) in ConsoleText.phrase(key, viewer.language) }
        let values: [String: Any] = [
            "secret": secret ?? "",
            "has_endpoints": !page.items.isEmpty,
            "endpoints": page.items.map { endpoint -> [String: Any] in
                [
                    "id": endpoint.id.uuidString.lowercased(), "url": endpoint.url, "events": endpoint.eventTypes.joined(separator: ", "),
                    "status": t(endpoint.disabledAt == nil ? "enabled" : "disabled"), "created": ConsoleFormat.time(endpoint.createdAt),
                    "disable_value": endpoint.disabledAt == nil ? "true" : "false", "toggle_label": t(endpoint.disabledAt == nil ? "disable" : "enable"),
                ]
            },
            "event_types": EventCatalogue.all,
        ]
        return ConsolePage.render(
            "webhooks", title: t("webhooks"), values: ConsolePage.present(values), viewer: viewer, errors: errors, status: status,
            headers: languageCookie(request))
    }

    @Sendable func createWebhook(_ request: Request, context: RedressRequestContext) async throws -> Response {
        _ = try signedIn(context)
        let form = try await self.form(request, context)
        let types = form.fields.keys.filter { $0.hasPrefix("event.") && form[$0] == "true" }.map { String($0.dropFirst("event.".count)) }.sorted()
        do {
            let (_, secret) = try await WebhookController(database: database, configuration: configuration).create(
                .init(url: form["url"], eventTypes: types.contains(EventCatalogue.everything) ? [EventCatalogue.everything] : types,
                      description: form["description"]),
                context: context)
            return try await webhooksResponse(request, context, secret: secret, status: .created)
        } catch let error as RedressError where error.code == .validationFailed || error.status == 409 {
            let language = ConsoleLanguage.of(request, context: context)
            let invalid = error.invalidFields.isEmpty ? [RedressError.InvalidField(field: "", reason: error.detail ?? error.code.title(in: language))] : error.invalidFields
            return try await webhooksResponse(request, context, errors: invalid, status: .init(code: error.status))
        }
    }

    @Sendable func changeWebhook(_ request: Request, context: RedressRequestContext) async throws -> Response {
        _ = try signedIn(context)
        let id = try context.parameters.id()
        let form = try await self.form(request, context)
        let disabled = try form.boolean("disabled")
        _ = try await WebhookController(database: database, configuration: configuration).update(
            id, .init(url: nil, eventTypes: nil, description: nil, disabled: disabled), context: context)
        return ConsolePage.redirect("/console/webhooks")
    }

    /// An endpoint's deliveries, newest first (the API's delivery log).
    @Sendable func webhookDeliveries(_ request: Request, context: RedressRequestContext) async throws -> Response {
        _ = try signedIn(context)
        _ = try WebhookController.organization(context)
        let id = try context.parameters.id()
        let (endpoint, deliveries) = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            guard let endpoint = try await transaction.webhookEndpoint(id: id) else { throw RedressError.notFound }
            return (endpoint, try await transaction.webhookDeliveries(endpointID: id, state: nil, page: PageRequest(limit: PageRequest.maximumLimit)))
        }
        let t = { (key: String) in self.phrase(key, request, context) }
        let rows = deliveries.items.map { delivery -> [ConsoleTable.Cell] in
            [.init(ConsoleFormat.time(delivery.createdAt)), .init(delivery.eventType),
             .init(String(delivery.complaintID.uuidString.prefix(8)), href: "/console/cases/\(delivery.complaintID.uuidString.lowercased())"),
             .init(delivery.state.rawValue), .init(delivery.attempts), .init(delivery.lastStatus.map(String.init) ?? "—"),
             .init(delivery.lastLatencyMilliseconds.map { "\($0) ms" } ?? "—"), .init(delivery.lastError ?? "")]
        }
        return tablePage(
            request, context, heading: "\(t("deliveries")): \(endpoint.url)",
            table: ConsoleTable(sections: [.init(
                caption: t("deliveries"),
                columns: [t("created"), t("events"), t("case"), t("status"), t("attempts"), t("http_status"), t("latency"), t("error")], rows: rows)]),
            links: [(t("webhooks"), "/console/webhooks")])
    }

    // MARK: The operator's directory

    /// The platforms and mediation bodies (the operator's and an auditor's view of the directory).
    @Sendable func organisations(_ request: Request, context: RedressRequestContext) async throws -> Response {
        let actor = try signedIn(context)
        guard [.admin, .auditor].contains(actor.role) else { throw RedressError.forbidden }
        let (platforms, bodies) = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            (try await transaction.platforms(page: PageRequest(limit: PageRequest.maximumLimit)).items,
             try await transaction.mediationBodies(page: PageRequest(limit: PageRequest.maximumLimit)).items)
        }
        let t = { (key: String) in self.phrase(key, request, context) }
        return tablePage(
            request, context, heading: t("organisations"), intro: t("organisations_intro"),
            table: ConsoleTable(sections: [
                .init(caption: t("platforms"), columns: [t("platform"), t("company"), t("credit_code"), t("response_days")],
                      rows: platforms.map { [.init($0.name), .init($0.companyName), .init($0.creditCode), .init($0.responseDays)] }),
                .init(caption: t("mediation_bodies"), columns: [t("mediation_body"), t("region")],
                      rows: bodies.map { [.init($0.name), .init($0.region)] }),
            ]))
    }

    /// The listed days of this year and the next (holidays and the weekend days worked).
    @Sendable func calendar(_ request: Request, context: RedressRequestContext) async throws -> Response {
        _ = try signedIn(context)
        try Policy.authorize(context.principal, .readCalendar)
        let year = WorkingCalendar(days: [], timeZone: configuration.timeZone).localDate(of: configuration.clock.now()).year
        let days = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.calendarDays(from: LocalDate(year: year, month: 1, day: 1), through: LocalDate(year: year + 1, month: 12, day: 31))
        }
        let t = { (key: String) in self.phrase(key, request, context) }
        let rows = days.map { [ConsoleTable.Cell($0.date.description), .init($0.name), .init(t($0.kind == .workday ? "working_day" : "day_off"))] }
        return tablePage(
            request, context, heading: t("calendar"), intro: t("calendar_intro"),
            table: ConsoleTable(sections: [.init(caption: "\(year)–\(year + 1)", columns: [t("date"), t("name"), t("kind")], rows: rows)]))
    }
}
