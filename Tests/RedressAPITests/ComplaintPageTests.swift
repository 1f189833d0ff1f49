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
    /// submission order. Row-level security decides within the scope a caller asks for, the function
    /// reads no more than a page and one row, and nothing it set is left on the connection (a pool of
    /// one connection, so the next statement is on the same one).
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
            // Row-level security decides within the scope a caller states: asked for everything, the
            // consumer gets their own cases only, and platform B's staff platform B's only.
            var everything = ComplaintFilter()
            everything.scope = .everything
            let own = try await app.store.complaints(as: consumer, matching: everything, page: PageRequest(limit: 50)).items
            #expect(own.map(\.id) == all.map(\.id))
            #expect(!own.map(\.id.uuidString).contains(stranger))
            let platformB = try #require(UUID(uuidString: world.platformB))
            let staffB = DatabaseIdentity(
                role: "platform_staff", accountID: UUID(uuidString: world.accounts["platform_staff_b"]!.id), organizationID: platformB)
            let seenByB = try await app.store.complaints(as: staffB, matching: everything, page: PageRequest(limit: 50)).items
            #expect(seenByB.map(\.id) == all.filter { $0.platformID == platformB }.map(\.id))
            #expect(!seenByB.isEmpty)
            // The function reads one row more than the page, never the whole list.
            let read: Int = try await app.asRequestRole { connection in
                let rows = try await connection.query(
                    """
                    SELECT count(*)::int FROM redress_complaint_page('consumer', \(consumer.accountID!.uuidString), '', '', '', NULL, NULL, NULL,
                        NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, \(UUID(uuidString: "00000000-0000-0000-0000-000000000000")!), 3, false)
                    """, logger: TestDatabase.logger)
                for try await count in rows.decode(Int.self) { return count }
                return -1
            }
            #expect(read == 3)
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

    /// Seven cases before body A, varied in every column the queue's filters and order read; each filter
    /// gives exactly the cases a filter written here in Swift keeps, most urgent first, and paging by
    /// offset walks the same order. Body B's mediator sees none of them.
    @Test func theTriageQueueKeepsWhatItsFiltersSayMostUrgentFirst() async throws {
        try await withTestApp(poolSize: 1, world: .seeded) { app in
            var world = try await app.makeWorld()
            try await CaseVisibilityMatrixTests.addPrincipals(app, &world)
            var ids: [UUID] = []
            for _ in 0..<7 {
                ids.append(try #require(UUID(uuidString: try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world)))))
            }
            let bodyA = try #require(UUID(uuidString: world.bodyA))
            let mediator = try #require(UUID(uuidString: world.accounts["mediator_a"]!.id))
            let start = Date(timeIntervalSince1970: 1_790_000_000)
            // (state, overdue, deadline in hours or none, amount, assigned to mediator A)
            let shapes: [(ComplaintState, Bool, Int?, Int, Bool)] = [
                (.escalated, false, 48, 10_000, false), (.inMediation, true, 24, 20_000, true), (.escalated, true, 24, 90_000, false),
                (.inMediation, false, nil, 30_000, true), (.escalated, false, 48, 50_000, false), (.inMediation, false, 12, 5_000, false),
                (.awaitingPlatform, true, 6, 70_000, false),
            ]
            try await app.asOwner { connection in
                _ = try await connection.query("SET session_replication_role = replica", logger: TestDatabase.logger)
                for (id, (state, overdue, hours, amount, assigned)) in zip(ids, shapes) {
                    let deadline = hours.map { start.addingTimeInterval(Double($0) * 3600) }
                    _ = try await connection.query(
                        """
                        UPDATE complaints SET state = \(state.rawValue), overdue = \(overdue), deadline_at = \(deadline), amount_paid = \(amount),
                            mediation_body_id = \(bodyA), mediator_id = \(assigned ? mediator : nil), escalated_at = \(start)
                        WHERE id = \(id)
                        """, logger: TestDatabase.logger)
                }
            }
            let identity = DatabaseIdentity(role: "mediator", accountID: mediator, organizationID: bodyA)
            let all = try await app.store.transaction(as: identity, origin: .commandLine) { transaction in
                var found: [Complaint] = []
                for id in ids { if let complaint = try await transaction.complaint(id: id) { found.append(complaint) } }
                return found
            }
            #expect(all.count == 7)
            func urgentFirst(_ a: Complaint, _ b: Complaint) -> Bool {
                if a.overdue != b.overdue { return a.overdue }
                switch (a.deadlineAt, b.deadlineAt) {
                case (let x?, let y?) where x != y: return x < y
                case (.some, nil): return true
                case (nil, .some): return false
                default: break
                }
                if a.order.amountPaid != b.order.amountPaid { return a.order.amountPaid > b.order.amountPaid }
                return a.id.uuidString < b.id.uuidString
            }
            let open: [ComplaintState] = [.escalated, .inMediation]
            let filters: [(String, [ComplaintState], Bool?, Bool, Bool, (Complaint) -> Bool)] = [
                ("open", open, nil, false, false, { open.contains($0.state) }),
                ("escalated", [.escalated], nil, false, false, { $0.state == .escalated }),
                ("overdue", open, true, false, false, { open.contains($0.state) && $0.overdue }),
                ("not overdue", open, false, false, false, { open.contains($0.state) && !$0.overdue }),
                ("mine", open, nil, true, false, { open.contains($0.state) && $0.mediatorID == mediator }),
                ("unassigned", [.inMediation], nil, false, true, { $0.state == .inMediation && $0.mediatorID == nil }),
            ]
            for (name, states, overdue, mine, unassigned, keeps) in filters {
                let expected = all.filter(keeps).sorted(by: urgentFirst).map(\.id)
                #expect(!expected.isEmpty, "\(name) kept nothing: the test would prove little")
                let found = try await app.store.triageQueue(
                    as: identity, bodyID: bodyA, states: states, overdue: overdue, mediatorID: mine ? mediator : nil, unassigned: unassigned,
                    offset: 0, limit: 50)
                #expect(found.map(\.id) == expected, "\(name)")
                var walked: [UUID] = []
                for offset in stride(from: 0, to: 8, by: 2) {
                    walked += try await app.store.triageQueue(
                        as: identity, bodyID: bodyA, states: states, overdue: overdue, mediatorID: mine ? mediator : nil,
                        unassigned: unassigned, offset: offset, limit: 2
                    ).map(\.id)
                }
                #expect(walked == expected, "\(name), two at a time")
            }
            let other = DatabaseIdentity(
                role: "mediator", accountID: UUID(uuidString: world.accounts["mediator_b"]!.id), organizationID: UUID(uuidString: world.bodyB))
            #expect(try await app.store.triageQueue(as: other, bodyID: bodyA, states: open, overdue: nil, mediatorID: nil, offset: 0, limit: 50).isEmpty)
            let left = try await app.store.client.query(
                "SELECT coalesce(current_setting('redress.role', true), '')", logger: TestDatabase.logger
            ).collect()
            #expect(try #require(left.first).decode(String.self).isEmpty)
        }
    }

    /// Inside a transaction that already has an identity, both functions refuse rather than replace it.
    @Test func itRefusesToReplaceAnIdentityAlreadySet() async throws {
        try await withTestApp { app in
            let refused: [String?] = try await app.asRequestRole { connection in
                _ = try await connection.query("BEGIN", logger: TestDatabase.logger)
                _ = try await connection.query("SELECT set_config('redress.role', 'auditor', true)", logger: TestDatabase.logger)
                var refused: [String?] = []
                for call: PostgresQuery in [
                    """
                    SELECT * FROM redress_complaint_page('consumer', '', '', '', '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                        NULL, NULL, NULL, NULL, NULL, 0, \(UUID()), 10, false)
                    """,
                    "SELECT * FROM redress_triage_page('mediator', '', '', '', '', \(UUID()), ARRAY['escalated'], NULL, NULL, false, 0, 10)",
                ] {
                    _ = try await connection.query("SAVEPOINT call", logger: TestDatabase.logger)
                    do {
                        _ = try await connection.query(call, logger: TestDatabase.logger).collect()
                        refused.append(nil)
                    } catch let error as PSQLError {
                        _ = try await connection.query("ROLLBACK TO SAVEPOINT call", logger: TestDatabase.logger)
                        refused.append(error.serverInfo?[.sqlState])
                    }
                }
                _ = try await connection.query("ROLLBACK", logger: TestDatabase.logger)
                return refused
            }
            #expect(refused == ["42501", "42501"])
        }
    }
}
