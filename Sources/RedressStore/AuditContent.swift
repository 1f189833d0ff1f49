import Crypto
import Foundation
import RedressCore

/// The canonical JSON of an audit event: sorted keys, no insignificant whitespace, times in UTC with
/// milliseconds. Personal values are replaced by `{"digest": "hmac-sha256:…"}` here, before anything
/// is written, so that the chain never holds them.
struct AuditContent: Encodable {
    struct Actor: Encodable {
        let account_id: String?
        let role: String
        let organization_id: String?
    }
    struct Entity: Encodable {
        let type: String
        let id: String
    }
    struct Change: Encodable {
        let before: Value?
        let after: Value?
    }
    enum Value: Encodable {
        case null, bool(Bool), int(Int), string(String), digest(String)

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .null: try container.encodeNil()
            case .bool(let value): try container.encode(value)
            case .int(let value): try container.encode(value)
            case .string(let value): try container.encode(value)
            case .digest(let value): try container.encode(["digest": value])
            }
        }
    }

    let v = 1
    let occurred_at: String
    let action: String
    let entity: Entity
    let actor: Actor
    let changes: [String: Change]
    let request_id: String?
    let client_address: String?

    init(entry: AuditEntry, occurredAt: Date, origin: RequestOrigin, key: SymmetricKey) {
        func value(_ value: AuditValue?) -> Value? {
            switch value {
            case nil: nil
            case .null: .null
            case .bool(let bool): .bool(bool)
            case .int(let int): .int(int)
            case .string(let string): .string(string)
            case .personal(let personal): .digest(Self.digest(personal, key: key))
            }
        }
        occurred_at = AuditContent.timestamp(occurredAt)
        action = entry.action
        entity = Entity(type: entry.entityType, id: entry.entityID.uuidString.lowercased())
        actor = Actor(
            account_id: entry.actor.accountID?.uuidString.lowercased(), role: entry.actor.role,
            organization_id: entry.actor.organizationID?.uuidString.lowercased())
        changes = entry.changes.mapValues { Change(before: value($0.before), after: value($0.after)) }
        request_id = origin.requestID
        client_address = origin.clientAddress
    }

    func canonicalJSON() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings, numbers and dictionaries cannot fail.
        let data = (try? encoder.encode(self)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func digest(_ value: String, key: SymmetricKey) -> String {
        "hmac-sha256:" + HMAC<SHA256>.authenticationCode(for: Data(value.utf8), using: key).hexString
    }

    static func timestamp(_ date: Date) -> String {
        UTCTime.milliseconds(date)
    }
}
