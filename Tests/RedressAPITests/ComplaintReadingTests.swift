import Foundation
import PostgresNIO
import RedressCore
import RedressStore
import StoreTestSupport
import Testing
import TestSupport

/// Reading a case by id is one statement that sets the caller's identity itself (migration 0048).
@Suite("Reading a case in one statement")
struct ComplaintReadingTests {
    /// For parties and strangers at every stage, the one-statement reading finds exactly the complaint
    /// a transaction as the same caller reads, with the consumer's contact for the case's mediators
    /// only; and the identity it set is gone from the connection once it has answered (a pool of one
    /// connection, so the next statement is on the same one).
    @Test func itReadsWhatATransactionReadsAndLeavesNoIdentityBehind() async throws {
        try await withTestApp(poolSize: 1, world: .seeded) { app in
            var world = try await app.makeWorld()
            try await CaseVisibilityMatrixTests.addPrincipals(app, &world)
            let cases = try await CaseVisibilityMatrixTests.caseInEveryStage(app, world)
            func account(_ name: String) -> UUID { UUID(uuidString: world.accounts[name]!.id)! }
            let callers: [(name: String, identity: DatabaseIdentity)] = [
                ("consumer", DatabaseIdentity(role: "consumer", accountID: account("consumer"))),
                ("other_consumer", DatabaseIdentity(role: "consumer", accountID: account("other_consumer"))),
                ("platform_staff_a", DatabaseIdentity(role: "platform_staff", accountID: account("platform_staff_a"), organizationID: UUID(uuidString: world.platformA))),
                ("platform_staff_b", DatabaseIdentity(role: "platform_staff", accountID: account("platform_staff_b"), organizationID: UUID(uuidString: world.platformB))),
                ("merchant_staff_a", DatabaseIdentity(role: "merchant_staff", accountID: account("merchant_staff_a"), organizationID: UUID(uuidString: world.merchantA))),
                ("mediator_a", DatabaseIdentity(role: "mediator", accountID: account("mediator_a"), organizationID: UUID(uuidString: world.bodyA))),
                ("mediator_b", DatabaseIdentity(role: "mediator", accountID: account("mediator_b"), organizationID: UUID(uuidString: world.bodyB))),
                ("auditor", DatabaseIdentity(role: "auditor", accountID: account("auditor"))),
                ("nobody", DatabaseIdentity(role: nil)),
            ]
            var found = 0
            for (name, identity) in callers {
                for (stage, id) in cases {
                    let caseID = try #require(UUID(uuidString: id))
                    let reading = try await app.store.complaintForReading(as: identity, id: caseID)
                    let direct = try await app.store.transaction(as: identity, origin: .commandLine) { try await $0.complaint(id: caseID) }
                    #expect(reading?.complaint == direct, "\(name), case \(stage.rawValue)")
                    let mediatorOfTheCase = name == "mediator_a" && stage != .beforeEscalation
                    #expect((reading?.consumerEmail == "consumer@redress.test") == mediatorOfTheCase, "\(name), case \(stage.rawValue)")
                    if let reading, name != "auditor" { #expect(reading.evidence == [.anomalyProof], "\(name), case \(stage.rawValue)") }
                    if reading != nil { found += 1 }
                    let left = try await app.store.client.query(
                        "SELECT coalesce(current_setting('redress.role', true), ''), coalesce(current_setting('redress.account_id', true), '')",
                        logger: TestDatabase.logger
                    ).collect()
                    let (role, accountID) = try #require(left.first).decode((String, String).self)
                    #expect(role.isEmpty && accountID.isEmpty, "\(name), case \(stage.rawValue): \(role) \(accountID)")
                }
            }
            // The consumer, platform A's staff and the auditor read all four; merchant A's staff too; the
            // body's mediator the three escalated; the others none.
            #expect(found == 4 + 4 + 4 + 4 + 3)
        }
    }

    /// Inside a transaction that already has an identity, the function refuses rather than replace it
    /// for the rest of that transaction.
    @Test func itRefusesToReplaceAnIdentityAlreadySet() async throws {
        try await withTestApp { app in
            let refused: String? = try await app.asRequestRole { connection in
                _ = try await connection.query("BEGIN", logger: TestDatabase.logger)
                _ = try await connection.query("SELECT set_config('redress.role', 'auditor', true)", logger: TestDatabase.logger)
                do {
                    _ = try await connection.query(
                        "SELECT * FROM redress_complaint_reading('consumer', '', '', '', '', \(UUID()))", logger: TestDatabase.logger
                    ).collect()
                    return nil
                } catch let error as PSQLError {
                    _ = try? await connection.query("ROLLBACK", logger: TestDatabase.logger)
                    return error.serverInfo?[.sqlState]
                }
            }
            #expect(refused == "42501")
        }
    }
}
