import Foundation
import Hummingbird
import NIOCore
import RedressCore

/// JSON as the API speaks it: snake_case keys, RFC 3339 times.
enum APIJSON {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(rfc3339(date))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// A response body: what `encoder()` writes, by the type itself (`DirectJSON`) or by
    /// `SnakeCaseJSONWriter`. Debug builds encode with
    /// both and fail the request when they differ, so that every test of the API checks the fast path.
    static func encode<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        let bytes = try (value as? any DirectJSON)?.jsonBytes ?? SnakeCaseJSONWriter.encode(value)
        #if DEBUG
        let reference = Array(try encoder().encode(value))
        if bytes != reference {
            throw EncoderMismatch(fast: String(decoding: bytes, as: UTF8.self), reference: String(decoding: reference, as: UTF8.self))
        }
        #endif
        return bytes
    }

    struct EncoderMismatch: Error, CustomStringConvertible {
        let fast: String
        let reference: String
        var description: String { "The response writer wrote\n\(fast)\nwhere JSONEncoder writes\n\(reference)" }
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        // The reverse of .convertToSnakeCase, keeping Swift's `ID` and `URL` capitalisation.
        decoder.keyDecodingStrategy = .custom { path in
            let key = path.last!.stringValue
            let parts = key.split(separator: "_")
            guard parts.count > 1 else { return AnyKey(key) }
            let camel = parts.enumerated().map { index, part -> String in
                if index == 0 { return String(part) }
                if part == "id" || part == "url" { return part.uppercased() }
                return part.prefix(1).uppercased() + part.dropFirst()
            }.joined()
            return AnyKey(camel)
        }
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parseRFC3339(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 time")
            }
            return date
        }
        return decoder
    }

    /// Times are written with the offset of the deployment's zone (`2026-10-12T23:59:59.999+08:00`),
    /// so that a deadline reads as the local day it ends. `DisplayTimeZoneMiddleware` sets it for
    /// each request from the configuration.
    @TaskLocal static var displayTimeZone = TimeZone(identifier: "Asia/Shanghai")!

    static func rfc3339(_ date: Date, in timeZone: TimeZone = displayTimeZone) -> String {
        UTCTime.milliseconds(date, in: timeZone)
    }

    static func parseRFC3339(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// A request body with fields that `null` sets to nothing (a PATCH clearing a value). The names are the
/// JSON's, top level. Every other body refuses `null`.
protocol AcceptsNullFields {
    static var nullableFields: Set<String> { get }
}

extension Request {
    /// Reads a JSON body of at most `limit` bytes: 415 unless it is declared `application/json`,
    /// 413 when larger, 400 when not JSON, 422 when a field has the wrong type or is missing.
    func decodeJSON<Value: Decodable>(_ type: Value.Type, limit: Int) async throws -> Value {
        var request = self
        return try Self.decodeJSON(type, from: try await request.collectJSONBody(limit: limit))
    }

    /// The raw bytes of a JSON body. With `optional`, an empty body (of any declared type) is fine.
    mutating func collectJSONBody(limit: Int, optional: Bool = false) async throws -> ByteBuffer {
        let tooLarge = RedressError(.payloadTooLarge, detail: "The body may be at most \(limit) bytes.")
        let declaredLength = headers[.contentLength].flatMap { Int($0) }
        if let declaredLength, declaredLength > limit { throw tooLarge }
        let contentType = headers[.contentType]?.split(separator: ";").first?
            .trimmingCharacters(in: .whitespaces).lowercased()
        let isJSON = contentType == "application/json" || contentType?.hasSuffix("+json") == true
        if optional && declaredLength == 0 && !isJSON { return ByteBuffer() }
        guard isJSON || (optional && contentType == nil) else {
            throw RedressError(.unsupportedMediaType, detail: "Send the body as application/json.")
        }
        let buffer: ByteBuffer
        do {
            // Stops reading past the limit, whatever Content-Length said (or when it was absent).
            buffer = try await body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw tooLarge
        }
        if !isJSON && buffer.readableBytes > 0 {
            throw RedressError(.unsupportedMediaType, detail: "Send the body as application/json.")
        }
        return buffer
    }

    static func decodeJSON<Value: Decodable>(_ type: Value.Type, from buffer: ByteBuffer) throws -> Value {
        let data = Data(buffer.readableBytesView)
        try refuseNulls(in: data, allowed: (Value.self as? any AcceptsNullFields.Type)?.nullableFields ?? [])
        do {
            return try APIJSON.decoder().decode(Value.self, from: data)
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty {
                throw unreadable(data)
            }
            throw Self.classify(error)
        }
    }

    /// Whether a `\uXXXX` escape names a surrogate without its partner.
    static func hasLoneSurrogate(_ data: Data) -> Bool {
        let bytes = Array(data)
        func escape(at index: Int) -> Int? {
            guard index + 5 < bytes.count, bytes[index] == 0x5C, bytes[index + 1] == 0x75,
                let value = Int(String(decoding: bytes[index + 2..<index + 6], as: UTF8.self), radix: 16)
            else { return nil }
            return value
        }
        var index = 0
        while index < bytes.count {
            guard bytes[index] == 0x5C else { index += 1; continue }
            guard let value = escape(at: index) else { index += 2; continue }  // \n, \", \\ …
            if (0xDC00...0xDFFF).contains(value) { return true }
            if (0xD800...0xDBFF).contains(value) {
                guard let next = escape(at: index + 6), (0xDC00...0xDFFF).contains(next) else { return true }
                index += 12
            } else {
                index += 6
            }
        }
        return false
    }

    /// Foundation's decoder calls valid JSON "not valid JSON" when it holds a value no Swift type can:
    /// half of a UTF-16 surrogate pair (`"\ud800"`), or an integer beyond 64 bits. Those are the client's
    /// values, refused with 422 and the field; only what does not parse at all is 400.
    static func unreadable(_ data: Data) -> RedressError {
        if hasLoneSurrogate(data) { return .validation([.init(field: "body", reason: "invalid_unicode")]) }
        guard let json = try? JSONSerialization.jsonObject(with: data) else {
            return RedressError(.malformedRequest, detail: "The body is not valid JSON.")
        }
        var field = "body"
        visit(json) { value, path in
            guard field == "body", let number = value as? NSNumber else { return }
            if abs(number.doubleValue) >= 9.2e18 { field = path }
        }
        return .validation([.init(field: field, reason: "out_of_range")])
    }

    /// Calls `body` with every value of a parsed JSON document and its path (`order.items[0].name`).
    static func visit(_ value: Any, _ path: String = "", _ body: (Any, String) -> Void) {
        body(value, path)
        switch value {
        case let object as [String: Any]:
            for (key, member) in object { visit(member, path.isEmpty ? key : "\(path).\(key)", body) }
        case let array as [Any]:
            for (index, member) in array.enumerated() { visit(member, "\(path)[\(index)]", body) }
        default:
            break
        }
    }

    /// A `null` where the document allows none is refused (422 `null_not_allowed`) rather than read as
    /// "absent": a client sending `"visibility": null` meant something, and the document says what may be null.
    static func refuseNulls(in data: Data, allowed: Set<String>) throws(RedressError) {
        // Cheap test first: most bodies hold no null at all. A body that is not JSON is the decoder's to report.
        guard data.firstRange(of: Data("null".utf8)) != nil, let json = try? JSONSerialization.jsonObject(with: data) else { return }
        var fields: [RedressError.InvalidField] = []
        visit(json) { value, path in
            if value is NSNull, !allowed.contains(path) { fields.append(.init(field: path.isEmpty ? "body" : path, reason: "null_not_allowed")) }
        }
        if !fields.isEmpty { throw .validation(fields.sorted { $0.field < $1.field }) }
    }

    static func classify(_ error: DecodingError) -> RedressError {
        func field(_ path: [any CodingKey], _ key: (any CodingKey)? = nil) -> String {
            let keys = path + (key.map { [$0] } ?? [])
            return keys.map { key in
                if let index = key.intValue { return "[\(index)]" }
                return snakeCase(key.stringValue)
            }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return .validation([.init(field: field(context.codingPath, key), reason: "required")])
        case .valueNotFound(_, let context):
            return .validation([.init(field: field(context.codingPath), reason: "required")])
        case .typeMismatch(_, let context):
            return .validation([.init(field: field(context.codingPath), reason: "wrong_type")])
        case .dataCorrupted(let context) where !context.codingPath.isEmpty:
            return .validation([.init(field: field(context.codingPath), reason: "invalid_value")])
        default:
            return RedressError(.malformedRequest, detail: "The body is not valid JSON.")
        }
    }
}

func snakeCase(_ camel: String) -> String {
    var result = ""
    var previousWasUpper = false
    for (index, character) in camel.enumerated() {
        if character.isUppercase {
            if index > 0 && !previousWasUpper { result.append("_") }
            result.append(Character(character.lowercased()))
            previousWasUpper = true
        } else {
            result.append(character)
            previousWasUpper = false
        }
    }
    return result
}

/// A JSON response with a status.
struct JSONResponse<Body: Encodable & Sendable>: ResponseGenerator {
    var status: HTTPResponse.Status = .ok
    let body: Body
    /// A secret shown once (a token, a temporary password, a second factor's secret or recovery
    /// codes): no cache along the way may keep it.
    var holdsSecret = false

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = try APIJSON.encode(body)
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if holdsSecret { headers[.cacheControl] = "no-store" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// An optional written as `null` when absent (synthesized `Encodable` leaves nil properties out):
/// for fields a client may rely on finding.
struct Nullable<Wrapped: Encodable & Sendable>: Encodable, Sendable {
    let value: Wrapped?

    init(_ value: Wrapped?) { self.value = value }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let value { try container.encode(value) } else { try container.encodeNil() }
    }
}

/// A page of a list, as every list endpoint answers it.
struct PageResponse<Item: Encodable & Sendable>: Encodable, Sendable {
    let items: [Item]
    let nextCursor: String?

    init<Record>(_ page: Page<Record>, _ transform: (Record) -> Item) {
        items = page.items.map(transform)
        nextCursor = page.nextCursor?.encoded
    }

    init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }

    enum CodingKeys: String, CodingKey { case items, nextCursor }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        // Always present, null on the last page, so that clients can test for it.
        try container.encode(nextCursor, forKey: .nextCursor)
    }
}

extension Request {
    /// `limit` and `cursor` of a list request.
    func pageRequest() throws -> PageRequest {
        let query = uri.queryParameters
        return try PageRequest.parse(limit: query["limit"].map(String.init), cursor: query["cursor"].map(String.init))
    }
}

extension Parameters {
    /// A path id; one that is not a UUID names nothing, so it is a 404.
    func id(_ name: String = "id") throws -> UUID {
        guard let value = get(name, as: UUID.self) else { throw RedressError.notFound }
        return value
    }
}

/// A resource id as the API writes it: a lower-case UUID, as PostgreSQL and the audit trail write it.
struct ResourceID: Encodable, Sendable, Equatable {
    let value: UUID

    init(_ value: UUID) { self.value = value }

    init?(_ value: UUID?) {
        guard let value else { return nil }
        self.value = value
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value.lowercasedString)
    }
}
