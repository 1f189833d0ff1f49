import Crypto
import Foundation

/// `Redress-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">`, one `v1` per secret (two while
/// a secret is rotated). The receiver recomputes it with its secret and refuses a time outside its
/// window (a replayed delivery).
enum WebhookSignature {
    static let header = "Redress-Signature"

    static func value(body: [UInt8], secrets: [[UInt8]], time: Date) -> String {
        let seconds = Int64(time.timeIntervalSince1970.rounded(.down))
        let message = Array("\(seconds).".utf8) + body
        let signatures = secrets.map { secret in
            "v1=" + HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: secret)).map { String(format: "%02x", $0) }.joined()
        }
        return (["t=\(seconds)"] + signatures).joined(separator: ",")
    }

    /// A new signing secret as it is shown to the organisation once; its UTF-8 bytes are the HMAC key.
    static func newSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return "whsec_" + Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
