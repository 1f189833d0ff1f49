import Foundation

extension UUID {
    /// `8-4-4-4-12` lower-case hex, as PostgreSQL and the audit trail write ids. By table:
    /// `uuidString` formats with `snprintf`, and lists and verification write millions.
    public var lowercasedUTF8: [UInt8] {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(36)
        withUnsafeBytes(of: uuid) { bytes in
            for (index, byte) in bytes.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 { output.append(UInt8(ascii: "-")) }
                output.append(digits[Int(byte >> 4)])
                output.append(digits[Int(byte & 0x0F)])
            }
        }
        return output
    }

    public var lowercasedString: String { String(decoding: lowercasedUTF8, as: UTF8.self) }
}
