import Foundation
import Hummingbird
import RedressCore
import RedressStore

/// Staff accounts in the console: the people the caller manages (an operator: everyone's; a
/// platform's administrator: the platform's and its merchants'; a lead: the body's mediators), each
/// disabled or re-enabled with a button, and a new one created — through the API's own functions
/// (`StaffController.create`, `StaffController.update`) under the same policy.
extension ConsoleController {
    var staffPages: [Endpoint] {
        [
            Endpoint(.get, "/console/staff", staff),
            Endpoint(.post, "/console/staff", createStaff),
            Endpoint(.post, "/console/staff/:id", changeStaff),
        ]
    }

    var staffController: StaffController {
        StaffController(database: database, hasher: signIn.hasher, configuration: configuration, sessions: sessions)
    }

    @Sendable func staff(_ request: Request, context: RedressRequestContext) async throws -> Response {
        _ = try signedIn(context)
        return try await staffResponse(request, context)
    }

    func staffResponse(
        _ request: Request, _ context: RedressRequestContext, notice: String? = nil, errors: [RedressError.InvalidField] = [],
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let actor = try signedIn(context)
        try Policy.authorize(context.principal, .listStaff)
        let pageRequest = try request.pageRequest()
        let (page, organizations) = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            let managed = try await StaffController.organizations(managedBy: context.principal, transaction)
            return (try await transaction.staff(in: managed, page: pageRequest), try await Self.staffOrganizations(actor, transaction))
        }
        let viewer = viewer(request, context)
        let language = viewer.language
        let t = { (key: String) in ConsoleText.phrase(key, language) }
        let grantable: [Role] = switch actor.role {
        // A merchant's staff are its platform's to make (the operator's list holds no merchants).
        case .admin: [.platformStaff, .platformAdmin, .mediator, .mediationLead, .auditor, .admin]
        case .platformAdmin: [.platformStaff, .platformAdmin, .merchantStaff]
        case .mediationLead: [.mediator]
        default: []
        }
        let values: [String: Any] = [
            "has_members": !page.items.isEmpty,
            "members": page.items.map { account in
                [
                    "id": account.id.uuidString.lowercased(), "name": account.displayName, "email": account.email,
                    "role": ConsoleText.role(account.role, language), "status": t(account.disabledAt == nil ? "enabled" : "disabled"),
                    "second_factor": t(account.secondFactorEnabled ? "yes" : "no"), "manageable": account.id != actor.accountID && Self.manages(account.role, as: actor),
                    "disable_value": account.disabledAt == nil ? "true" : "false", "toggle_label": t(account.disabledAt == nil ? "disable" : "enable"),
                ] as [String: Any]
            },
            "next_href": page.nextCursor.map { "/console/staff?cursor=\($0.encoded)" } ?? "",
            "may_create": (try? Policy.authorize(context.principal, .manageStaff)) != nil && !grantable.isEmpty,
            "roles": grantable.map { ["value": $0.rawValue, "label": ConsoleText.role($0, language)] },
            "organizations": [["value": "", "label": t("no_organisation")]]
                + organizations.map { ["value": $0.id.uuidString.lowercased(), "label": $0.label] },
        ]
        return ConsolePage.render(
            "staff", title: t("staff"), values: ConsolePage.present(values), viewer: viewer, notice: notice, errors: errors, status: status,
            headers: languageCookie(request))
    }

    /// The organisations a new account may belong to: those the caller manages (a platform's
    /// administrator: the platform and its first hundred merchants; a lead: the body; the operator: the
    /// first hundred platforms and mediation bodies — a merchant's first account is its platform's to make).
    static func staffOrganizations(_ actor: Actor, _ transaction: Transaction) async throws -> [(id: UUID, label: String)] {
        let page = PageRequest(limit: PageRequest.maximumLimit)
        switch actor.role {
        case .admin:
            return try await transaction.platforms(page: page).items.map { ($0.id, $0.name) }
                + transaction.mediationBodies(page: page).items.map { ($0.id, $0.name) }
        case .platformAdmin:
            guard let platform = actor.organizationID, let record = try await transaction.platform(id: platform) else { return [] }
            return [(platform, record.name)] + (try await transaction.merchants(platformID: platform, page: page).items.map { ($0.id, $0.name) })
        case .mediationLead:
            return try await transaction.mediationBodies(page: page).items.filter { $0.id == actor.organizationID }.map { ($0.id, $0.name) }
        default:
            return []
        }
    }

    /// Whether the caller may change a member of this role (the API's rule, `Policy.manageStaffMember`,
    /// for the members his list holds).
    static func manages(_ role: Role, as actor: Actor) -> Bool {
        switch actor.role {
        case .admin: role != .consumer
        case .platformAdmin: [.platformStaff, .platformAdmin, .merchantStaff].contains(role)
        case .mediationLead: role == .mediator
        default: false
        }
    }

    @Sendable func createStaff(_ request: Request, context: RedressRequestContext) async throws -> Response {
        _ = try signedIn(context)
        let form = try await self.form(request, context)
        let language = ConsoleLanguage.of(request, context: context)
        do {
            _ = try await staffController.create(
                .init(email: form["email"], password: form.fields["password"], displayName: form["display_name"], phone: form["phone"],
                      role: form["role"], organizationID: form["organization_id"].flatMap(UUID.init(uuidString:))),
                context: context)
        } catch let error as RedressError where error.code == .validationFailed || error.status == 409 {
            let invalid = error.invalidFields.isEmpty ? [RedressError.InvalidField(field: "", reason: error.detail ?? error.code.title(in: language))] : error.invalidFields
            return try await staffResponse(request, context, errors: invalid, status: .init(code: error.status))
        }
        return ConsolePage.redirect("/console/staff")
    }

    /// Disables or re-enables an account; every session of a disabled one ends at once.
    @Sendable func changeStaff(_ request: Request, context: RedressRequestContext) async throws -> Response {
        _ = try signedIn(context)
        let id = try context.parameters.id()
        let form = try await self.form(request, context)
        let disabled = try form.boolean("disabled")
        _ = try await staffController.update(id, .init(role: nil, disabled: disabled), context: context)
        return ConsolePage.redirect("/console/staff")
    }
}
