import Foundation
import PostgresNIO
import RedressCore
import RedressStore
import StoreTestSupport
import Testing
import TestSupport

/// A page of the complaint list is one statement that sets the caller's identity itself (migration 0049).
@Suite("A page of the list in one statement")
struct ComplaintPageTests {
    /// Nine cases of one consumer, varied in every column a filter reads; each filter, alone and with
    /// the page walked two at a time, gives exactly the cases a filter written here in Swift keeps, in
    /// submission order. Another consumer's case is never listed, and nothing the function set is left
    /// on the connection (a pool of one connection, so the next statement is on the same one).
    @Test func everyFilterKeepsWhatItSaysAndTheCallerMayRead() async throws {
        try await withTestApp(poolSize: 1, world: .seeded) { app in
            var world = try await app.makeWorld()
            try await CaseVisibilityMatrixTests.addPrincipals(app, &world)
            let titles = ["卡密未到账", "100%_退款", "100x退款", "100%x退款", #"a\b 充值"#, "会员未生效", "卡密重复", "点券缺失", "账号被找回"]
            var ids: [UUID] = []
            for (index, title) in titles.enumerated() {
                var body = app.complaintBody(world)
                body["title"] = title
                body["platform_id"] = index % 3 == 2 ? world.platformB : world.platformA
                if index % 3 == 1 { body["merchant_id"] = world.merchantA }
                body["category"] = index % 2 == 0 ? "non_delivery" : "other"
                ids.append(try #require(UUID(uuidString: try await app.create("/api/v1/complaints", token: world.token("consumer"), body))))
            }
            let stranger = try await app.create("/api/v1/complaints", token: world.token("other_consumer"), app.complaintBody(world))
            // States, lateness and submission times set directly: each case a different minute, in an
            // order unlike the filing order.
            let states: [ComplaintState] = [.awaitingPlatform, .awaitingMerchant, .proposalMade, .withdrawn]
            let start = Date(timeIntervalSince1970: 1_790_000_000)
            try await app.asOwner { connection in
                _ = try await connection.query("SET session_replication_role = replica", logger: TestDatabase.logger)
                for (index, id) in ids.enumerated() {
                    let state = states[index % states.count].rawValue
                    let submitted = start.addingTimeInterval(Double((index * 5) % titles.count) * 60)
                    _ = try await connection.query(
                        "UPDATE complaints SET state = \(state), overdue = \(index % 4 == 1), submitted_at = \(submitted) WHERE id = \(id)",
                        logger: TestDatabase.logger)
                }
            }
            let consumer = DatabaseIdentity(role: "consumer", accountID: UUID(uuidString: world.accounts["consumer"]!.id))
            let all = try await app.store.transaction(as: consumer, origin: .commandLine) { transaction in
                var found: [Complaint] = []
                for id in ids { found.append(try #require(try await transaction.complaint(id: id))) }
                return found.sorted { ($0.submittedAt, $0.id.uuidString) < ($1.submittedAt, $1.id.uuidString) }
            }
            let platformA = try #require(UUID(uuidString: world.platformA)), merchantA = try #require(UUID(uuidString: world.merchantA))
            let filters: [(String, (inout ComplaintFilter) -> Void, (Complaint) -> Bool)] = [
                ("none", { _ in }, { _ in true }),
                ("one state", { $0.states = [.awaitingMerchant] }, { $0.state == .awaitingMerchant }),
                ("two states", { $0.states = [.awaitingPlatform, .withdrawn] }, { [.awaitingPlatform, .withdrawn].contains($0.state) }),
                ("category", { $0.category = .other }, { $0.category == .other }),
                ("platform", { $0.platformID = platformA }, { $0.platformID == platformA }),
                ("merchant", { $0.merchantID = merchantA }, { $0.merchantID == merchantA }),
                ("overdue", { $0.overdue = true }, { $0.overdue }),
                ("not overdue", { $0.overdue = false }, { !$0.overdue }),
                ("from", { $0.submittedFrom = start.addingTimeInterval(180) }, { $0.submittedAt >= start.addingTimeInterval(180) }),
                ("before", { $0.submittedTo = start.addingTimeInterval(180) }, { $0.submittedAt < start.addingTimeInterval(180) }),
                ("wildcards taken literally", { $0.titleContains = "%_" }, { $0.title.contains("%_") }),
                ("a backslash taken literally", { $0.titleContains = #"a\b"# }, { $0.title.contains(#"a\b"#) }),
                ("case of letters ignored", { $0.titleContains = "A" }, { $0.title.lowercased().contains("a") }),
                ("all at once", {
                    $0.states = [.awaitingPlatform, .proposalMade]; $0.platformID = platformA; $0.category = .nonDelivery
                    $0.submittedFrom = start
                }, { [.awaitingPlatform, .proposalMade].contains($0.state) && $0.platformID == platformA && $0.category == .nonDelivery }),
            ]
            for (name, set, keeps) in filters {
                var filter = ComplaintFilter()
                filter.scope = .consumer(try #require(consumer.accountID))
                set(&filter)
                let expected = all.filter(keeps).map(\.id)
                let whole = try await app.store.complaints(as: consumer, matching: filter, page: PageRequest(limit: 50))
                #expect(whole.items.map(\.id) == expected, "\(name)")
                #expect(whole.items == all.filter(keeps), "\(name)")
                #expect(whole.nextCursor == nil, "\(name)")
                var walked: [UUID] = []
                var page = PageRequest(limit: 2)
                while true {
                    let found = try await app.store.complaints(as: consumer, matching: filter, page: page)
                    walked += found.items.map(\.id)
                    guard let next = found.nextCursor, walked.count <= ids.count else { break }
                    page = PageRequest(limit: 2, after: next)
                }
                #expect(walked == expected, "\(name), two at a time")
                #expect(!expected.isEmpty, "\(name) kept nothing: the test would prove little")
            }
            #expect(!all.map(\.id.uuidString).contains(stranger))
            let left = try await app.store.client.query(
                "SELECT coalesce(current_setting('redress.role', true), ''), current_setting('enable_sort')", logger: TestDatabase.logger
            ).collect()
            let (role, sort) = try #require(left.first).decode((String, String).self)
            #expect(role.isEmpty && sort == "on")

            // Platform A's staff, of one state: the ordered path (sorting ruled out), the same rule.
            let staff = DatabaseIdentity(
                role: "platform_staff", accountID: UUID(uuidString: world.accounts["platform_staff_a"]!.id), organizationID: platformA)
            var ofA = ComplaintFilter()
            ofA.scope = .platform(platformA)
            ofA.states = [.awaitingPlatform]
            #expect(ofA.hasOrderedIndex)
            let listed = try await app.store.complaints(as: staff, matching: ofA, page: PageRequest(limit: 50)).items.map(\.id)
            // Platform A sees the other consumer's case too.
            let theirs = try await app.store.transaction(as: staff, origin: .commandLine) { try await $0.complaint(id: UUID(uuidString: stranger)!) }
            let ofPlatformA = (all + [try #require(theirs)]).filter { $0.platformID == platformA && $0.state == .awaitingPlatform }
            #expect(listed == ofPlatformA.sorted { ($0.submittedAt, $0.id.uuidString) < ($1.submittedAt, $1.id.uuidString) }.map(\.id))
            #expect(listed.count == 3)
            let after = try await app.store.client.query(
                "SELECT coalesce(current_setting('redress.role', true), ''), current_setting('enable_sort')", logger: TestDatabase.logger
            ).collect()
            let (roleAfter, sortAfter) = try #require(after.first).decode((String, String).self)
            #expect(roleAfter.isEmpty && sortAfter == "on")
        }
    }

    /// Inside a transaction that already has an identity, the function refuses rather than replace it.
    @Test func itRefusesToReplaceAnIdentityAlreadySet() async throws {
        try await withTestApp { app in
            let refused: String? = try await app.asRequestRole { connection in
                _ = try await connection.query("BEGIN", logger: TestDatabase.logger)
                _ = try await connection.query("SELECT set_config('redress.role', 'auditor', true)", logger: TestDatabase.logger)
                do {
                    _ = try await connection.query(
                        """
                        SELECT * FROM redress_complaint_page('consumer', '', '', '', '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                            NULL, NULL, NULL, NULL, NULL, 0, \(UUID()), 10, false)
                        """, logger: TestDatabase.logger
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
