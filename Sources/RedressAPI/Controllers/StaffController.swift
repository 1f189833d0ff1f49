import Foundation
import Hummingbird
import RedressCore
import RedressStore

/// Staff accounts: an admin creates any; a platform administrator those of its platform and its
/// merchants; a mediation lead the mediators of its body.
struct StaffController {
    let database: Database
    let hasher: PasswordHasher
    let configuration: APIConfiguration

    var endpoints: [Endpoint] {
        [
            Endpoint(.get, "/api/v1/staff", list),
            Endpoint(.post, "/api/v1/staff", create),
        ]
    }

    struct CreateRequest: Decodable {
        let email: String?
        let password: String?
        let displayName: String?
        let phone: String?
        let role: String?
        let organizationID: UUID?
    }

    @Sendable func create(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<AccountResponse> {
        try Policy.authorize(context.principal, .manageStaff)
        let body = try await request.decodeJSON(CreateRequest.self, limit: configuration.maxJSONBodyBytes)
        var fields = FieldValidator()
        let email = fields.email(body.email)
        let password = fields.password(body.password, email: email)
        let displayName = fields.text(body.displayName, field: "display_name", maxLength: 100)
        let phone = fields.phone(body.phone)
        let role = Role(rawValue: body.role ?? "")
        if role == nil || role == .consumer { fields.fail("role", body.role == nil ? "required" : "unknown_value") }
        if let role, role.isStaff, body.organizationID == nil { fields.fail("organization_id", "required") }
        if let role, !role.isStaff, body.organizationID != nil { fields.fail("organization_id", "not_allowed_for_role") }
        try fields.check()
        guard let role else { throw RedressError(.validationFailed) }
        let hash = try await hasher.hash(password)
        let account = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            var organization: OrganizationRef? = nil
            if let organizationID = body.organizationID {
                organization = try await transaction.organization(id: organizationID)
                guard let found = organization else {
                    throw RedressError.validation([.init(field: "organization_id", reason: "unknown_organization")])
                }
                guard found.kind == role.organizationKind else {
                    throw RedressError.validation([.init(field: "organization_id", reason: "wrong_kind_for_role")])
                }
            }
            try Policy.authorize(context.principal, .createStaff(role: role, organization: organization))
            return try await transaction.insertAccount(
                NewAccount(email: email, displayName: displayName, phone: phone, passwordHash: hash, role: role, organizationID: body.organizationID),
                actor: context.auditActor)
        }
        return JSONResponse(status: .created, body: AccountResponse(account))
    }

    @Sendable func list(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<PageResponse<AccountResponse>> {
        try Policy.authorize(context.principal, .listStaff)
        guard let actor = context.principal.actor else { throw RedressError.unauthenticated }
        let pageRequest = try request.pageRequest()
        let page = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            let scope: [UUID]?
            switch actor.role {
            case .admin:
                scope = nil
            case .platformAdmin:
                guard let platform = actor.organizationID else { throw RedressError.forbidden }
                scope = [platform] + (try await transaction.merchantIDs(platformID: platform))
            default:
                scope = actor.organizationID.map { [$0] } ?? []
            }
            return try await transaction.staff(in: scope, page: pageRequest)
        }
        return JSONResponse(body: PageResponse(page, AccountResponse.init))
    }
}
