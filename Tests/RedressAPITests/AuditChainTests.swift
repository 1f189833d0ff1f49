import Crypto
import Foundation
import PostgresNIO
import RedressCore
@testable import RedressStore
import StoreTestSupport
import Testing
import TestSupport

@Suite("Audit chain")
struct AuditChainTests {
    struct Event {
        let chain: String
        let seq: Int
        let content: String
        let prevHash: String
        let hash: String
    }

    static func events(_ app: TestApp) async throws -> [Event] {
        try await app.asOwner { connection in
            var events: [Event] = []
            let rows = try await connection.query(
                "SELECT chain_id, seq::int, content, encode(prev_hash, 'hex'), encode(hash, 'hex') FROM audit_events ORDER BY chain_id, seq",
                logger: TestDatabase.logger)
            for try await (chain, seq, content, prev, hash) in rows.decode((String, Int, String, String, String).self) {
                events.append(Event(chain: chain, seq: seq, content: content, prevHash: prev, hash: hash))
            }
            return events
        }
    }

    /// Recomputes every chain outside the database and names the first broken link.
    static func firstBrokenLink(_ events: [Event]) -> String? {
        var previous: [String: (seq: Int, hash: String)] = [:]
        for event in events {
            let expectedPrev = previous[event.chain]?.hash ?? String(repeating: "0", count: 64)
            let expectedSeq = (previous[event.chain]?.seq ?? 0) + 1
            if event.seq != expectedSeq { return "\(event.chain)#\(event.seq): sequence gap" }
            if event.prevHash != expectedPrev { return "\(event.chain)#\(event.seq): previous hash differs" }
            let preimage = "\(event.chain)\n\(event.seq)\n\(event.prevHash)\n\(event.content)"
            let hash = SHA256.hash(data: Data(preimage.utf8)).map { String(format: "%02x", $0) }.joined()
            if hash != event.hash { return "\(event.chain)#\(event.seq): hash differs" }
            previous[event.chain] = (event.seq, event.hash)
        }
        return nil
    }

    @Test func chainsRecomputeAndHoldNoPersonalData() async throws {
        try await withTestApp(world: .seeded) { app in
            _ = try await app.makeWorld()
            let events = try await Self.events(app)
            #expect(events.count > 20)
            #expect(Self.firstBrokenLink(events) == nil)
            #expect(Set(events.map(\.chain)).contains("administration"))
            for event in events {
                #expect(!event.content.contains("@redress.test"), "\(event.content)")
                #expect(!event.content.contains("消费者"))
                #expect(!event.content.contains("13800000000"))
            }
            let registration = try #require(events.first { $0.content.contains("\"account.register\"") })
            #expect(registration.content.contains("\"email\":{\"after\":{\"digest\":\"hmac-sha256:"))
            #expect(registration.content.contains("\"phone\":{\"after\":{\"digest\":\"hmac-sha256:"))
        }
    }

    @Test func aTamperedEventIsFound() async throws {
        try await withTestApp(world: .seeded) { app in
            _ = try await app.makeWorld()
            try await app.asOwner { connection in
                // A superuser can get past the triggers; the chain still tells.
                try await connection.query("SET session_replication_role = replica", logger: TestDatabase.logger)
                try await connection.query(
                    "UPDATE audit_events SET content = replace(content, '平台B', '平台C') WHERE action = 'platform.create' AND content LIKE '%平台B%'",
                    logger: TestDatabase.logger)
            }
            let broken = Self.firstBrokenLink(try await Self.events(app))
            #expect(broken?.hasPrefix("administration#") == true)
            #expect(broken?.hasSuffix("hash differs") == true)
        }
    }

