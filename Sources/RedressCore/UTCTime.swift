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
        return format(parts) + "." + pad(Int(micros / 1000), 3) + "Z"
    }

    /// `2026-10-12T15:59:59.999999Z`: PostgreSQL's own precision.
    public static func microseconds(_ date: Date) -> String {
        let (parts, micros) = split(date)
        return format(parts) + "." + pad(Int(micros), 6) + "Z"
    }

    /// `2026-10-12T23:59:59.999+08:00`: to the nearest millisecond, with the zone's offset at that
    /// instant, `Z` where it is zero — what Foundation's ISO8601DateFormatter writes, without building
    /// one (and its ICU calendar) for every time of every response.
    public static func milliseconds(_ date: Date, in timeZone: TimeZone) -> String {
        let offset = timeZone.secondsFromGMT(for: date)
        let rounded = (date.timeIntervalSince1970 * 1000).rounded() / 1000
        let (parts, micros) = split(Date(timeIntervalSince1970: rounded + TimeInterval(offset)))
        let fraction = format(parts) + "." + pad(Int(micros / 1000), 3)
        if offset == 0 { return fraction + "Z" }
        let magnitude = abs(offset)
        return fraction + (offset < 0 ? "-" : "+") + pad(magnitude / 3600, 2) + ":" + pad(magnitude / 60 % 60, 2)
    }

    private static func split(_ date: Date) -> (tm, Int64) {
        let total = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        let micros = ((total % 1_000_000) + 1_000_000) % 1_000_000
        var seconds = time_t((total - micros) / 1_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return (parts, micros)
    }

    private static func format(_ parts: tm) -> String {
        pad(Int(parts.tm_year) + 1900, 4) + "-" + pad(Int(parts.tm_mon) + 1, 2) + "-" + pad(Int(parts.tm_mday), 2) + "T"
            + pad(Int(parts.tm_hour), 2) + ":" + pad(Int(parts.tm_min), 2) + ":" + pad(Int(parts.tm_sec), 2)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
