import Crypto
import Foundation
import HummingbirdOTP
import Logging
import RedressCore
import RedressStore

/// Time-based one-time passwords (RFC 6238: 6 digits, 30-second steps, HMAC-SHA-1, as every
/// authenticator app expects) and recovery codes.
enum SecondFactor {
    static let issuer = "Redress"
    static let stepSeconds = 30
    static let recoveryCodeCount = 10
    /// Wrong authenticator codes in a row after which only a recovery code opens: 10 guesses of 3 in
    /// a million give an attacker with the password a chance of 3 in 100,000.
    static let failureLimit = 10

    /// A new secret: 20 random bytes written as 32 base32 letters. The letters themselves are the
    /// HMAC key (HummingbirdOTP keys with the secret's UTF-8), 160 bits of it.
    static func newSecret() -> String {
        base32(SecureRandom.bytes(20))
    }

    static func authenticatorURI(secret: String, email: String) -> String {
        TOTP(secret: secret).createAuthenticatorURL(label: "\(issuer):\(email)", issuer: issuer)
    }

    /// What a person types into an authenticator app by hand: the key, base32.
    static func manualKey(secret: String) -> String {
        base32(Array(secret.utf8))
    }

    /// The time step whose code `code` is, among the one of `now` and its neighbours (clocks drift,
    /// people type slowly); `nil` when it is none of them.
    static func matchingStep(_ code: String, secret: String, now: Date) -> Int64? {
        guard code.count == 6, code.allSatisfy(\.isASCII), code.allSatisfy(\.isNumber), let value = Int(code) else { return nil }
        let totp = TOTP(secret: secret)
        let current = Int64((now.timeIntervalSince1970 / Double(stepSeconds)).rounded(.down))
        for step in [current, current - 1, current + 1] where totp.compute(date: Date(timeIntervalSince1970: Double(step * Int64(stepSeconds)))) == value {
            return step
        }
        return nil
    }

    /// Ten new recovery codes of `accountID`, as shown once (`xxxx-xxxx-xxxx`, 60 bits each), and the
    /// digests they are kept as (keyed with the key file and the account).
    static func newRecoveryCodes(accountID: UUID, keys: Keyring) -> (codes: [String], digests: [[UInt8]]) {
        let codes = (0..<recoveryCodeCount).map { _ -> String in
            let letters = Array(base32(SecureRandom.bytes(8)).prefix(12)).map(String.init).joined()
            return [0, 4, 8].map { start in String(letters.dropFirst(start).prefix(4)) }.joined(separator: "-").lowercased()
        }
        return (codes, codes.compactMap { normalisedRecoveryCode($0).flatMap { keys.recoveryCodeDigests($0, accountID: accountID).first } })
    }

    /// A recovery code as it is digested (upper case, no separators); `nil` for text that cannot be one.
    static func normalisedRecoveryCode(_ code: String) -> String? {
        let letters = code.uppercased().filter { $0 != "-" && $0 != " " }
        guard letters.count == 12, letters.allSatisfy({ alphabet.contains($0) }) else { return nil }
        return letters
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")

    /// RFC 4648 base32 without padding.
    static func base32(_ bytes: [UInt8]) -> String {
        var result = "", buffer = 0, bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                result.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
            buffer &= (1 << bits) - 1
        }
        if bits > 0 { result.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return result
    }
}

/// A second-factor code that matched, to be spent once in the transaction it authorises.
enum SecondFactorProof: Equatable {
    case step(Int64)
    /// The digests the recovery code may be kept as (one per listed key).
    case recoveryCode([[UInt8]])

    /// The proof `code` gives for `accountID`, whose sealed secret is `sealedSecret`; `nil` when it
    /// gives none. After `SecondFactor.failureLimit` wrong authenticator codes only a recovery code
    /// proves anything. A secret that no listed key opens is the operator's problem (a key removed too
    /// early), not the caller's.
    init?(code: String, accountID: UUID, sealedSecret: String, failures: Int, keys: Keyring, now: Date, logger: Logger) throws {
        let trimmed = code.trimmingCharacters(in: .whitespaces)
        if let recovery = SecondFactor.normalisedRecoveryCode(trimmed) {
            self = .recoveryCode(keys.recoveryCodeDigests(recovery, accountID: accountID))
            return
        }
        if failures >= SecondFactor.failureLimit { return nil }
        guard let secretBytes = keys.open(sealedSecret), let secret = String(validating: secretBytes, as: UTF8.self) else {
            logger.error("a second-factor secret opens with no listed key: was its key removed from REDRESS_KEYS_FILE?")
            throw RedressError(.internalError)
        }
        guard let step = SecondFactor.matchingStep(trimmed, secret: secret, now: now) else { return nil }
        self = .step(step)
    }

    /// Spends the proof: false when its step or recovery code was already used.
    func spend(accountID: UUID, _ transaction: Transaction) async throws -> Bool {
        switch self {
        case .step(let step): try await transaction.consumeSecondFactorStep(accountID: accountID, step: step)
        case .recoveryCode(let digests): try await transaction.consumeRecoveryCode(accountID: accountID, digests: digests)
        }
    }
}
