/// The roles Redress knows (Docs/architecture.md). The raw values are part of the API and the database.
public enum Role: String, Sendable, Codable, CaseIterable {
    case consumer
    case merchantStaff = "merchant_staff"
    case platformStaff = "platform_staff"
    case platformAdmin = "platform_admin"
    case mediator
    case mediationLead = "mediation_lead"
    case auditor
    case admin

    /// The kind of organisation an account of this role belongs to; `nil` for roles that belong to none.
    public var organizationKind: OrganizationKind? {
        switch self {
        case .merchantStaff: .merchant
        case .platformStaff, .platformAdmin: .platform
        case .mediator, .mediationLead: .mediationBody
        case .consumer, .auditor, .admin: nil
        }
    }

    /// Staff roles are created by an administrator; the others are not staff.
    public var isStaff: Bool { organizationKind != nil }
}

/// The kinds of organisation a staff account can belong to.
public enum OrganizationKind: String, Sendable, Codable, CaseIterable {
    case platform
    case merchant
    case mediationBody = "mediation_body"
}

/// The kinds of mediation body.
public enum MediationBodyKind: String, Sendable, Codable, CaseIterable {
    case consumerAssociation = "consumer_association"
    case industryAssociation = "industry_association"
}
