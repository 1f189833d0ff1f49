import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import RedressAPI
import RedressCore
import RedressDemo
import RedressStore
import StoreTestSupport
import Testing
import TestSupport

/// The demo world is written through the real lifecycle: its audit chains verify, its statistics
/// equal a recount, its cases are in every state, and the service reads it like its own.
@Suite("Demo data")
struct DemoGeneratorTests {
    @Test func aGeneratedWorldIsConsistentAndVaried() async throws {
        try await withTestApp { app in
            let logger = TestDatabase.logger
            let client = PostgresClient(configuration: app.database.ownerURL.clientConfiguration, backgroundLogger: logger)
            let summary = try await withThrowingTaskGroup(of: DemoSummary?.self) { group in
                group.addTask { await client.run(); return nil }
                defer { group.cancelAll() }
                var generator = DemoGenerator(
                    database: Database(client: client, keys: TestDatabase.keys, logger: logger),
                    timeZone: TimeZone(identifier: "Asia/Shanghai")!, now: Date(), passwordHash: "$2b$10$" + String(repeating: "a", count: 53),
                    logger: logger)
                generator.conversations = true
                let summary = try await generator.run(DemoSize(platforms: 4, merchants: 8, consumers: 30, complaints: 400, months: 12))
                // A second run refuses: the demo fills an empty database.
                await #expect(throws: DemoError.self) { _ = try await generator.run(.demo) }
                return summary
            }
            #expect(summary.complaints == 400 && summary.platforms == 4 && summary.merchants == 8)
            #expect(summary.events > 1_200, "about three changes per case besides filing")

            #expect(try await app.statisticsDiscrepancies() == 0)
            let verification = try await app.store.transaction(as: .commandLine, origin: .commandLine) { try await $0.verifyAuditChains() }
            #expect(verification.valid, "\(String(describing: verification.firstBroken))")
            let states = try await app.asOwner { connection -> [String: Int] in
                var states: [String: Int] = [:]
                for try await (state, count) in try await connection.query(
                    "SELECT state, count(*)::int FROM complaints GROUP BY state", logger: logger
                ).decode((String, Int).self) { states[state] = count }
                return states
            }
            #expect(states.values.reduce(0, +) == 400)
            #expect(states.count >= 7, "\(states)")
            // Every complaint is in one year's report or another.
            var complaints = 0
            for year in 2020...2030 {
                let report = try await app.request(.get, "/public/v1/reports/platforms?period=\(year)")
                let platforms = report.json["platforms"].array
                #expect(platforms.count == 4)
                complaints += platforms.compactMap { $0["figures"]["complaints"].int }.reduce(0, +)
            }
            #expect(complaints == 400)
            // The public report page renders it.
            #expect(try await app.request(.get, "/reports").status == .ok)
        }
    }
}
