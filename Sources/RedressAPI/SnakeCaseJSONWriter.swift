import Foundation
import Synchronization
import RedressCore

/// Writes responses exactly as `APIJSON.encoder()` (Foundation's JSONEncoder with snake_case keys,
/// sorted keys, unescaped slashes and the display zone's times) would, byte for byte (tested), at a
/// fraction of the cost.
///
/// Foundation's encoder converts every key of every object to snake case again (the conversion
/// alone was 13 % of the service's time for a 50-case triage page) and goes through generic
/// metadata lookups per value; here conversions are remembered, and the tree is plain enums.
/// String-keyed dictionaries keep their keys, as in Foundation.
enum SnakeCaseJSONWriter {
    static func encode<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        let node = try TreeEncoder.box(value, at: Location(parent: nil, key: nil))
        var output: [UInt8] = []
        output.reserveCapacity(1024)
        node.write(to: &output)
        return output
    }

    /// Foundation's `convertToSnakeCase`, for the ASCII keys of Swift properties, remembered.
    static func snakeCase(_ key: String) -> String { internedSnakeCase(key).name }

    /// The snake-case name, and whether it is the remembered string itself: those live as long as the
    /// process, which is what lets an object's order of keys be remembered by the keys' identity.
    static func internedSnakeCase(_ key: String) -> (name: String, interned: Bool) {
        if let known = snakeCases.withLock({ $0[key] }) { return (known, true) }
        let converted = convertToSnakeCase(key)
        // Another thread may have remembered the name meanwhile: its string is the one kept, and the
        // only one that may be called remembered.
        return snakeCases.withLock { cache in
            if let known = cache[key] { return (known, true) }
            guard cache.count < 4_096 else { return (converted, false) }
            cache[key] = converted
            return (converted, true)
        }
    }

    private static let snakeCases = LockedDictionary()

    /// Word boundaries as Foundation draws them: before an upper-case letter that follows a lower-case
    /// one, and before the last capital of a run of capitals followed by a lower-case letter
    /// (`myURLProperty` → `my_url_property`, `accountID` → `account_id`).
    static func convertToSnakeCase(_ key: String) -> String {
        let bytes = Array(key.utf8)
        guard !bytes.isEmpty, bytes.allSatisfy({ $0 < 0x80 }) else { return key }
        func isUpper(_ byte: UInt8) -> Bool { byte >= 0x41 && byte <= 0x5A }
        func isLower(_ byte: UInt8) -> Bool { byte >= 0x61 && byte <= 0x7A }
        var words: [Range<Int>] = []
        var wordStart = 0
        var searchStart = 1
        let end = bytes.count
        while let upper = (searchStart..<end).first(where: { isUpper(bytes[$0]) }) {
            words.append(wordStart..<upper)
            guard let lower = (upper..<end).first(where: { isLower(bytes[$0]) }) else {
                wordStart = upper
                searchStart = end
                break
            }
            if lower == upper + 1 {
                wordStart = upper
            } else {
                words.append(upper..<(lower - 1))
                wordStart = lower - 1
            }
            searchStart = lower + 1
            if searchStart > end { break }
        }
        words.append(wordStart..<end)
        var result: [UInt8] = []
        result.reserveCapacity(end + words.count)
        for (index, word) in words.enumerated() {
            if index > 0 { result.append(UInt8(ascii: "_")) }
            for byte in bytes[word] { result.append(isUpper(byte) ? byte + 32 : byte) }
        }
        return String(decoding: result, as: UTF8.self)
    }
}

private final class LockedDictionary: Sendable {
    private let storage = Mutex<[String: String]>([:])

    func withLock<T>(_ body: (inout [String: String]) -> T) -> T {
        storage.withLock { body(&$0) }
    }
}

/// A JSON value being built. Objects and arrays are references so that nested containers can fill them.
private enum Node {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array(ArrayBox)
    case object(ObjectBox)

