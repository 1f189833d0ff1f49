/// JSON strings as bytes, escaped as Foundation's `JSONEncoder` escapes them with
/// `.withoutEscapingSlashes`: quotes, backslashes and control characters (short forms where JSON has
/// them); every other byte, UTF-8 included, as it is. The one escaper of every JSON Redress writes
/// itself: responses, canonical audit content, bulk rows and log lines.
public enum JSONText {
    public static func string(_ value: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        let utf8 = value.utf8
        if utf8.withContiguousStorageIfAvailable({ $0.allSatisfy { $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C } }) ?? false {
            bytes += utf8
        } else {
            for byte in utf8 {
                switch byte {
                case 0x22: bytes += #"\""#.utf8
                case 0x5C: bytes += #"\\"#.utf8
                case 0x0A: bytes += #"\n"#.utf8
                case 0x0D: bytes += #"\r"#.utf8
                case 0x09: bytes += #"\t"#.utf8
                case 0x08: bytes += #"\b"#.utf8
                case 0x0C: bytes += #"\f"#.utf8
                case ..<0x20:
                    let hex = Array("0123456789abcdef".utf8)
                    bytes += #"\u00"#.utf8
                    bytes.append(hex[Int(byte >> 4)])
                    bytes.append(hex[Int(byte & 0x0F)])
                default: bytes.append(byte)
                }
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
