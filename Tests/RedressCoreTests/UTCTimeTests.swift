import Foundation
import RedressCore
import Testing

@Suite("UTC times")
struct UTCTimeTests {
    /// The hand-written format must equal Foundation's, which wrote the audit trail before it.
    @Test func matchesFoundationsFormatter() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var state: UInt64 = 42
        for _ in 0..<2_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let milliseconds = Double(state % 4_102_444_800_000)  // 1970 … 2100
            let date = Date(timeIntervalSince1970: milliseconds / 1000)
            #expect(UTCTime.milliseconds(date) == formatter.string(from: date))
        }
        #expect(UTCTime.microseconds(Date(timeIntervalSince1970: 1_760_284_799.999_999)) == "2025-10-12T15:59:59.999999Z")
        #expect(UTCTime.milliseconds(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
    }

    /// Response times carry the deployment zone's offset; microsecond times from PostgreSQL are
    /// rounded to milliseconds, as Foundation's formatter does.
    @Test(arguments: ["Asia/Shanghai", "UTC", "Europe/Berlin", "America/St_Johns"])
    func offsetTimesMatchFoundationsFormatter(zone: String) {
        let timeZone = TimeZone(identifier: zone)!
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = timeZone
        var state: UInt64 = 7
        for _ in 0..<2_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let microseconds = Double(state % 4_102_444_800_000_000)
            let date = Date(timeIntervalSince1970: microseconds / 1_000_000)
            let expected = formatter.string(from: date)
            let written = UTCTime.milliseconds(date, in: timeZone)
            if written != expected {
                Issue.record("\(zone) \(microseconds): \(written) ≠ \(expected)")
                return
            }
        }
        let deadline = Date(timeIntervalSince1970: 1_760_284_799.999)
        #expect(UTCTime.milliseconds(deadline, in: TimeZone(identifier: "Asia/Shanghai")!) == "2025-10-12T23:59:59.999+08:00")
    }
}

@Suite("Ids as text")
struct UUIDTextTests {
    @Test func lowercasedMatchesFoundation() {
        for _ in 0..<1_000 {
            let id = UUID()
            #expect(id.lowercasedString == id.uuidString.lowercased())
        }
    }
}