    func write(to output: inout [UInt8]) {
        switch self {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let value): output.append(contentsOf: (value ? "true" : "false").utf8)
        case .number(let digits): output.append(contentsOf: digits.utf8)
        case .string(let value): Node.writeString(value, to: &output)
        case .array(let box):
            output.append(UInt8(ascii: "["))
            for (index, item) in box.items.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                item.write(to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let box):
            output.append(UInt8(ascii: "{"))
            let members = box.members
            let order = KeyOrders.order(of: box)
            var first = true
            for (position, index) in order.enumerated() {
                if position + 1 < order.count, members[order[position + 1]].key == members[index].key { continue }
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                Node.writeString(members[index].key, to: &output)
                output.append(UInt8(ascii: ":"))
                members[index].value.write(to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// The order of two keys' UTF-8 bytes (negative, zero, positive), as Foundation sorts keys.
    static func compare(_ a: String, _ b: String) -> Int {
        var a = a, b = b
        return a.withUTF8 { a in
            b.withUTF8 { b in
                let common = min(a.count, b.count)
                if common > 0, let aBase = a.baseAddress, let bBase = b.baseAddress {
                    let order = memcmp(aBase, bBase, common)
                    if order != 0 { return Int(order) }
                }
                return a.count - b.count
            }
        }
    }

    static func writeString(_ value: String, to output: inout [UInt8]) {
        JSONText.string(value, to: &output)
    }

    static func number<T: BinaryFloatingPoint & CustomStringConvertible>(_ value: T, at location: Location) throws -> Node {
        guard value.isFinite else {
            throw EncodingError.invalidValue(
                value, EncodingError.Context(codingPath: location.keys, debugDescription: "Unable to encode \(value) directly in JSON."))
        }
        var digits = value.description
        if digits.hasSuffix(".0") { digits.removeLast(2) }
        return .number(digits)
    }
}

private final class ArrayBox {
    var items: [Node] = []
}

/// Members in the order they were encoded; written sorted by key. An array, not a dictionary:
/// hashing every key of every object cost a fifth of encoding a public report.
private final class ObjectBox {
    var members: [(key: String, value: Node)] = []
    /// Every key is a remembered property name (see `KeyOrders`).
    var internedKeys = true

    func set(_ key: String, _ value: Node, interned: Bool = false) {
        members.append((key, value))
        if !interned { internedKeys = false }
    }
}

/// The written order of an object's members: sorted by the keys' bytes, and a key set twice keeps
/// its last value, as a dictionary would. Objects of one type have the same keys in the same encoded
/// order nearly every time, and sorting them again for each of a report's 1,400 sets of figures was a
/// tenth of its encoding; so the order is remembered for a sequence of remembered property names,
/// identified by the strings' own bits. Those strings are never freed, so equal bits mean the same
/// keys; objects with any other key (a dictionary's data keys) are sorted every time.
private enum KeyOrders {
    private static let remembered = Mutex<[[UInt64]: [Int]]>([:])

    static func order(of box: ObjectBox) -> [Int] {
        let members = box.members
        guard members.count > 1 else { return Array(members.indices) }
        var identity: [UInt64] = []
        if box.internedKeys {
            identity.reserveCapacity(members.count * 2)
            for member in members {
                let bits = unsafeBitCast(member.key, to: (UInt64, UInt64).self)
                identity.append(bits.0)
                identity.append(bits.1)
            }
            if let known = remembered.withLock({ $0[identity] }) { return known }
        }
        let order = members.indices.sorted { a, b in
            let order = Node.compare(members[a].key, members[b].key)
            return order == 0 ? a < b : order < 0
        }
        if box.internedKeys {
            remembered.withLock { cache in
                if cache.count < 4_096 { cache[identity] = order }
            }
        }
        return order
    }
}

/// `Nullable` as a node: its value's, or `null`, without an encoder of its own.
private protocol NullableNode {
    func node(at location: Location) throws -> Node
}

extension Nullable: NullableNode {
    fileprivate func node(at location: Location) throws -> Node {
        guard let value else { return .null }
        return try TreeEncoder.box(value, at: location)
    }
}

/// Marks `[String: Value]`, whose keys are data, not property names: never converted.
private protocol StringKeyedDictionary {
    func boxedMembers(at location: Location) throws -> ObjectBox
}

extension Dictionary: StringKeyedDictionary where Key == String, Value: Encodable {
    fileprivate func boxedMembers(at location: Location) throws -> ObjectBox {
        let box = ObjectBox()
        box.members.reserveCapacity(count)
        let path = location.path
        for (key, value) in self {
            box.set(key, try TreeEncoder.box(value, at: Location(parent: path, key: APIJSON.AnyKey(key))))
        }
        return box
    }
}

/// A coding path as the chain of its keys, made into the array Codable asks for only when asked
/// (`codingPath`, errors): an array built for every nested value was a good share of encoding.
private final class CodingPath {
    let key: any CodingKey
    let parent: CodingPath?

    init(_ key: any CodingKey, parent: CodingPath?) {
        self.key = key
        self.parent = parent
    }

    static func keys(of path: CodingPath?) -> [any CodingKey] {
        var keys: [any CodingKey] = []
        var link = path
        while let current = link {
            keys.append(current.key)
            link = current.parent
        }
        return keys.reversed()
    }
}

/// Where a value is encoded: under `key` of the container at `parent`. The path object is made only
/// for a value that is a container itself.
private struct Location {
    let parent: CodingPath?
    let key: (any CodingKey)?

    var path: CodingPath? { key.map { CodingPath($0, parent: parent) } ?? parent }
    var keys: [any CodingKey] { CodingPath.keys(of: parent) + (key.map { [$0] } ?? []) }
}

private final class TreeEncoder: Encoder {
    let path: CodingPath?
    var codingPath: [any CodingKey] { CodingPath.keys(of: path) }
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    var node: Node?

    init(path: CodingPath?) {
        self.path = path
    }

    /// A value as a node, with the types Foundation special-cases.
    static func box<T: Encodable>(_ value: T, at location: Location) throws -> Node {
        // The common leaves by their type's identity (a pointer comparison), and the nullable wrapper
        // of the responses by one cast: each dynamic cast tried on every value of a public report's
        // 1,400 sets of figures, and a nested encoder for each, was a tenth of writing it.
        if T.self == String.self { return .string(unsafeBitCast(value, to: String.self)) }
        if T.self == Int.self { return .number(String(unsafeBitCast(value, to: Int.self))) }
        if T.self == Bool.self { return .bool(unsafeBitCast(value, to: Bool.self)) }
        if T.self == Double.self { return try Node.number(unsafeBitCast(value, to: Double.self), at: location) }
        if let nullable = value as? any NullableNode { return try nullable.node(at: location) }
        switch value {
        case let string as String: return .string(string)
        case let date as Date: return .string(APIJSON.rfc3339(date))
        case let url as URL: return .string(url.absoluteString)
        case let data as Data: return .string(data.base64EncodedString())
        case let dictionary as any StringKeyedDictionary: return .object(try dictionary.boxedMembers(at: location))
        default:
            let encoder = TreeEncoder(path: location.path)
            try value.encode(to: encoder)
            return encoder.node ?? .object(ObjectBox())
        }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let box: ObjectBox
        if case .object(let existing)? = node {
            box = existing
        } else {
            box = ObjectBox()
            node = .object(box)
        }
        return KeyedEncodingContainer(KeyedContainer<Key>(box: box, path: path))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let box: ArrayBox
        if case .array(let existing)? = node {
            box = existing
        } else {
            box = ArrayBox()
            node = .array(box)
        }
        return UnkeyedContainer(box: box, path: path)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleValueContainer(encoder: self) }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: ObjectBox
    let path: CodingPath?
    var codingPath: [any CodingKey] { CodingPath.keys(of: path) }

    private func at(_ key: Key) -> Location { Location(parent: path, key: key) }

    /// Sets a member under the key's snake-case name.
    private func set(_ key: Key, _ value: Node) {
        let (name, interned) = SnakeCaseJSONWriter.internedSnakeCase(key.stringValue)
        box.set(name, value, interned: interned)
    }

    private func name(_ key: Key) -> String { SnakeCaseJSONWriter.snakeCase(key.stringValue) }

    mutating func encodeNil(forKey key: Key) throws { set(key, .null) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { set(key, .bool(value)) }
    mutating func encode(_ value: String, forKey key: Key) throws { set(key, .string(value)) }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        set(key, try Node.number(value, at: at(key)))
    }
    mutating func encode(_ value: Float, forKey key: Key) throws {
        set(key, try Node.number(value, at: at(key)))
    }
    mutating func encode(_ value: Int, forKey key: Key) throws { set(key, .number(String(value))) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { set(key, .number(String(value))) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { set(key, .number(String(value))) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { set(key, .number(String(value))) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { set(key, .number(String(value))) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { set(key, .number(String(value))) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { set(key, .number(String(value))) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { set(key, .number(String(value))) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { set(key, .number(String(value))) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { set(key, .number(String(value))) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        set(key, try TreeEncoder.box(value, at: at(key)))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let nested = ObjectBox()
        set(key, .object(nested))
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(box: nested, path: at(key).path))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = ArrayBox()
        set(key, .array(nested))
        return UnkeyedContainer(box: nested, path: at(key).path)
    }

    mutating func superEncoder() -> any Encoder { MemberEncoder(box: box, name: "super", path: path) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { MemberEncoder(box: box, name: name(key), path: at(key).path) }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let box: ArrayBox
    let path: CodingPath?
    var codingPath: [any CodingKey] { CodingPath.keys(of: path) }
    var count: Int { box.items.count }

    private var next: Location { Location(parent: path, key: IndexKey(intValue: box.items.count)) }

    mutating func encodeNil() throws { box.items.append(.null) }
    mutating func encode(_ value: Bool) throws { box.items.append(.bool(value)) }
    mutating func encode(_ value: String) throws { box.items.append(.string(value)) }
    mutating func encode(_ value: Double) throws { box.items.append(try Node.number(value, at: next)) }
    mutating func encode(_ value: Float) throws { box.items.append(try Node.number(value, at: next)) }
    mutating func encode(_ value: Int) throws { box.items.append(.number(String(value))) }
    mutating func encode(_ value: Int64) throws { box.items.append(.number(String(value))) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        box.items.append(try TreeEncoder.box(value, at: next))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let nested = ObjectBox()
        let path = next.path
        box.items.append(.object(nested))
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(box: nested, path: path))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = ArrayBox()
        let path = next.path
        box.items.append(.array(nested))
        return UnkeyedContainer(box: nested, path: path)
    }

    mutating func superEncoder() -> any Encoder {
        let member = ObjectBox()
        box.items.append(.object(member))
        return MemberEncoder(box: member, name: "super", path: path)
    }
}

private struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }
    init(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}

private struct SingleValueContainer: SingleValueEncodingContainer {
    let encoder: TreeEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }

    mutating func encodeNil() throws { encoder.node = .null }
    mutating func encode(_ value: Bool) throws { encoder.node = .bool(value) }
    mutating func encode(_ value: String) throws { encoder.node = .string(value) }
    mutating func encode(_ value: Double) throws { encoder.node = try Node.number(value, at: Location(parent: encoder.path, key: nil)) }
    mutating func encode(_ value: Float) throws { encoder.node = try Node.number(value, at: Location(parent: encoder.path, key: nil)) }
    mutating func encode(_ value: Int) throws { encoder.node = .number(String(value)) }
    mutating func encode(_ value: Int64) throws { encoder.node = .number(String(value)) }
    mutating func encode<T: Encodable>(_ value: T) throws { encoder.node = try TreeEncoder.box(value, at: Location(parent: encoder.path, key: nil)) }
}

/// The encoder of `superEncoder()`: whatever it encodes becomes one member of an object.
private final class MemberEncoder: Encoder {
    let box: ObjectBox
    let name: String
    var codingPath: [any CodingKey] { inner.codingPath }
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    private let inner: TreeEncoder

    init(box: ObjectBox, name: String, path: CodingPath?) {
        self.box = box
        self.name = name
        inner = TreeEncoder(path: path)
    }

    deinit { box.set(name, inner.node ?? .object(ObjectBox())) }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> { inner.container(keyedBy: type) }
    func unkeyedContainer() -> any UnkeyedEncodingContainer { inner.unkeyedContainer() }
    func singleValueContainer() -> any SingleValueEncodingContainer { inner.singleValueContainer() }
}
