import Foundation

/// A JSON document as tests read it: `response.json["items"][0]["state"].string`. A missing key,
/// an index out of range or a value of another kind reads as `nil` at the end of the path, so a
/// test states what it expects without casting through `Any`.
public enum JSON: ExpressibleByStringLiteral, ExpressibleByArrayLiteral, Sendable, Hashable, Codable, CustomStringConvertible {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    public init(stringLiteral value: String) { self = .string(value) }

    public init(arrayLiteral elements: JSON...) { self = .array(elements) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSON].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let elements): try container.encode(elements)
        case .object(let members): try container.encode(members)
        }
    }

    /// The document in `data`, or `nil` when it is not JSON.
    public init?(data: Data) {
        guard let value = try? JSONDecoder().decode(JSON.self, from: data) else { return nil }
        self = value
    }

    /// A member; setting one on an object replaces it (tests that doctor a document before a check).
    public subscript(key: String) -> JSON {
        get {
            if case .object(let members) = self, let value = members[key] { return value }
            return .null
        }
        set {
            guard case .object(var members) = self else { return }
            members[key] = newValue
            self = .object(members)
        }
    }

    public subscript(index: Int) -> JSON {
        get {
            if case .array(let elements) = self, elements.indices.contains(index) { return elements[index] }
            return .null
        }
        set {
            guard case .array(var elements) = self, elements.indices.contains(index) else { return }
            elements[index] = newValue
            self = .array(elements)
        }
    }

    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// A whole number; JSON does not tell `2` from `2.0`, so an integral number reads as one too.
    public var int: Int? {
        switch self {
        case .integer(let value): value
        case .number(let value) where value.rounded() == value && abs(value) < 9.0e15: Int(value)
        default: nil
        }
    }

    public var double: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .number(let value): value
        default: nil
        }
    }

    public var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The elements of an array; empty for anything else, so `for item in json["items"].array` reads.
    public var array: [JSON] {
        if case .array(let elements) = self { return elements }
        return []
    }

    /// The members of an object, or `nil` for anything else (to tell a missing key from a null one).
    public var object: [String: JSON]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The member names of an object; none for anything else.
    public var keys: [String] { object.map { Array($0.keys) } ?? [] }

    public var isNull: Bool { self == .null }

    /// The value, or `nil` when it is null or missing: `try #require(json["totals"].present)`.
    public var present: JSON? { isNull ? nil : self }

    /// The strings of an array of strings (other elements are left out).
    public var strings: [String] { array.compactMap(\.string) }

    /// The document as text, members sorted.
    public var text: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(self), as: UTF8.self)) ?? "null"
    }

    public var description: String {
        switch self {
        case .null: "null"
        case .bool(let value): String(value)
        case .integer(let value): String(value)
        case .number(let value): String(value)
        case .string(let value): "\"\(value)\""
        case .array(let elements): "[" + elements.map(\.description).joined(separator: ",") + "]"
        case .object(let members):
            "{" + members.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
        }
    }
}