    @Test func eventsCannotBeChangedDeletedOrTruncatedByAnyone() async throws {
        try await withTestApp(world: .seeded) { app in
            _ = try await app.makeWorld()
            for statement in ["UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events", "TRUNCATE audit_events",
                              "TRUNCATE audit_chain_heads"] {
                await #expect(throws: (any Error).self, "\(statement) as owner") {
                    try await app.asOwner { try await $0.query(PostgresQuery(unsafeSQL: statement), logger: TestDatabase.logger) }
                }
                await #expect(throws: (any Error).self, "\(statement) as request role") {
                    try await app.asRequestRole { try await $0.query(PostgresQuery(unsafeSQL: statement), logger: TestDatabase.logger) }
                }
            }
            #expect(Self.firstBrokenLink(try await Self.events(app)) == nil)
        }
    }

    @Test func concurrentAppendsToOneChainNeverFork() async throws {
        try await withTestApp { app in
            let actor = AuditActor.commandLine
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        try await app.store.transaction(as: .commandLine, origin: .commandLine) { transaction in
                            try await transaction.record(
                                AuditEntry(chain: "stress", action: "test.append", entityType: "test", entityID: UUID(), actor: actor,
                                           changes: ["n": .init(after: .int(index))]))
                        }
                    }
                }
                try await group.waitForAll()
            }
            let events = try await Self.events(app).filter { $0.chain == "stress" }
            #expect(events.map(\.seq) == Array(1...40))
            #expect(Self.firstBrokenLink(events) == nil)
        }
    }
}

@Suite("Audit verification")
struct AuditVerificationTests {
    static func verify(_ app: TestApp, chain: String? = nil) async throws -> AuditVerifier.Result {
        try await app.store.transaction(as: .commandLine, origin: .commandLine) { try await $0.verifyAuditChains(chain: chain) }
    }

    @Test func intactChainsVerifyAndEveryKindOfTamperingIsNamed() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let id = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            _ = try await app.request(.post, "/api/v1/complaints/\(id)/actions/respond", token: world.token("platform_staff_a"),
                                      json: ["decision": "reject", "reason": "已发货"])
            _ = try await app.request(.post, "/api/v1/complaints/\(id)/actions/reject", token: world.token("consumer"), json: ["reason": "未收到"])
            let intact = try await Self.verify(app)
            #expect(intact.valid)
            #expect(intact.events > 20 && intact.chains > 10)
            let chain = "complaint:\(id)"
            // A party verifies its own case over the API; so does an auditor; an outsider cannot.
            let mine = try await app.request(.get, "/api/v1/complaints/\(id)/audit/verify", token: world.token("consumer"))
            #expect(mine.json["valid"].bool == true && mine.json["events"].int == 3)
            #expect(try await app.request(.get, "/api/v1/complaints/\(id)/audit/verify", token: world.token("auditor")).json["valid"].bool == true)

