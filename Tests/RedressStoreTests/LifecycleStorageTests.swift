import Foundation
import PostgresNIO
import RedressCore
@testable import RedressStore
import Testing
import TestSupport

@Suite("Lifecycle in the database")
struct LifecycleStorageTests {
    @Test func theDatabaseAllowsExactlyTheTablesChangesOfState() async throws {
        try await withTestApp { app in
            let stored: Set<String> = try await app.asOwner { connection in
                var pairs: Set<String> = []
                for try await pair in try await connection.query(
                    "SELECT from_state || '>' || to_state FROM complaint_state_changes", logger: TestDatabase.logger
                ).decode(String.self) { pairs.insert(pair) }
                return pairs
            }
            let table = Set(Lifecycle.legalStateChanges.filter { pair in
                let parts = pair.split(separator: ">")
                return parts[0] != parts[1]
            })
            #expect(stored == table)
        }
    }

    @Test func anIllegalChangeOfStateIsRefusedEvenToTheOwner() async throws {
        try await withTestApp { app in
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
