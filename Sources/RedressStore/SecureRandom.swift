import Foundation

/// Random bytes from the operating system's CSPRNG (`SystemRandomNumberGenerator` reads getrandom(2)
/// on Linux), for tokens, passwords and keys.
public enum SecureRandom {
    public static func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// `count` random bytes as URL-safe base64 without padding.
    public static func token(bytes count: Int) -> String {
        Data(bytes(count)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

extension Sequence where Element == UInt8 {
    /// Lower-case hex. By table, not `String(format:)`: verification writes two per audit event.
    public var hexString: String {
        var digits: [UInt8] = []
        digits.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            digits.append(hexDigits[Int(byte >> 4)])
            digits.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: digits, as: UTF8.self)
    }
}

private let hexDigits = Array("0123456789abcdef".utf8)
