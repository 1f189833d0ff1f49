import Foundation
import RedressAPI
@testable import RedressStore
import StoreTestSupport
import Testing
import TestSupport

/// Repeat complaints: a consumer who complains about the same platform again within 90 days. The
/// statistics and the public report count them as a hand count does, and nobody can change the mark.
@Suite("Repeat complaints")
struct RepeatComplaintTests {
    @Test func theRepeatRateEqualsAHandCount() async throws {
        let clock = ManualClock("2026-11-02T10:00:00+08:00")
        try await withTestApp(configuration: PublicReportTests.configuration(clock, minimum: 1), world: .seeded) { app in
            var world = try await app.makeWorld()
            let registered = try await app.register(
                ["email": "li.si@example.cn", "password": worldPassword, "display_name": "李四", "phone": "+86 139 3333 4444"])
            #expect(registered.status == .created, "\(registered.text)")
            // (day, consumer, platform, repeat by hand)
            let filings: [(String, String, String, Bool)] = [
                ("2026-11-02T10:00:00+08:00", "consumer", world.platformA, false),
                ("2026-11-02T11:00:00+08:00", "consumer", world.platformB, false),  // another platform
                ("2026-11-03T10:00:00+08:00", "consumer", world.platformA, true),   // the same platform a day later
                ("2026-11-04T10:00:00+08:00", "li.si", world.platformA, false),     // another consumer
                ("2026-11-20T10:00:00+08:00", "li.si", world.platformA, true),
                ("2027-02-05T10:00:00+08:00", "consumer", world.platformA, false),  // 94 days after the last
            ]
            var ids: [String] = []
            for (time, who, platform, _) in filings {
                clock.set(time)
                try await world.logInAgain(app)
                let token = who == "consumer" ? world.token("consumer") : try await app.login("li.si@example.cn")
                var body = app.complaintBody(world)
                body["platform_id"] = platform
                ids.append(try await app.create("/api/v1/complaints", token: token, body))
            }
            for (index, filing) in filings.enumerated() {
                let marked = try await app.asOwner {
                    try await $0.scalar("SELECT repeat_filing FROM complaints WHERE id = \(UUID(uuidString: ids[index])!)", as: Bool.self)
                }
                #expect(marked == filing.3, "filing \(index)")
            }
            let handCount = filings.filter { $0.2 == world.platformA && $0.3 }.count
            let countedOfA = filings.filter { $0.2 == world.platformA }.count
            let stats = try await app.request(
                .get, "/api/v1/stats/platforms/\(world.platformA)?from=2026-11-01&to=2027-02-28", token: world.token("auditor"))
            #expect(stats.json["totals"]["repeat_complaints"].int == handCount, "\(stats.text)")
            #expect(stats.json["totals"]["repeat_rate"]["numerator"].int == handCount)
            #expect(stats.json["totals"]["repeat_rate"]["denominator"].int == countedOfA)
            // Published for the month once it has ended: November's two repeats of A's four.
            clock.set("2027-03-10T10:00:00+08:00")
            let report = try await app.request(.get, "/public/v1/reports/platforms?period=2026-11")
            let rowOfA = report.json["platforms"].array.first { $0["platform"]["id"].string == world.platformA }
            #expect(rowOfA?["figures"]["repeat_complaints"].int == 2, "\(report.text.prefix(400))")
            #expect(rowOfA?["figures"]["repeat_rate"]["value"].double == 0.5)
            #expect(try await app.statisticsDiscrepancies() == 0)
            // The mark is the database's: neither the consumer nor the platform changes it.
            let consumer = try #require(world.accounts["consumer"])
            let asConsumer = DatabaseIdentity(role: "consumer", accountID: UUID(uuidString: consumer.id))
            await #expect(throws: (any Error).self) {
                try await app.store.transaction(as: asConsumer, origin: .commandLine) { transaction in
                    try await transaction.query(
                        "UPDATE complaints SET repeat_filing = false, version = version + 1 WHERE id = \(UUID(uuidString: ids[2])!)")
                }
            }
        }
    }
}
