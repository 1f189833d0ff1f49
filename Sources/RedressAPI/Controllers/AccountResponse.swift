import Crypto
import Foundation
import Hummingbird
import RedressCore
import RedressStore

/// An account as the API shows it to itself and to those who manage it.
struct AccountResponse: Encodable, Sendable {
    struct RoleGrant: Encodable, Sendable {
        let role: Role
        let organizationID: ResourceID?

        enum CodingKeys: String, CodingKey { case role, organizationID }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(role, forKey: .role)
            try container.encode(organizationID, forKey: .organizationID)
        }
    }

    let id: ResourceID
    let email: String
    let displayName: String
    let phone: String?
    let roles: [RoleGrant]
    let createdAt: Date
    let disabled: Bool
    let disabledAt: Date?
    let mustChangePassword: Bool
    let secondFactor: Bool

    init(_ account: AccountRecord) {
        id = ResourceID(account.id)
        email = account.email
        displayName = account.displayName
        phone = account.phone
        roles = [RoleGrant(role: account.role, organizationID: ResourceID(account.organizationID))]
        createdAt = account.createdAt
        disabled = account.disabledAt != nil
        disabledAt = account.disabledAt
        mustChangePassword = account.mustChangePassword
        secondFactor = account.secondFactorEnabled
    }
}
