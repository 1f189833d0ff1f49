import Foundation
import PostgresNIO
import StoreTestSupport
import Testing
import TestSupport

@Suite("Lifecycle in the database, under a case filed through the API")
struct StoredLifecycleTests {
    @Test func anIllegalChangeOfStateIsRefusedEvenToTheOwner() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            _ = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            for statement in [
                "UPDATE complaints SET state = 'closed_resolved', version = version + 1",  // skips every step
                "UPDATE complaints SET state = 'proposal_made'",  // without a new version
                "UPDATE complaints SET version = version + 5",
            ] {
                await #expect(throws: (any Error).self, "\(statement)") {
                    try await app.asOwner { try await $0.query(PostgresQuery(unsafeSQL: statement), logger: TestDatabase.logger) }
                }
            }
            let state = try await app.asOwner { try await $0.scalar("SELECT state FROM complaints", as: String.self) }
            #expect(state == "awaiting_platform")
        }
    }
}