            func tamper(_ sql: String) async throws {
                try await app.asOwner { connection in
                    try await connection.query("SET session_replication_role = replica", logger: TestDatabase.logger)
                    try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger)
                }
            }
            // Edited.
            try await tamper("UPDATE audit_events SET content = replace(content, 'reject', 'propose') WHERE chain_id = '\(chain)' AND seq = 2")
            #expect(try await Self.verify(app, chain: chain).firstBroken?.seq == 2)
            let viaAPI = try await app.request(.get, "/api/v1/complaints/\(id)/audit/verify", token: world.token("consumer"))
            #expect(viaAPI.json["valid"].bool == false)
            try await tamper("UPDATE audit_events SET content = replace(content, 'propose', 'reject') WHERE chain_id = '\(chain)' AND seq = 2")
            #expect(try await Self.verify(app, chain: chain).valid)
            // Two events swapped (their places exchanged behind the primary key's back).
            try await tamper("UPDATE audit_events SET seq = 100 WHERE chain_id = '\(chain)' AND seq = 1")
            try await tamper("UPDATE audit_events SET seq = 1 WHERE chain_id = '\(chain)' AND seq = 2")
            try await tamper("UPDATE audit_events SET seq = 2 WHERE chain_id = '\(chain)' AND seq = 100")
            let swapped = try await Self.verify(app, chain: chain)
            #expect(swapped.firstBroken?.seq == 1, "\(String(describing: swapped.firstBroken))")
            try await tamper("UPDATE audit_events SET seq = 100 WHERE chain_id = '\(chain)' AND seq = 1")
            try await tamper("UPDATE audit_events SET seq = 1 WHERE chain_id = '\(chain)' AND seq = 2")
            try await tamper("UPDATE audit_events SET seq = 2 WHERE chain_id = '\(chain)' AND seq = 100")
            #expect(try await Self.verify(app, chain: chain).valid)
            // A column beside the content edited (the hash does not cover it; the content does).
            try await tamper("UPDATE audit_events SET action = 'complaint.withdraw' WHERE chain_id = '\(chain)' AND seq = 2")
            #expect(try await Self.verify(app, chain: chain).firstBroken?.problem.contains("columns") == true)
            try await tamper("UPDATE audit_events SET action = 'complaint.respond' WHERE chain_id = '\(chain)' AND seq = 2")
            // Removed from the end: the head still counts it.
            try await tamper("DELETE FROM audit_events WHERE chain_id = '\(chain)' AND seq = 3")
            let truncated = try await Self.verify(app, chain: chain)
            #expect(truncated.firstBroken?.seq == 3)
            #expect(truncated.firstBroken?.problem.contains("missing") == true)
            // Removed from the middle.
            try await tamper("DELETE FROM audit_events WHERE chain_id = '\(chain)' AND seq = 1")
            #expect(try await Self.verify(app).firstBroken?.problem.contains("missing") == true)
        }
    }

    /// The whole store verified in parallel ranges counts what one pass counts and names the same
    /// first broken link, wherever the ranges are cut.
    @Test func verificationInRangesAgreesWithOnePass() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            var ids: [String] = []
            for _ in 0..<12 { ids.append(try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))) }
            let whole = try await Self.verify(app)
            #expect(whole.valid)
            #expect(AuditChainRange.partitions(1) == [AuditChainRange(from: nil, below: nil)])
            #expect(AuditChainRange.partitions(4).map(\.below) == ["complaint:4", "complaint:8", "complaint:c", nil])
            for partitions in [1, 2, 3, 7] {
                let parallel = try await app.store.verifyAllAuditChains(partitions: partitions)
                #expect(parallel == whole, "\(partitions) ranges: \(parallel) ≠ \(whole)")
            }
            // Two cases broken: the one earlier in chain order is named, as one pass names it.
            let broken = ids.sorted().prefix(2).map { "complaint:\($0)" }
            try await app.asOwner { connection in
                try await connection.query("SET session_replication_role = replica", logger: TestDatabase.logger)
                for chain in broken.reversed() {
                    try await connection.query(
                        PostgresQuery(unsafeSQL: "UPDATE audit_events SET content = content || ' ' WHERE chain_id = '\(chain)' AND seq = 1"),
                        logger: TestDatabase.logger)
                }
            }
            let onePass = try await Self.verify(app)
            #expect(onePass.firstBroken?.chain == broken[0])
            for partitions in [2, 5] {
                #expect(try await app.store.verifyAllAuditChains(partitions: partitions).firstBroken == onePass.firstBroken)
                #expect(try await app.store.recomputeAllAuditChainsInService(partitions: partitions).firstBroken == onePass.firstBroken)
            }
        }
    }

    /// The whole store verified in PostgreSQL (hashes by pages, links from the index, heads alongside)
    /// names every kind of tampering as one pass in the service names it, and counts what it counts.
    @Test func verificationInTheDatabaseNamesWhatOnePassNames() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            var ids: [String] = []
            for _ in 0..<6 {
                let id = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
                _ = try await app.request(.post, "/api/v1/complaints/\(id)/actions/respond", token: world.token("platform_staff_a"),
                                          json: ["decision": "reject", "reason": "已发货"])
                _ = try await app.request(.post, "/api/v1/complaints/\(id)/actions/reject", token: world.token("consumer"), json: ["reason": "未收到"])
                ids.append(id)
            }
            let intact = try await Self.verify(app)
            for partitions in [1, 2, 3] {
                #expect(try await app.store.verifyAllAuditChains(partitions: partitions) == intact)
                #expect(try await app.store.recomputeAllAuditChainsInService(partitions: partitions) == intact)
            }
            let chain = "complaint:\(ids.sorted()[2])"
            func tamper(_ sql: String) async throws {
                try await app.asOwner { connection in
                    try await connection.query("SET session_replication_role = replica", logger: TestDatabase.logger)
                    try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger)
                }
            }
            // Each change, then its undoing: every one is named alike, and the store verifies again after.
            let changes: [(String, String, String)] = [
                ("content edited", "UPDATE audit_events SET content = content || ' ' WHERE chain_id = '\(chain)' AND seq = 2",
                 "UPDATE audit_events SET content = left(content, -1) WHERE chain_id = '\(chain)' AND seq = 2"),
                ("previous hash edited", "UPDATE audit_events SET prev_hash = sha256(prev_hash) WHERE chain_id = '\(chain)' AND seq = 2",
                 "UPDATE audit_events e SET prev_hash = b.hash FROM audit_events b WHERE e.chain_id = '\(chain)' AND e.seq = 2 AND b.chain_id = e.chain_id AND b.seq = 1"),
                ("action column edited", "UPDATE audit_events SET action = 'complaint.withdraw' WHERE chain_id = '\(chain)' AND seq = 2",
                 "UPDATE audit_events SET action = 'complaint.respond' WHERE chain_id = '\(chain)' AND seq = 2"),
                ("entity column edited", "UPDATE audit_events SET entity_id = gen_random_uuid() WHERE chain_id = '\(chain)' AND seq = 1",
                 "UPDATE audit_events SET entity_id = (content::jsonb -> 'entity' ->> 'id')::uuid WHERE chain_id = '\(chain)' AND seq = 1"),
                ("renumbered", "UPDATE audit_events SET seq = 9223372036854775807 WHERE chain_id = '\(chain)' AND seq = 2",
                 "UPDATE audit_events SET seq = 2 WHERE chain_id = '\(chain)' AND seq = 9223372036854775807"),
                ("first renumbered", "UPDATE audit_events SET seq = -9223372036854775808 WHERE chain_id = '\(chain)' AND seq = 1",
                 "UPDATE audit_events SET seq = 1 WHERE chain_id = '\(chain)' AND seq = -9223372036854775808"),
            ]
            for (name, change, undo) in changes {
                try await tamper(change)
                let onePass = try await Self.verify(app)
                #expect(onePass.firstBroken?.chain == chain, "\(name): \(String(describing: onePass.firstBroken))")
                for partitions in [1, 2, 4] {
                    let inDatabase = try await app.store.verifyAllAuditChains(partitions: partitions)
                    #expect(inDatabase.firstBroken == onePass.firstBroken, "\(name), \(partitions) streams: \(String(describing: inDatabase.firstBroken))")
                }
                try await tamper(undo)
                #expect(try await app.store.verifyAllAuditChains(partitions: 2) == intact, "\(name) undone")
            }
            // A null where the constraint was dropped: a break, named alike.
            try await tamper("ALTER TABLE audit_events ALTER COLUMN prev_hash DROP NOT NULL")
            try await tamper("UPDATE audit_events SET prev_hash = NULL WHERE chain_id = '\(chain)' AND seq = 2")
            let nulled = try await Self.verify(app)
            #expect(nulled.firstBroken == AuditVerifier.Broken(chain: chain, seq: 2, problem: "its prev_hash is missing (null)"))
            #expect(try await app.store.verifyAllAuditChains(partitions: 2).firstBroken == nulled.firstBroken)
            #expect(try await app.store.recomputeAllAuditChainsInService(partitions: 2).firstBroken == nulled.firstBroken)
            try await tamper(changes[1].2)
            try await tamper("ALTER TABLE audit_events ALTER COLUMN prev_hash SET NOT NULL")
            #expect(try await app.store.verifyAllAuditChains(partitions: 2) == intact)
            // A whole chain, each link sound, slipped into the table behind the index's back: only the
            // readings' disagreement shows it (the index, which the links and heads read, lacks it).
            let slipped = "complaint:\(UUID().uuidString.lowercased())"
            try await tamper("UPDATE pg_index SET indisready = false WHERE indexrelid = 'audit_events_pkey'::regclass")
            try await tamper("""
                INSERT INTO audit_events (chain_id, seq, occurred_at, action, entity_type, entity_id, actor_role, content, prev_hash, hash)
                SELECT '\(slipped)', 1, now(), 'complaint.submit', 'complaint', substring('\(slipped)' from 11)::uuid, 'consumer', c,
                       decode(repeat('00', 32), 'hex'),
                       sha256(convert_to('\(slipped)' || E'\\n1\\n' || repeat('0', 64) || E'\\n' || c, 'UTF8'))
                FROM (SELECT '{"action":"complaint.submit","entity":{"id":"' || substring('\(slipped)' from 11) || '","type":"complaint"}}' AS c) x
                """)
            try await tamper("UPDATE pg_index SET indisready = true WHERE indexrelid = 'audit_events_pkey'::regclass")
            let disagreeing = try await app.store.verifyAllAuditChains(partitions: 2)
            #expect(disagreeing.firstBroken?.problem.contains("hold different events") == true, "\(disagreeing)")
            try await tamper("DELETE FROM audit_events WHERE chain_id = '\(slipped)'")
            // The primary key's index left behind its table (possible only beneath PostgreSQL; here by
            // switching the index's maintenance off): the two readings differ, and the link is named.
            try await tamper("UPDATE pg_index SET indisready = false WHERE indexrelid = 'audit_events_pkey'::regclass")
            try await tamper("UPDATE audit_events SET content = content || ' ' WHERE chain_id = '\(chain)' AND seq = 2")
            try await tamper("""
                UPDATE audit_events SET hash = sha256(convert_to(chain_id || E'\\n' || seq || E'\\n' || encode(prev_hash, 'hex') || E'\\n' || content, 'UTF8'))
                WHERE chain_id = '\(chain)' AND seq = 2
                """)
            try await tamper("UPDATE pg_index SET indisready = true WHERE indexrelid = 'audit_events_pkey'::regclass")
            let behind = try await app.store.verifyAllAuditChains(partitions: 2)
            #expect(behind.firstBroken?.chain == chain, "\(String(describing: behind.firstBroken))")
            try await tamper("REINDEX INDEX audit_events_pkey")
            try await tamper("REINDEX INDEX audit_events_pkey")
            let rehashed = try await Self.verify(app)
            #expect(rehashed.firstBroken == AuditVerifier.Broken(
                chain: chain, seq: 3, problem: "its previous hash is not the hash of the event before it"))
            #expect(try await app.store.verifyAllAuditChains(partitions: 2).firstBroken == rehashed.firstBroken)
            // Removed from the end: only the head knows.
            try await tamper("DELETE FROM audit_events WHERE chain_id = '\(chain)' AND seq = (SELECT max(seq) FROM audit_events WHERE chain_id = '\(chain)')")
            let truncated = try await Self.verify(app)
            #expect(truncated.firstBroken?.problem.contains("missing from the end") == true)
            #expect(try await app.store.verifyAllAuditChains(partitions: 2).firstBroken == truncated.firstBroken)
            // Removed from the middle of a chain earlier in order: only the links know, and it comes first.
            let earlier = "complaint:\(ids.sorted()[1])"
            try await tamper("DELETE FROM audit_events WHERE chain_id = '\(earlier)' AND seq = 2")
            let gap = try await Self.verify(app)
            #expect(gap.firstBroken == AuditVerifier.Broken(chain: earlier, seq: 3, problem: "event 2 is missing"))
            for partitions in [1, 2, 4] {
                #expect(try await app.store.verifyAllAuditChains(partitions: partitions).firstBroken == gap.firstBroken)
            }
        }
    }

    /// A snapshot id is written into SET TRANSACTION SNAPSHOT (it takes no parameter): only PostgreSQL's
    /// form passes.
    @Test func onlyPostgreSQLsSnapshotIdsAreAccepted() {
        #expect(TransactionStart.isSnapshotID("00000003-0000001B-1"))
        #expect(TransactionStart.isSnapshotID(String(repeating: "a", count: 64)))
        for refused in ["", String(repeating: "a", count: 65), "1'; DROP TABLE audit_events; --", "00000003-0000001B-1'", "g", "１", "0 1"] {
            #expect(!TransactionStart.isSnapshotID(refused), "\(refused)")
        }
    }

    @Test func pageRangesCoverTheTableAndWhatFollowsIt() {
        for blocks in [0, 1, 5, 16, 1_000_003] {
            for count in [1, 2, 3, 7, 16] {
                let ranges = AuditBlockRange.partitions(count, blocks: blocks)
                #expect(ranges.count == count && ranges.first?.from == 0 && ranges.last?.below == Int(UInt32.max))
                #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.below == $1.from && $0.from <= $0.below })
                let sizes = ranges.dropLast().map { $0.below - $0.from }
                #expect((sizes.max() ?? 0) - (sizes.min() ?? 0) <= 1 && ranges.last!.from <= blocks)
            }
        }
    }

    /// Thousands of events from concurrent requests (filings, answers and messages on many cases at
    /// once) form chains that verify untouched.
    @Test func anUntouchedStoreWrittenByConcurrentRequestsVerifies() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<12 {
                    group.addTask {
                        for _ in 0..<30 {
                            let id = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
                            async let answered = app.request(
                                .post, "/api/v1/complaints/\(id)/actions/respond", token: world.token("platform_staff_a"),
                                json: ["decision": "reject", "reason": "已发货"])
                            async let posted = app.request(
                                .post, "/api/v1/complaints/\(id)/messages", token: world.token("consumer"), json: ["body": "请处理"])
                            let (answer, message) = try await (answered, posted)
                            #expect(answer.status == .ok && message.status == .created)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let result = try await Self.verify(app)
            #expect(result.valid, "\(String(describing: result.firstBroken))")
            #expect(result.events > 1_080, "\(result.events)")
            #expect(result.chains > 360)
        }
    }
}

