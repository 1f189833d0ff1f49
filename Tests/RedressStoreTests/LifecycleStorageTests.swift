import Foundation
import PostgresNIO
import RedressCore
@testable import RedressStore
import StoreTestSupport
import Testing

@Suite("Lifecycle in the database")
struct LifecycleStorageTests {
    @Test func theDatabaseAllowsExactlyTheTablesChangesOfState() async throws {
        try await withTestDatabase { database in
            let stored: Set<String> = try await TestDatabase.connect(database.ownerURL) { connection in
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

    /// The lists of states the schema names — every state, the initial ones, the ultimatum index's,
    /// the open-case index's — are the sets the lifecycle derives, read back from the catalog.
    @Test func theSchemasStateListsAreTheLifecyclesSets() async throws {
        try await withTestDatabase { database in
            let definitions: [String: String] = try await TestDatabase.connect(database.ownerURL) { connection in
                var found: [String: String] = [:]
                for (name, sql) in [
                    ("all", "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'complaints_state_check'"),
                    ("initial", "SELECT prosrc FROM pg_proc WHERE proname = 'complaints_check_initial_state'"),
                    ("ultimatum", "SELECT pg_get_indexdef('complaints_ultimatums'::regclass)"),
                    ("terminal", "SELECT pg_get_indexdef('complaints_open_by_state'::regclass)"),
                ] {
                    found[name] = try await connection.scalar(PostgresQuery(unsafeSQL: sql), as: String.self)
                }
                return found
            }
            func states(_ name: String) -> Set<String> {
                let text = definitions[name] ?? ""
                let quoted = text.split(separator: "'", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
                return Set(quoted.filter { ComplaintState(rawValue: $0) != nil })
            }
            #expect(states("all") == Set(ComplaintState.allCases.map(\.rawValue)))
            #expect(states("initial") == Set(Lifecycle.initialStates.map(\.rawValue)))
            #expect(states("ultimatum") == Set(Lifecycle.ultimatumStates.map(\.rawValue)))
            #expect(states("terminal") == Set(Lifecycle.terminal.map(\.rawValue)))
        }
    }
}
