import Crypto
import Foundation

/// The service's secret keys, kept outside the database (a file or the environment), each with an id.
///
/// The newest key (the first listed) makes everything new: the keyed digests of personal values in
/// audit events and throttles, and the encryption of second-factor secrets. Older keys stay listed
/// for what they made: a digest and a ciphertext name the key id they were made with, so a key can be
/// rotated without losing what the older one protects (Docs/operations.md, "Rotating keys").
/// Purposes never share a key: each is derived from the listed one with HKDF and its own label.
public struct Keyring: Sendable {
    public struct Key: Sendable {
        public let id: String
        /// Each purpose's key, derived once: HKDF at every use was a fortieth of a filing's CPU (its
        /// audit event's digests, the unsubscribe links of its mail).
        let purposes: [Purpose: SymmetricKey]

        init(id: String, material: SymmetricKey) {
            self.id = id
            var purposes: [Purpose: SymmetricKey] = [:]
            for purpose in Purpose.allCases {
                purposes[purpose] = HKDF<SHA256>.deriveKey(inputKeyMaterial: material, info: Data(purpose.rawValue.utf8), outputByteCount: 32)
            }
            self.purposes = purposes
        }
    }

    public enum Problem: Error, CustomStringConvertible, Equatable {
        case empty
        case malformedLine(Int)
        case duplicateID(String)

        public var description: String {
            switch self {
            case .empty: "no key is listed"
            case .malformedLine(let line): "line \(line) is not `<id> <64 hex digits>` (id: 1-16 of a-z, 0-9, -)"
            case .duplicateID(let id): "the key id \(id) is listed twice"
            }
        }
    }

    /// The key that makes everything new.
    public let current: Key
    private let byID: [String: Key]

    public init(keys: [Key]) throws(Problem) {
        guard let first = keys.first else { throw .empty }
        var byID: [String: Key] = [:]
        for key in keys {
            if byID[key.id] != nil { throw .duplicateID(key.id) }
            byID[key.id] = key
        }
        self.current = first
        self.byID = byID
    }

    /// Parses a key file: one key per line, `<id> <64 hex digits>`, newest first; `#` starts a comment.
    /// `REDRESS_KEYS` takes the same with `,` between keys.
    public init(parsing text: String) throws(Problem) {
        var keys: [Key] = []
        // `\r\n` is one Character in Swift: split on any line end.
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            // A comment runs to the end of its line, commas and all.
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            for entry in line.split(separator: ",") {
                let fields = entry.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == ":" })
                if fields.isEmpty { continue }
                // ASCII hex only: `isHexDigit` also takes full-width digits, which would decode to nothing.
                guard fields.count == 2, Self.isValidID(fields[0]), fields[1].utf8.count == 64,
                    fields[1].utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46) })
                else { throw .malformedLine(index + 1) }
                keys.append(Key(id: String(fields[0]), material: SymmetricKey(data: Array(hexString: String(fields[1])))))
            }
        }
        try self.init(keys: keys)
    }

    static func isValidID(_ id: Substring) -> Bool {
        (1...16).contains(id.count) && id.allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "-" }
    }

    /// A line for a key file: a new random key named `id`.
    public static func newKeyLine(id: String) -> String {
        "\(id) \(SecureRandom.bytes(32).hexString)"
    }

    /// A new key file of one key, `k1`, with a comment that says what it is.
    public static func newFile() -> String {
        "# Redress keys, newest first (Docs/operations.md). Keep a copy, away from the database's backups: what they protect is lost with them.\n"
            + newKeyLine(id: "k1") + "\n"
    }

    /// A keyring of one new random key (tests, and a private database's first start).
    public static func generated(id: String = "k1") -> Keyring {
        // A fresh line always parses.
        try! Keyring(parsing: newKeyLine(id: id))
    }

    public func key(id: String) -> Key? { byID[id] }

    /// What a key is used for: each purpose gets its own key derived from the listed one.
    enum Purpose: String, CaseIterable {
        case personalDigests = "redress personal-data digests v1"
        case secondFactorSecrets = "redress second-factor secrets v1"
        case recoveryCodes = "redress recovery codes v1"
        case unsubscribe = "redress unsubscribe links v1"
        case consoleForms = "redress console form tokens v1"
    }

    /// The token a console form carries: the hex HMAC of what it is bound to (the browser's session or
    /// form cookie), 64 characters.
    public func formToken(binding: String) -> String { HMACHex(binding, purpose: .consoleForms) }

    /// The hex HMAC-SHA256 of `message` under the current key's `purpose` key.
    func HMACHex(_ message: String, purpose: Purpose) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: derived(current, for: purpose)).hexString
    }

    func derived(_ key: Key, for purpose: Purpose) -> SymmetricKey {
        // Every purpose is derived when the key is made.
        key.purposes[purpose]!
    }

    /// The keyed digest of a personal value, naming the key it was made with.
    func digest(_ value: String) -> String {
        let key = derived(current, for: .personalDigests)
        return "hmac-sha256:\(current.id):" + HMAC<SHA256>.authenticationCode(for: Data(value.utf8), using: key).hexString
    }

    /// The digests a recovery code of `accountID` may be stored as: under the current key first, then
    /// under each older one (codes made before a rotation still work).
    public func recoveryCodeDigests(_ code: String, accountID: UUID) -> [[UInt8]] {
        let message = Data((accountID.uuidString.lowercased() + ":" + code).utf8)
        let keys = [current] + byID.values.filter { $0.id != current.id }.sorted { $0.id < $1.id }
        return keys.map { Array(HMAC<SHA256>.authenticationCode(for: message, using: derived($0, for: .recoveryCodes))) }
    }

    /// Encrypts a secret with the current key: `<key id>:<base64 of nonce, ciphertext and tag>`.
    public func seal(_ plaintext: [UInt8]) throws -> String {
        let box = try AES.GCM.seal(plaintext, using: derived(current, for: .secondFactorSecrets))
        guard let combined = box.combined else { throw CryptoKitError.incorrectParameterSize }
        return "\(current.id):" + combined.base64EncodedString()
    }

    /// Decrypts what `seal` made, with the key it names; `nil` when that key is gone or the text was altered.
    public func open(_ sealed: String) -> [UInt8]? {
        let parts = sealed.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let key = byID[String(parts[0])], let data = Data(base64Encoded: String(parts[1])),
            let box = try? AES.GCM.SealedBox(combined: data),
            let plaintext = try? AES.GCM.open(box, using: derived(key, for: .secondFactorSecrets))
        else { return nil }
        return Array(plaintext)
    }
}
