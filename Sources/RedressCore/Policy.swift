import Foundation

/// An organisation as the policy layer needs to know it: what it is and which platform it belongs to.
public struct OrganizationRef: Sendable, Equatable {
    public let id: UUID
    public let kind: OrganizationKind
    /// The platform itself for a platform, the merchant's platform for a merchant, `nil` for a mediation body.
    public let platformID: UUID?
    /// Its name, where the store read it.
    public var name: String?

    public init(id: UUID, kind: OrganizationKind, platformID: UUID?) {
        self.id = id
        self.kind = kind
        self.platformID = platformID
    }
}

/// Everything a caller can ask Redress to do, with the resource it is done to.
public enum Operation: Sendable, Equatable {
    case register
    case login
    case logout
    case readOwnAccount
    case listPlatforms
    case readPlatform
    case listMerchants
    case createPlatform
    case updatePlatform(platformID: UUID)
    case createMerchant(platformID: UUID)
    case listMediationBodies
    case createMediationBody
    /// Whether the caller may manage staff at all (checked before the request body is read).
    case manageStaff
    /// Creating an account with `role` in `organization` (`nil` for auditors and admins).
    case createStaff(role: Role, organization: OrganizationRef?)
    case listStaff
    /// Disabling, re-enabling, re-roling or resetting one staff account: only one the caller could
    /// create, and never the caller's own (an administrator cannot lock himself out or promote himself).
    case manageStaffMember(accountID: UUID, role: Role, organization: OrganizationRef?)
    case readCalendar
    case manageCalendar
    case fileComplaint
    /// Listing or reading complaints at all; which ones is row-level security's and the relation's business.
    case readComplaints
    /// Acting on complaints at all; which action on which case is the lifecycle's business (`CaseAccess`).
    case actOnComplaints
    /// A mediation body's queue of escalated cases.
    case readTriageQueue
    /// One platform's statistics, at any granularity.
    case readPlatformStatistics(platformID: UUID)
    /// Every platform's statistics at once.
    case readAllPlatformStatistics
    /// The anonymous public report: platform-level aggregates only.
    case readPublicReport
    /// Registering and managing the caller's own organisation's webhook endpoints and their log.
    case manageWebhooks
    /// A platform's recorded terms: read by anyone signed in, recorded by the platform's administrator.
    case readPlatformTerms
    case recordPlatformTerms(platformID: UUID)
    /// A merchant's record across platforms: mediation bodies and auditors any merchant's, a platform
    /// its own merchants', a merchant its own (`merchant` is the merchant asked about).
    case readMerchantRecord(merchant: OrganizationRef)
    /// Searching case texts: those who read them (an auditor reads cases' metadata, not their texts).
    case searchComplaints
    /// Proposed clusters of cases: staff, each seeing the members it may read.
    case readClusters
    /// A mediation body's collective cases: its mediators and leads read them, its leads create them.
    case readCollectives
    case createCollective
}

/// The one place that answers "may this principal do this operation to this resource". Deny by default:
/// every operation lists who may do it, and everyone else is refused (401 when not signed in).
public enum Policy {
    public static func authorize(_ principal: Principal, _ operation: Operation) throws(RedressError) {
        if isAllowed(principal, operation) { return }
        throw principal.actor == nil ? .unauthenticated : .forbidden
    }

    public static func isAllowed(_ principal: Principal, _ operation: Operation) -> Bool {
        switch operation {
        case .register, .login, .listPlatforms, .readPlatform, .listMerchants, .listMediationBodies, .readCalendar,
            .readPublicReport:
            return true
        default:
            break
        }
        guard let actor = principal.actor else { return false }
        switch operation {
        case .logout, .readOwnAccount:
            return true
        case .createPlatform, .createMediationBody, .manageCalendar:
            return actor.role == .admin
        case .updatePlatform(let platformID), .createMerchant(let platformID):
            return actor.role == .admin || (actor.role == .platformAdmin && actor.organizationID == platformID)
        case .fileComplaint:
            return actor.role == .consumer
        case .readTriageQueue:
            return [.mediator, .mediationLead].contains(actor.role)
        case .readComplaints:
            // The operator administers the deployment; it does not read complaints.
            return actor.role != .admin
        case .actOnComplaints:
            // An auditor reads; it never takes part in a case.
            return actor.role != .admin && actor.role != .auditor
        case .readPlatformStatistics(let platformID):
            if [.platformStaff, .platformAdmin].contains(actor.role) { return actor.organizationID == platformID }
            return [.mediator, .mediationLead, .auditor].contains(actor.role)
        case .readAllPlatformStatistics:
            return [.mediator, .mediationLead, .auditor].contains(actor.role)
        case .manageStaff, .listStaff:
            return [.admin, .platformAdmin, .mediationLead].contains(actor.role)
        case .manageWebhooks:
            return [.platformAdmin, .mediationLead].contains(actor.role) && actor.organizationID != nil
        case .readPlatformTerms:
            return true
        case .recordPlatformTerms(let platformID):
            return actor.role == .platformAdmin && actor.organizationID == platformID
        case .searchComplaints:
            return actor.role != .admin && actor.role != .auditor
        case .readClusters:
            return ![.consumer, .admin].contains(actor.role)
        case .readCollectives:
            return [.mediator, .mediationLead].contains(actor.role) && actor.organizationID != nil
        case .createCollective:
            return actor.role == .mediationLead && actor.organizationID != nil
        case .readMerchantRecord(let merchant):
            switch actor.role {
            case .mediator, .mediationLead, .auditor: return true
            case .platformStaff, .platformAdmin: return merchant.platformID == actor.organizationID
            case .merchantStaff: return merchant.id == actor.organizationID
            default: return false
            }
        case .createStaff(let role, let organization):
            return mayCreate(role: role, in: organization, actor: actor)
        case .manageStaffMember(let accountID, let role, let organization):
            return accountID != actor.accountID && mayCreate(role: role, in: organization, actor: actor)
        case .register, .login, .listPlatforms, .readPlatform, .listMerchants, .listMediationBodies, .readCalendar,
            .readPublicReport:
            return true
        }
    }

    private static func mayCreate(role: Role, in organization: OrganizationRef?, actor: Actor) -> Bool {
        // The organisation must be of the kind the role belongs to (none for auditors and admins).
        guard role != .consumer, organization?.kind == role.organizationKind else { return false }
        switch actor.role {
        case .admin:
            return true
        case .platformAdmin:
            guard let organization, let ownPlatform = actor.organizationID else { return false }
            switch role {
            case .platformStaff, .platformAdmin: return organization.id == ownPlatform
            case .merchantStaff: return organization.platformID == ownPlatform
            default: return false
            }
        case .mediationLead:
            guard let organization else { return false }
            return role == .mediator && organization.id == actor.organizationID
        default:
            return false
        }
    }
}
