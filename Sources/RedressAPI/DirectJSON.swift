import Foundation
import RedressCore

/// A response type that writes its own JSON, byte for byte what `APIJSON.encoder()` writes, straight
/// into the output. For the responses written most (cases, alone and in pages): building the tree of
/// `SnakeCaseJSONWriter` first, through Codable's generic calls and a dynamic cast per value, was a
/// sixth of the service's CPU for reading a case and a third for a page of fifty. Debug builds still
/// compare every response with Foundation's encoder (`APIJSON.encode`), so every test of the API
/// checks these writers too.
protocol DirectJSON {
    /// Writes the value. Members of an object go in the order of their keys' bytes (the encoder's
    /// sorted keys); absent optionals are left out, as synthesized `Encodable` leaves them out.
    func write(to json: inout DirectJSONWriter)
}

extension DirectJSON {
    var jsonBytes: [UInt8] {
        var json = DirectJSONWriter()
        write(to: &json)
        return json.bytes
    }
}

/// JSON tokens appended to bytes, with the commas between them.
struct DirectJSONWriter {
    private(set) var bytes: [UInt8] = []
    /// Whether the next value or key follows another in the same object or array.
    private var followsValue = false

    init() {
        bytes.reserveCapacity(2_048)
    }

    mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        followsValue = false
    }

    mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        followsValue = true
    }

    mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        followsValue = false
    }

    mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        followsValue = true
    }

    /// A member's key: a snake_case property name (ASCII, nothing to escape).
    mutating func key(_ key: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        followsValue = false
    }

    mutating func string(_ value: String) {
        separate()
        JSONText.string(value, to: &bytes)
        followsValue = true
    }

    mutating func int(_ value: Int) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
        followsValue = true
    }

    mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
        followsValue = true
    }

    mutating func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
        followsValue = true
    }

    /// A number as Foundation's encoder writes a `Double`: its shortest form, without a trailing `.0`.
    /// One that is not finite is written `null` (Foundation refuses it; no figure written here is one).
    mutating func double(_ value: Double) {
        guard value.isFinite else { return null() }
        separate()
        var digits = value.description
        if digits.hasSuffix(".0") { digits.removeLast(2) }
        bytes.append(contentsOf: digits.utf8)
        followsValue = true
    }

    /// `value` as `write` writes it, or `null` when it is absent: a member that is always present.
    mutating func nullable<Value>(_ value: Value?, _ write: (inout DirectJSONWriter, Value) -> Void) {
        if let value { write(&self, value) } else { null() }
    }

    mutating func date(_ value: Date) { string(APIJSON.rfc3339(value)) }

    mutating func value<Value: RawRepresentable>(_ value: Value) where Value.RawValue == String { string(value.rawValue) }

    mutating func value(_ value: some DirectJSON) { value.write(to: &self) }

    mutating func array<Element>(_ elements: [Element], _ write: (inout DirectJSONWriter, Element) -> Void) {
        beginArray()
        for element in elements { write(&self, element) }
        endArray()
    }

    /// A dictionary of strings: its keys are data, written as they are, sorted by their bytes.
    mutating func object(_ members: [String: String]) {
        beginObject()
        for (key, value) in members.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            string(key)
            bytes.append(UInt8(ascii: ":"))
            followsValue = false
            string(value)
        }
        endObject()
    }

    // Members that are left out when absent.

    mutating func member(_ key: StaticString, _ value: String?) {
        guard let value else { return }
        self.key(key)
        string(value)
    }

    mutating func member(_ key: StaticString, _ value: Int?) {
        guard let value else { return }
        self.key(key)
        int(value)
    }

    mutating func member(_ key: StaticString, _ value: Bool?) {
        guard let value else { return }
        self.key(key)
        bool(value)
    }

    mutating func member(_ key: StaticString, _ value: Date?) {
        guard let value else { return }
        self.key(key)
        date(value)
    }

    mutating func member<Value: RawRepresentable>(_ key: StaticString, _ value: Value?) where Value.RawValue == String {
        guard let value else { return }
        self.key(key)
        string(value.rawValue)
    }

    mutating func member(_ key: StaticString, _ value: ResourceID?) {
        guard let value else { return }
        self.key(key)
        string(value.value.lowercasedString)
    }

    mutating func member(_ key: StaticString, _ value: (some DirectJSON)?) {
        guard let value else { return }
        self.key(key)
        value.write(to: &self)
    }

    mutating func member(_ key: StaticString, _ value: [String: String]?) {
        guard let value else { return }
        self.key(key)
        object(value)
    }

    mutating func member<Value: RawRepresentable>(_ key: StaticString, _ values: [Value]?) where Value.RawValue == String {
        guard let values else { return }
        self.key(key)
        array(values) { $0.string($1.rawValue) }
    }

    mutating func member<Value: DirectJSON>(_ key: StaticString, _ values: [Value]?) {
        guard let values else { return }
        self.key(key)
        array(values) { $0.value($1) }
    }

    /// A member written as `null` when absent (the pages' `next_cursor`, which clients test for).
    mutating func nullableMember(_ key: StaticString, _ value: String?) {
        self.key(key)
        if let value { string(value) } else { null() }
    }

    private mutating func separate() {
        if followsValue { bytes.append(UInt8(ascii: ",")) }
    }
}

extension PageResponse: DirectJSON where Item: DirectJSON {
    func write(to json: inout DirectJSONWriter) {
        json.beginObject()
        json.member("items", items)
        json.nullableMember("next_cursor", nextCursor)
        json.endObject()
    }
}
