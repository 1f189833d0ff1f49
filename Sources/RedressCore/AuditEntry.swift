import Foundation

/// A value recorded in an audit event. Personal data (e-mail, phone, names, free text) is recorded as
/// `.personal`: the store replaces it by a keyed digest, so that the value itself never enters the chain.
public enum AuditValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case string(String)
    case personal(String)
}

/// A field's value before and after a change; `nil` on one side when the field did not exist.
public struct AuditFieldChange: Sendable, Equatable {
    public let before: AuditValue?
    public let after: AuditValue?

    public init(before: AuditValue? = nil, after: AuditValue?) {
        self.before = before
        self.after = after
    }
}

/// Who did something, as recorded in the audit trail.
public struct AuditActor: Sendable, Equatable {
    public let accountID: UUID?
    /// A role (`Role`), `anonymous`, or `cli` for the operator at the command line.
    public let role: String
    public let organizationID: UUID?

    public init(accountID: UUID?, role: String, organizationID: UUID?) {
        self.accountID = accountID
        self.role = role
        self.organizationID = organizationID
    }

    public init(_ principal: Principal) {
        switch principal {
        case .anonymous: self.init(accountID: nil, role: "anonymous", organizationID: nil)
        case .account(let actor): self.init(accountID: actor.accountID, role: actor.role.rawValue, organizationID: actor.organizationID)
        }
    }

    public static let commandLine = AuditActor(accountID: nil, role: "cli", organizationID: nil)
}

/// The audit chains. Each complaint will have its own; administration and each account have one.
public enum AuditChain {
    public static let administration = "administration"
    public static func account(_ id: UUID) -> String { "account:\(id.uuidString.lowercased())" }
}

/// One state-changing action, ready to be appended to an audit chain.
public struct AuditEntry: Sendable, Equatable {
    public let chain: String
    public let action: String
    public let entityType: String
    public let entityID: UUID
    public let actor: AuditActor
    public let changes: [String: AuditFieldChange]

    public init(chain: String, action: String, entityType: String, entityID: UUID, actor: AuditActor, changes: [String: AuditFieldChange]) {
        self.chain = chain
        self.action = action
        self.entityType = entityType
        self.entityID = entityID
        self.actor = actor
        self.changes = changes
    }
}

extension AuditChain {
    public static func complaint(_ id: UUID) -> String { "complaint:\(id.uuidString.lowercased())" }
}
