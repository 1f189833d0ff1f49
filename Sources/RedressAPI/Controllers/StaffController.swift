import Foundation
import Hummingbird
import RedressCore
import RedressStore

/// Staff accounts: an admin creates and manages any; a platform administrator those of its platform
/// and its merchants; a mediation lead the mediators of its body. Managing is disabling, re-enabling,
/// moving to another role of the same organisation and forcing a password reset.
struct StaffController {
    let database: Database
    let hasher: PasswordHasher
    let configuration: APIConfiguration
    let sessions: SessionCache

    var endpoints: [Endpoint] {
        [
            Endpoint(.get, "/api/v1/staff", list),
            Endpoint(.post, "/api/v1/staff", create),
            Endpoint(.get, "/api/v1/staff/:id", read),
            Endpoint(.patch, "/api/v1/staff/:id", update),
            Endpoint(.post, "/api/v1/staff/:id/password-reset", resetPassword),
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

    struct UpdateRequest: Decodable {
        let role: String?
        let disabled: Bool?
    }

    struct ResetResponse: Encodable, Sendable {
        /// Shown once: the person signs in with it and must choose his own password at once.
        let temporaryPassword: String
        let account: AccountResponse
    }

    @Sendable func create(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<AccountResponse> {
        try Policy.authorize(context.principal, .manageStaff)
        let body = try await request.decodeJSON(CreateRequest.self, limit: configuration.maxJSONBodyBytes)
        return JSONResponse(status: .created, body: AccountResponse(try await create(body, context: context)))
    }

    /// A new staff account (for the API and the console).
    func create(_ body: CreateRequest, context: RedressRequestContext) async throws -> AccountRecord {
        try Policy.authorize(context.principal, .manageStaff)
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
        return try await database.transaction(as: context.identity, origin: context.origin) { transaction in
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
    }

    @Sendable func list(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<PageResponse<AccountResponse>> {
        try Policy.authorize(context.principal, .listStaff)
        let pageRequest = try request.pageRequest()
        let page = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.staff(in: try await Self.organizations(managedBy: context.principal, transaction), page: pageRequest)
        }
        return JSONResponse(body: PageResponse(page, AccountResponse.init))
    }

    /// Disables, re-enables or re-roles a staff account. Every session of it ends at once on every
    /// replica when it is disabled or gets a new role; a disabled mediator's cases go back to the lead.
    @Sendable func update(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<AccountResponse> {
        try Policy.authorize(context.principal, .manageStaff)
        let id = try context.parameters.id()
        let body = try await request.decodeJSON(UpdateRequest.self, limit: configuration.maxJSONBodyBytes)
        return JSONResponse(body: AccountResponse(try await update(id, body, context: context)))
    }

    /// A staff account disabled, re-enabled or given another role (for the API and the console).
    func update(_ id: UUID, _ body: UpdateRequest, context: RedressRequestContext) async throws -> AccountRecord {
        try Policy.authorize(context.principal, .manageStaff)
        var fields = FieldValidator()
        let role = body.role.map { Role(rawValue: $0) }
        if let role, role == nil || role == .consumer { fields.fail("role", "unknown_value") }
        if body.role == nil && body.disabled == nil { fields.fail("role", "nothing_to_change") }
        try fields.check()
        let change = StaffChange(role: role ?? nil, disabled: body.disabled)
        let account = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            let member = try await Self.managedMember(id, context: context, transaction)
            if let newRole = change.role, newRole != member.role {
                // Within the same organisation: a role of its kind that the caller may grant.
                guard newRole.organizationKind == member.role.organizationKind else {
                    throw RedressError.validation([.init(field: "role", reason: "wrong_kind_for_organization")])
                }
                let organization = try await transaction.organization(of: member)
                try Policy.authorize(context.principal, .createStaff(role: newRole, organization: organization))
            }
            return try await transaction.changeStaff(member, change, actor: context.auditActor)
        }
        sessions.forget(accountID: id)
        return account
    }

    /// Ends every session of a staff account and gives it a temporary password, shown once, with
    /// which the next sign-in must choose a new one.
    @Sendable func resetPassword(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<ResetResponse> {
        try Policy.authorize(context.principal, .manageStaff)
        let id = try context.parameters.id()
        // The second factor stays unless it is lost too: the temporary password passes through the
        // manager, who must not be able to sign in as the person with it.
        let removesSecondFactor: Bool
        switch request.uri.queryParameters["remove_second_factor"].map(String.init) {
        case nil, "false": removesSecondFactor = false
        case "true": removesSecondFactor = true
        default: throw RedressError.validation([.init(field: "remove_second_factor", reason: "invalid_boolean")])
        }
        let temporary = SecureRandom.token(bytes: 15)
        let hash = try await hasher.hash(temporary)
        let account = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            let member = try await Self.managedMember(id, context: context, transaction)
            try await transaction.forcePasswordReset(
                member, temporaryHash: hash, removingSecondFactor: removesSecondFactor, actor: context.auditActor)
            var reset = member
            reset.mustChangePassword = true
            if removesSecondFactor { reset.secondFactorEnabled = false }
            return reset
        }
        sessions.forget(accountID: id)
        return JSONResponse(body: ResetResponse(temporaryPassword: temporary, account: AccountResponse(account)), holdsSecret: true)
    }

    /// The staff account `id`, locked, if the caller manages it: one of another organisation is not
    /// found; one he sees but may not manage (his own, a lead's for a lead) is forbidden.
    static func managedMember(_ id: UUID, context: RedressRequestContext, _ transaction: Transaction) async throws -> AccountRecord {
        guard let member = try await transaction.staffMemberForUpdate(id: id, in: try await organizations(managedBy: context.principal, transaction))
        else { throw RedressError.notFound }
        let organization = try await transaction.organization(of: member)
        try Policy.authorize(context.principal, .manageStaffMember(accountID: member.id, role: member.role, organization: organization))
        return member
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

extension Transaction {
    /// The organisation a staff account belongs to; `nil` for auditors and admins.
    fileprivate func organization(of account: AccountRecord) async throws -> OrganizationRef? {
        guard let id = account.organizationID else { return nil }
        return try await organization(id: id)
    }
}
