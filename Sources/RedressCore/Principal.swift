import Foundation

/// Who is making a request: nobody in particular, or an authenticated account with its one role.
public enum Principal: Sendable, Equatable {
    case anonymous
    case account(Actor)

    public var actor: Actor? {
        if case .account(let actor) = self { return actor }
        return nil
    }
}

/// An authenticated account as the policy layer sees it.
public struct Actor: Sendable, Equatable {
    public let accountID: UUID
    public let role: Role
    /// The organisation a staff account belongs to; `nil` for consumers, auditors and admins.
    public let organizationID: UUID?
    /// For merchant staff, the platform the merchant sells on; for platform staff, their own platform.
    public let platformID: UUID?

    public init(accountID: UUID, role: Role, organizationID: UUID?, platformID: UUID?) {
        self.accountID = accountID
        self.role = role
        self.organizationID = organizationID
        self.platformID = platformID
    }
}