@Suite("Audit anchors")
struct AuditAnchorTests {
    @Test func theStoreMustExtendEveryAnchorEvenWhenHeadsAreRewritten() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let anchor = try await app.store.transaction(as: .commandLine, origin: .commandLine) { try await $0.anchorAuditChains() }
            #expect(anchor.chains > 10 && anchor.root.count == 32)
            // New events extend the anchored chains: still fine.
            _ = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            func check() async throws -> (AuditVerifier.Result, String?) {
                try await app.store.transaction(as: .commandLine, origin: .commandLine) { transaction in
                    (try await transaction.verifyAuditChains(), try await transaction.verifyAnchors().problem)
                }
            }
            let (chains, anchors) = try await check()
            #expect(chains.valid && anchors == nil)
            // A superuser removes the administration chain's last event and rewrites its head to match:
            // the chains alone look intact, the anchor does not.
            try await app.asOwner { connection in
                try await connection.query("SET session_replication_role = replica", logger: TestDatabase.logger)
                try await connection.query(
                    """
                    WITH last AS (SELECT max(seq) AS seq FROM audit_events WHERE chain_id = 'administration')
                    DELETE FROM audit_events WHERE chain_id = 'administration' AND seq = (SELECT seq FROM last)
                    """, logger: TestDatabase.logger)
                try await connection.query(
                    """
                    UPDATE audit_chain_heads h SET seq = e.seq, hash = e.hash
                    FROM (SELECT seq, hash FROM audit_events WHERE chain_id = 'administration' ORDER BY seq DESC LIMIT 1) e
                    WHERE h.chain_id = 'administration'
                    """, logger: TestDatabase.logger)
            }
            let (rewritten, anchorProblem) = try await check()
            #expect(rewritten.valid)
            #expect(anchorProblem?.contains("administration") == true)
            // The root is reproducible from the heads alone.
            let heads = [AuditAnchor.Head(chain: "b", seq: 2, hash: Array(repeating: 1, count: 32)),
                         AuditAnchor.Head(chain: "a", seq: 1, hash: Array(repeating: 2, count: 32))]
            #expect(AuditAnchor.root(of: heads) == AuditAnchor.root(of: heads.reversed()))
            #expect(AuditAnchor.root(of: heads) != AuditAnchor.root(of: [heads[0]]))
        }
    }
}

