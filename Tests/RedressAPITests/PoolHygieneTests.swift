import Foundation
import HTTPTypes
import StoreTestSupport
import Testing
import TestSupport

/// Every transaction tells PostgreSQL who the caller is (transaction-local settings) on pooled
/// connections that also keep prepared statements: nothing of one caller may survive into the next
/// one's transaction on the same connection — also not after a request failed half-way.
@Suite("Connection-pool hygiene")
struct PoolHygieneTests {
    /// A statement prepared on a pooled connection whose preparation is cancelled (it waited for a
    /// lock) must not fail there for good: PostgresNIO keeps that error for the statement on its
    /// connection, so the connection is closed and the pool opens another.
    @Test func aCancelledPreparationDoesNotBreakTheConnection() async throws {
        try await withTestApp(poolSize: 1, world: .seeded) { app in
            let world = try await app.makeWorld()
            let token = world.token("consumer")
            // Filing prepares many statements on the only connection, not the one an action ends with:
            // the kinds of evidence the case holds, for the answer's view.
            let id = try await app.create("/api/v1/complaints", token: token, app.complaintBody(world))
            let statement = "SELECT DISTINCT kind FROM evidence%"
            let blocked = try await app.asOwner { owner -> Int? in
                // The lock is held a few seconds at most: taking it gives the transaction an id, and
                // other tests wait for every transaction with one (the event feed).
                _ = try await owner.query("BEGIN", logger: TestDatabase.logger)
                _ = try await owner.query("LOCK TABLE evidence IN ACCESS EXCLUSIVE MODE", logger: TestDatabase.logger)
                // The platform's answer prepares that statement, which waits for the lock on the evidence.
                let waiting = Task { try await app.act(id, "respond", as: world.token("platform_staff_a"), ["decision": "reject", "reason": "已发货"]) }
                var backend: Int?
                for _ in 0..<200 where backend == nil {
                    try await Task.sleep(for: .milliseconds(25))
                    // Activity is read once per transaction unless the snapshot is dropped.
                    _ = try await owner.query("SELECT pg_stat_clear_snapshot()", logger: TestDatabase.logger)
                    backend = try await owner.scalar(
                        "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE \(statement) LIMIT 1", as: Int.self)
                }
                if let backend { _ = try await owner.scalar("SELECT pg_cancel_backend(\(backend)::int)", as: Bool.self) }
                _ = try await owner.query("ROLLBACK", logger: TestDatabase.logger)
                let first = try await waiting.value
                if backend != nil { #expect(first.status.code >= 500, "\(first.text)") }
                return backend
            }
            let pid = try #require(blocked, "the answer never waited for the lock")
            // The answer, given again, is taken, on a connection that prepares the statement anew; reads too.
            let again = try await app.act(id, "respond", as: world.token("platform_staff_a"), ["decision": "reject", "reason": "已发货"])
            #expect(again.status == .ok, "\(again.text)")
            for _ in 0..<3 {
                let answered = try await app.request(.get, "/api/v1/complaints/\(id)", token: token)
                #expect(answered.status == .ok, "\(answered.text)")
            }
            let open = try await app.asOwner { owner in
                try await owner.scalar("SELECT count(*)::int FROM pg_stat_activity WHERE pid = \(pid)", as: Int.self)
            }
            #expect(open == 0, "the connection whose preparation failed is closed")
        }
    }

    @Test func twoPlatformsSharingTwoConnectionsNeverSeeEachOthersCases() async throws {
        try await withTestApp(poolSize: 2, world: .seeded) { app in
            let world = try await app.makeWorld()
            var cases: [String: [String]] = ["a": [], "b": []]
            for _ in 0..<5 {
                cases["a"]!.append(try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world)))
                var other = app.complaintBody(world)
                other["platform_id"] = world.platformB
                cases["b"]!.append(try await app.create("/api/v1/complaints", token: world.token("consumer"), other))
            }
            let platform = ["a": world.platformA, "b": world.platformB]
            let snapshot = cases

            /// One request of one side; returns what went wrong, if anything.
            @Sendable func request(_ index: Int) async throws -> String? {
                let side = index % 2 == 0 ? "a" : "b", other = side == "a" ? "b" : "a"
                let token = world.token(index % 4 < 2 ? "platform_staff_\(side)" : "platform_admin_\(side)")
                let own = snapshot[side]![index / 2 % 5], foreign = snapshot[other]![index / 3 % 5]
                let (method, path, expected, json, headers): (HTTPRequest.Method, String, Set<Int>, [String: Any]?, HTTPFields)
                switch index % 8 {
                case 0: (method, path, expected, json, headers) = (.get, "/api/v1/complaints?limit=50", [200], nil, [:])
                case 1: (method, path, expected, json, headers) = (.get, "/api/v1/complaints/\(own)", [200], nil, [:])
                case 2: (method, path, expected, json, headers) = (.get, "/api/v1/complaints/\(foreign)", [404], nil, [:])
                case 3: (method, path, expected, json, headers) = (.get, "/api/v1/complaints/\(foreign)/messages", [404], nil, [:])
                case 4:
                    // Fails half-way: the case is read inside the transaction, then the version does not match.
                    (method, path, expected, json, headers) = (
                        .post, "/api/v1/complaints/\(own)/actions/respond", [412],
                        ["decision": "reject", "reason": "已发货"], [.ifMatch: "\"99\""])
                case 5:
                    (method, path, expected, json, headers) = (
                        .post, "/api/v1/complaints/\(foreign)/actions/respond", [404], ["decision": "reject", "reason": "x"], [:])
                case 6: (method, path, expected, json, headers) = (.get, "/api/v1/stats/platforms/\(platform[side]!)", [200], nil, [:])
                default: (method, path, expected, json, headers) = (.get, "/api/v1/stats/platforms/\(platform[other]!)", [403], nil, [:])
                }
                let response = try await app.request(method, path, token: token, json: json, headers: headers)
                var problems: [String] = []
                if !expected.contains(Int(response.status.code)) {
                    problems.append("\(method) \(path) as \(side): \(response.status.code) \(response.text)")
                }
                for id in snapshot[other]! + [platform[other]!] where response.text.contains(id) {
                    problems.append("\(method) \(path) as \(side) shows \(other)'s \(id)")
                }
                if index % 8 == 0 {
                    let items = response.json["items"].array
                    let ids = Set(items.compactMap { $0["id"].string })
                    if ids != Set(snapshot[side]!) { problems.append("\(side)'s list: \(ids.sorted()) ≠ its own cases") }
                }
                return problems.isEmpty ? nil : problems.joined(separator: "; ")
            }

            let failures = try await withThrowingTaskGroup(of: String?.self) { group in
                var failures: [String] = []
                var next = 0
                // Sixteen in flight on two connections.
                while next < 16 { let index = next; group.addTask { try await request(index) }; next += 1 }
                while let result = try await group.next() {
                    if let result { failures.append(result) }
                    if next < 1_000 { let index = next; group.addTask { try await request(index) }; next += 1 }
                }
                return failures
            }
            #expect(failures.isEmpty, "\(failures.count) of 1,000: \(failures.prefix(5).joined(separator: "\n"))")
        }
    }
}
