import Crypto
import Foundation
import RedressCore

/// The canonical JSON of an audit event: sorted keys, no insignificant whitespace, times in UTC with
/// milliseconds. Personal values are replaced by `{"digest": "hmac-sha256:…"}` here, before anything
/// is written, so that the chain never holds them. The client's address is not part of it at all: its
/// keyed digest is kept beside the event (`audit_events.client_digest`), outside what the hash covers
/// and what a dossier exports.
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

    init(entry: AuditEntry, occurredAt: Date, origin: RequestOrigin, keys: Keyring) {
        func value(_ value: AuditValue?) -> Value? {
            switch value {
            case nil: nil
            case .null: .null
            case .bool(let bool): .bool(bool)
            case .int(let int): .int(int)
            case .string(let string): .string(string)
            case .personal(let personal): .digest(keys.digest(personal))
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
    }

    /// The canonical text, written by hand: byte for byte what `JSONEncoder` with sorted keys and
    /// unescaped slashes writes (a test holds the two together), several times faster — every
    /// change the service makes writes one.
    func canonicalJSON() -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(768)
        Canonical.object(self.canonicalTree, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The reference: Foundation's encoder.
    func encodedByFoundation() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(self)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    private var canonicalTree: [(String, Canonical)] {
        func value(_ value: Value) -> Canonical {
            switch value {
            case .null: .null
            case .bool(let bool): .bool(bool)
            case .int(let int): .int(int)
            case .string(let string): .string(string)
            case .digest(let digest): .object([("digest", .string(digest))])
            }
        }
        var actorFields: [(String, Canonical)] = [("role", .string(actor.role))]
        if let id = actor.account_id { actorFields.append(("account_id", .string(id))) }
        if let id = actor.organization_id { actorFields.append(("organization_id", .string(id))) }
        let changeFields: [(String, Canonical)] = changes.map { field, change in
            var sides: [(String, Canonical)] = []
            if let before = change.before { sides.append(("before", value(before))) }
            if let after = change.after { sides.append(("after", value(after))) }
            return (field, .object(sides))
        }
        var fields: [(String, Canonical)] = [
            ("v", .int(v)), ("occurred_at", .string(occurred_at)), ("action", .string(action)),
            ("entity", .object([("type", .string(entity.type)), ("id", .string(entity.id))])), ("actor", .object(actorFields)),
            ("changes", .object(changeFields)),
        ]
        if let request_id { fields.append(("request_id", .string(request_id))) }
        return fields
    }

    static func timestamp(_ date: Date) -> String {
        UTCTime.milliseconds(date)
    }
}

/// A JSON value written canonically: object keys in byte order, no whitespace, strings escaped as
/// Foundation's `JSONEncoder` escapes them (with `.withoutEscapingSlashes`).
enum Canonical {
    case null
    case bool(Bool)
    case int(Int)
    case string(String)
    case object([(String, Canonical)])

    static func object(_ fields: [(String, Canonical)], to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "{"))
        for (index, (key, value)) in fields.sorted(by: { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }).enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            JSONText.string(key, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            value.write(to: &bytes)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    func write(to bytes: inout [UInt8]) {
        switch self {
        case .null: bytes += "null".utf8
        case .bool(let value): bytes += (value ? "true" : "false").utf8
        case .int(let value): bytes += String(value).utf8
        case .string(let value): JSONText.string(value, to: &bytes)
        case .object(let fields): Canonical.object(fields, to: &bytes)
        }
    }
}
