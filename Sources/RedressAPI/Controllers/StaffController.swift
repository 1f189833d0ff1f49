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
            Endpoint(.get, "/api/v1/staff/:id", read),
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
        let pageRequest = try request.pageRequest()
        let page = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.staff(in: try await Self.organizations(managedBy: context.principal, transaction), page: pageRequest)
        }
        return JSONResponse(body: PageResponse(page, AccountResponse.init))
    }

    /// One staff account; one the caller does not manage is not found, whoever it belongs to.
    @Sendable func read(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<AccountResponse> {
        try Policy.authorize(context.principal, .listStaff)
        let id = try context.parameters.id()
        let account = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.staffMember(id: id, in: try await Self.organizations(managedBy: context.principal, transaction))
        }
        guard let account else { throw RedressError.notFound }
        return JSONResponse(body: AccountResponse(account))
    }

    /// The organisations whose staff the caller manages; `nil` for all (an admin).
    static func organizations(managedBy principal: Principal, _ transaction: Transaction) async throws -> [UUID]? {
        guard let actor = principal.actor else { throw RedressError.unauthenticated }
        switch actor.role {
        case .admin:
            return nil
        case .platformAdmin:
            guard let platform = actor.organizationID else { return [] }
            return [platform] + (try await transaction.merchantIDs(platformID: platform))
        case .mediationLead:
            return actor.organizationID.map { [$0] } ?? []
        default:
            return []
        }
    }
}
