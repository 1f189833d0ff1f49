import Foundation

/// Collects the invalid fields of one request so that the client learns all of them at once.
public struct FieldValidator: Sendable {
    public private(set) var invalidFields: [RedressError.InvalidField] = []

    public init() {}

    public mutating func fail(_ field: String, _ reason: String) {
        invalidFields.append(.init(field: field, reason: reason))
    }

    /// No field failed so far.
    public var isValid: Bool { invalidFields.isEmpty }

    /// Throws a 422 listing every invalid field, if there is any.
    public func check() throws(RedressError) {
        if !invalidFields.isEmpty { throw .validation(invalidFields) }
    }

    /// A required single-line text: trimmed, 1...maxLength characters, no control characters.
    public mutating func text(_ value: String?, field: String, maxLength: Int) -> String {
        guard let value else {
            fail(field, "required")
            return ""
        }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty {
            fail(field, "required")
        } else if trimmed.count > maxLength {
            fail(field, "too_long")
        } else if trimmed.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) {
            fail(field, "control_characters")
        }
        return trimmed
    }

    /// A required text of several lines: trimmed, 1...maxLength characters, line breaks and tabs allowed.
    public mutating func paragraph(_ value: String?, field: String, maxLength: Int) -> String {
        guard let value else {
            fail(field, "required")
            return ""
        }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        let allowed = CharacterSet(charactersIn: "\n\r\t")
        if trimmed.isEmpty {
            fail(field, "required")
        } else if trimmed.count > maxLength {
            fail(field, "too_long")
        } else if trimmed.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) && !allowed.contains($0) }) {
            fail(field, "control_characters")
        }
        return trimmed
    }

    /// An optional single-line text; empty means absent.
    public mutating func optionalText(_ value: String?, field: String, maxLength: Int) -> String? {
        guard let value, !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
        return text(value, field: field, maxLength: maxLength)
    }

    public mutating func integer(_ value: Int?, field: String, in range: ClosedRange<Int>, default defaultValue: Int) -> Int {
        guard let value else { return defaultValue }
        if !range.contains(value) { fail(field, "out_of_range") }
        return value
    }

    public mutating func email(_ value: String?, field: String = "email") -> String {
        guard let value else {
            fail(field, "required")
            return ""
        }
        guard let normalized = EmailAddress.normalize(value) else {
            fail(field, "invalid_email")
            return value
        }
        return normalized
    }

    public mutating func password(_ value: String?, email: String, field: String = "password") -> String {
        guard let value else {
            fail(field, "required")
            return ""
        }
        if let problem = PasswordRules.problem(with: value, email: email) { fail(field, problem) }
        return value
    }

    public mutating func phone(_ value: String?, field: String = "phone") -> String? {
        guard let value, !value.isEmpty else { return nil }
        guard let normalized = PhoneNumber.normalize(value) else {
            fail(field, "invalid_phone")
            return nil
        }
        return normalized
    }
}

public enum EmailAddress {
    /// Trims and lower-cases an address and checks its shape (RFC 5321 lengths, a dotted domain).
    /// Returns `nil` when it is not a usable address.
    public static func normalize(_ raw: String) -> String? {
        let email = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard email.utf8.count <= 254 else { return nil }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let local = parts[0], domain = parts[1]
        guard (1...64).contains(local.utf8.count), !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..")
        else { return nil }
        let localAllowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyz0123456789.!#$%&'*+/=?^_`{|}~-")
        guard local.unicodeScalars.allSatisfy({ localAllowed.contains($0) }) else { return nil }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return nil }
        let labelAllowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyz0123456789-")
        for label in labels {
            guard (1...63).contains(label.utf8.count), !label.hasPrefix("-"), !label.hasSuffix("-"),
                label.unicodeScalars.allSatisfy({ labelAllowed.contains($0) })
            else { return nil }
        }
        guard let tld = labels.last, tld.contains(where: { $0.isLetter }) else { return nil }
        return email
    }
}

public enum PhoneNumber {
    /// Accepts digits with an optional leading `+`, spaces and hyphens between groups; keeps `+` and digits.
    public static func normalize(_ raw: String) -> String? {
        let trimmed = raw.trimmingCharacters(in: .whitespaces)
        var result = ""
        for (index, character) in trimmed.enumerated() {
            if character == "+" && index == 0 {
                result.append(character)
            } else if character.isASCII && character.isNumber {
                result.append(character)
            } else if character != " " && character != "-" {
                return nil
            }
        }
        let digits = result.filter(\.isNumber).count
        return (6...15).contains(digits) ? result : nil
    }
}

public enum PasswordRules {
    public static let minimumLength = 8
    public static let maximumLength = 128

    /// The reason a password is refused, or `nil` when it is acceptable.
    public static func problem(with password: String, email: String) -> String? {
        let length = password.count
        if length < minimumLength { return "too_short" }
        if length > maximumLength { return "too_long" }
        let lowered = password.lowercased()
        if CommonPasswords.set.contains(lowered) { return "common_password" }
        if let local = email.split(separator: "@").first, lowered == email || lowered == String(local) {
            return "same_as_email"
        }
        if Set(password).count < 3 { return "too_simple" }
        return nil
    }
}

extension FieldValidator {
    /// A unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters with a valid check character.
    public mutating func creditCode(_ value: String?, field: String = "credit_code") -> String {
        let code = text(value, field: field, maxLength: 18).uppercased()
        if !code.isEmpty && !CreditCode.isValid(code) { fail(field, "invalid_credit_code") }
        return code
    }

    /// An optional http(s) address of at most 500 characters.
    public mutating func webAddress(_ value: String?, field: String) -> String? {
        guard let value else { return nil }
        // An empty address is not "no address" (that is leaving it out, or null where it may be cleared).
        guard let address = optionalText(value, field: field, maxLength: 500) else {
            fail(field, "invalid_url")
            return nil
        }
        guard let url = URL(string: address), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host?.isEmpty == false
        else {
            fail(field, "invalid_url")
            return address
        }
        return address
    }
}

public enum CreditCode {
    static let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
    static let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

    public static func isValid(_ code: String) -> Bool {
        let characters = Array(code)
        guard characters.count == 18 else { return false }
        let values = characters.compactMap { alphabet.firstIndex(of: $0) }
        guard values.count == 18 else { return false }
        return values[17] == checkValue(Array(values.prefix(17)))
    }

    /// Completes 17 characters with their check character; `nil` when a character is not allowed.
    public static func complete(_ prefix: String) -> String? {
        let values = prefix.compactMap { alphabet.firstIndex(of: $0) }
        guard prefix.count == 17, values.count == 17 else { return nil }
        return prefix + String(alphabet[checkValue(values)])
    }

    static func checkValue(_ values: [Int]) -> Int {
        let sum = zip(values, weights).reduce(0) { $0 + $1.0 * $1.1 }
        let check = 31 - sum % 31
        return check == 31 ? 0 : check
    }
}