@Suite("Canonical audit content")
struct CanonicalContentTests {
    /// The hand-written canonical JSON is byte for byte what Foundation's encoder writes, for every
    /// kind of value, nil sides, and strings with quotes, backslashes, control characters and Chinese.
    @Test func handWrittenEqualsFoundation() throws {
        let keys = Keyring.generated()
        let strings = ["", "plain", "引号\"与\\反斜杠", "line\nbreak\ttab\r\u{08}\u{0C}\u{01}\u{1F}", "a/b", "emoji 🙂", "\u{2028}"]
        var index = 0
        for text in strings {
            for actor in [AuditActor.commandLine, AuditActor(accountID: UUID(), role: "consumer", organizationID: UUID())] {
                index += 1
                let entry = AuditEntry(
                    chain: "complaint:x", action: "complaint.respond", entityType: "complaint", entityID: UUID(), actor: actor,
                    changes: [
                        "state": .init(before: .string(text), after: .string("proposal_made")), "version": .init(before: .int(1), after: .int(2)),
                        "overdue": .init(after: .bool(true)), "reason": .init(after: .personal(text)), "gone": .init(before: .null, after: nil),
                        "b_\(index)": .init(after: .null),
                    ])
                let origin = index % 2 == 0 ? RequestOrigin(requestID: "req-\(text)", clientAddress: "127.0.0.1") : .commandLine
                let content = AuditContent(entry: entry, occurredAt: Date(timeIntervalSince1970: 1_760_000_000.123), origin: origin, keys: keys)
                #expect(content.canonicalJSON() == content.encodedByFoundation(), "\(text)")
            }
        }
    }
}
