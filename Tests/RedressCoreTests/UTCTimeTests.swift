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
}
