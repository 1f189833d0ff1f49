import Crypto
import Foundation
import Hummingbird
import NIOCore
import RedressCore
import RedressStore

/// The console's session cookie and its form tokens.
///
/// The cookie holds a session token of the same sessions table as the API's bearer tokens, scoped to
/// `/console` (the API never receives it, so the API needs no defence against cross-site requests).
/// It is `HttpOnly` and `SameSite=Strict`, and `Secure` when the service is reached over TLS.
/// Every form carries a token bound to the cookie (an HMAC of it under the service's key): a page
/// of another site can make a browser send the cookie, but cannot read the token.
enum ConsoleSecurity {
    static let sessionCookie = "redress_session"
    /// Before signing in: a random value the sign-in form's token is bound to.
    static let formCookie = "redress_form"
    static let root = "/console"

    /// Whether a path belongs to the console.
    static func serves(_ path: String) -> Bool { path == root || path.hasPrefix(root + "/") }

    /// The value of a cookie the browser sent, if it looks like one of ours (token characters only).
    static func cookie(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name else { continue }
                let value = parts[1].trimmingCharacters(in: .whitespaces)
                guard (20...200).contains(value.count), value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
                else { return nil }
                return value
            }
        }
        return nil
    }

    static func setCookie(_ name: String, _ value: String, maxAge: Int, secure: Bool) -> String {
        "\(name)=\(value); Path=\(root); Max-Age=\(maxAge); HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    static func clearCookie(_ name: String, secure: Bool) -> String { setCookie(name, "", maxAge: 0, secure: secure) }

    /// The token of every form of a page: bound to the session cookie when signed in, else to the
    /// form cookie.
    static func formToken(binding: String, keys: Keyring) -> String {
        keys.formToken(binding: binding)
    }

    /// Refuses a form whose token is missing or was not made for this browser's cookie (403).
    /// The token must be one of the `bindings`' (each a cookie of this browser that no other site can
    /// read).
    static func checkFormToken(_ token: String?, bindings: [String], keys: Keyring) throws(RedressError) {
        guard let token, token.utf8.count == 64,
            bindings.contains(where: { constantTimeEqual(Array(token.utf8), Array(keys.formToken(binding: $0).utf8)) })
        else { throw RedressError(.forbidden, detail: "form_expired") }
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    /// Headers of every console answer: no script at all, styles from here only, no framing, nothing
    /// cached, no referrer beyond this site.
    static let headers: HTTPFields = [
        .contentType: "text/html; charset=utf-8",
        .init("Content-Security-Policy")!:
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        .init("X-Frame-Options")!: "DENY",
        .init("X-Content-Type-Options")!: "nosniff",
        // Pages opened from a mail carry its token in their address: it goes nowhere, not even to our own stylesheet.
        .init("Referrer-Policy")!: "no-referrer",
        .cacheControl: "no-store",
    ]
}

/// The fields of a form (`application/x-www-form-urlencoded`), bounded: at most 128 KiB (a statement of
/// 10,000 Chinese characters is 90 KiB encoded) and 100 fields;
/// a field named twice keeps its first value.
struct ConsoleForm {
    static let maximumBytes = 128 * 1024
    static let maximumFields = 100
    let fields: [String: String]

    subscript(_ name: String) -> String? {
        guard let value = fields[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    init(fields: [String: String]) { self.fields = fields }

    /// A yes-or-no field of a button's form (`true` or `false`); anything else is the field's error.
    func boolean(_ name: String) throws(RedressError) -> Bool {
        switch self[name] {
        case "true": return true
        case "false": return false
        default: throw RedressError.validation([.init(field: name, reason: "unknown_value")])
        }
    }

    init(_ request: Request, context: RedressRequestContext) async throws {
        let type = request.headers[.contentType]?.lowercased() ?? ""
        guard type.hasPrefix("application/x-www-form-urlencoded") else { throw RedressError(.unsupportedMediaType) }
        let body = try await request.body.collect(upTo: Self.maximumBytes)
        self = try Self.parse(String(buffer: body))
    }

    static func parse(_ text: String) throws(RedressError) -> ConsoleForm {
        var fields: [String: String] = [:]
        let pairs = text.split(separator: "&", omittingEmptySubsequences: true)
        guard pairs.count <= maximumFields else { throw RedressError(.payloadTooLarge) }
        for pair in pairs {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String? {
                part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            }
            guard let name = decode(parts[0]), let value = parts.count == 2 ? decode(parts[1]) : "" else {
                throw RedressError(.malformedRequest, detail: "The form is not well encoded.")
            }
            if fields[name] == nil { fields[name] = value }
        }
        return ConsoleForm(fields: fields)
    }

    /// An amount a person typed in yuan ("12", "12.5", "12.50", "１２"), in fen; `nil` when blank.
    /// Anything else, or more than 100 million yuan, is the field's error.
    static func fen(_ text: String?, field: String, into fields: inout FieldValidator) -> Int? {
        guard let raw = text, !raw.isEmpty else { return nil }
        let text = raw.precomposedStringWithCompatibilityMapping.replacingOccurrences(of: ",", with: "")
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = parts.first, !whole.isEmpty, whole.count <= 9, whole.allSatisfy(\.isASCIIDigit),
            parts.count == 1 || (1...2).contains(parts[1].count) && parts[1].allSatisfy(\.isASCIIDigit),
            let yuan = Int(whole)
        else {
            fields.fail(field, "invalid_amount")
            return nil
        }
        let cents = parts.count == 2 ? Int(parts[1].padding(toLength: 2, withPad: "0", startingAt: 0)) ?? 0 : 0
        return yuan * 100 + cents
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
