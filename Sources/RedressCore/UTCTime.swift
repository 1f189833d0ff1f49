import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// RFC 3339 times in UTC, written by hand: a new ISO8601DateFormatter costs tens of microseconds on
/// Linux, and the audit trail writes several times per event (millions when generating volume data).
public enum UTCTime {
    /// `2026-10-12T15:59:59.999Z`: milliseconds, truncated, as every time in the audit trail.
    public static func milliseconds(_ date: Date) -> String {
        let (parts, micros) = split(date)
        return text(parts, fraction: Int(micros / 1000), digits: 3, offset: 0)
    }

    /// `2026-10-12T15:59:59.999999Z`: PostgreSQL's own precision.
    public static func microseconds(_ date: Date) -> String {
        let (parts, micros) = split(date)
        return text(parts, fraction: Int(micros), digits: 6, offset: 0)
    }

    /// `2026-10-12T23:59:59.999+08:00`: to the nearest millisecond, with the zone's offset at that
    /// instant, `Z` where it is zero — what Foundation's ISO8601DateFormatter writes, without building
    /// one (and its ICU calendar) for every time of every response.
    public static func milliseconds(_ date: Date, in timeZone: TimeZone) -> String {
        let offset = timeZone.secondsFromGMT(for: date)
        let rounded = (date.timeIntervalSince1970 * 1000).rounded() / 1000
        let (parts, micros) = split(Date(timeIntervalSince1970: rounded + TimeInterval(offset)))
        return text(parts, fraction: Int(micros / 1000), digits: 3, offset: offset)
    }

    private static func split(_ date: Date) -> (tm, Int64) {
        let total = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        let micros = ((total % 1_000_000) + 1_000_000) % 1_000_000
        var seconds = time_t((total - micros) / 1_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return (parts, micros)
    }

    /// The time written into one string, digit by digit (a list of complaints writes a dozen times
    /// per item; joining padded pieces cost a dozen allocations per time).
    private static func text(_ parts: tm, fraction: Int, digits: Int, offset: Int) -> String {
        let year = Int(parts.tm_year) + 1900
        // A year of more than four digits, or before year 0, is written as the pieces always were.
        guard (0...9999).contains(year) else {
            let zone = offset == 0 ? "Z" : (offset < 0 ? "-" : "+") + pad(abs(offset) / 3600, 2) + ":" + pad(abs(offset) / 60 % 60, 2)
            return pad(year, 4) + "-" + pad(Int(parts.tm_mon) + 1, 2) + "-" + pad(Int(parts.tm_mday), 2) + "T" + pad(Int(parts.tm_hour), 2)
                + ":" + pad(Int(parts.tm_min), 2) + ":" + pad(Int(parts.tm_sec), 2) + "." + pad(fraction, digits) + zone
        }
        return String(unsafeUninitializedCapacity: 32) { buffer in
            var index = 0
            func put(_ byte: UInt8) {
                buffer[index] = byte
                index += 1
            }
            func put(_ value: Int, _ width: Int) {
                var divisor = 1
                for _ in 1..<width { divisor *= 10 }
                var rest = value
                while divisor > 0 {
                    put(UInt8(ascii: "0") + UInt8(rest / divisor))
                    rest %= divisor
                    divisor /= 10
                }
            }
            put(year, 4); put(UInt8(ascii: "-")); put(Int(parts.tm_mon) + 1, 2); put(UInt8(ascii: "-")); put(Int(parts.tm_mday), 2)
            put(UInt8(ascii: "T")); put(Int(parts.tm_hour), 2); put(UInt8(ascii: ":")); put(Int(parts.tm_min), 2)
            put(UInt8(ascii: ":")); put(Int(parts.tm_sec), 2); put(UInt8(ascii: ".")); put(fraction, digits)
            if offset == 0 {
                put(UInt8(ascii: "Z"))
            } else {
                let magnitude = abs(offset)
                put(UInt8(ascii: offset < 0 ? "-" : "+")); put(magnitude / 3600 % 100, 2); put(UInt8(ascii: ":")); put(magnitude / 60 % 60, 2)
            }
            return index
        }
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
