import Foundation
import Hummingbird
import HummingbirdTesting
import RedressCore
import RedressStore
import StoreTestSupport
import Testing
import TestSupport

@Suite("The event feed")
struct EventFeedTests {
    /// Reads the whole feed as `token`, page by page, every event once; until `expecting` events have
    /// come (10 s at most). The feed holds back events while any older transaction of the cluster
    /// still runs — other tests' too — so the last ones may take a moment.
    static func readAll(_ app: TestApp, _ token: String?, expecting: Int = 0, limit: Int = 2) async throws -> [JSON] {
        var events: [JSON] = [], cursor: String? = nil
        let start = ContinuousClock.now
        // The feed serves an event once every transaction older than it has ended, and PostgreSQL's
        // horizon is the whole server's: a test of another suite writing a demo world in another
        // database holds it back for as long as its transaction lasts. Waited for, not failed on.
        let patience = Duration.seconds(60)
        while true {
            let page = try await app.request(.get, "/api/v1/events?limit=\(limit)" + (cursor.map { "&after=\($0)" } ?? ""), token: token)
            // A page that failed is asked for again from the same cursor, never from the beginning.
            guard page.status == .ok, let next = page.json["next_cursor"].string else {
                Issue.record("the feed answered \(page.status): \(page.text)")
                if ContinuousClock.now - start > patience { return events }
                try await Task.sleep(for: .milliseconds(20))
                continue
            }
            let items = page.json["items"].array
            events += items
            cursor = next
            if items.isEmpty {
                if events.count >= expecting || ContinuousClock.now - start > patience { return events }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    /// Transaction ids gain a digit: the feed must order and compare them as numbers throughout (it
    /// once sorted them as text, and a page skipped "999" for "1000").
    @Test func eventsOnBothSidesOfADigitBoundaryAreAllServed() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let consumer = world.token("consumer")
            let first = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))
            // Burn transaction ids up to just below the next power of ten.
            let current = try await app.asOwner { try await $0.scalar("SELECT pg_current_xact_id()::text", as: String.self) }.flatMap { UInt64($0) } ?? 0
            var boundary: UInt64 = 10
            while boundary <= current + 5 { boundary *= 10 }
            try await app.asOwner { connection in
                for _ in 0..<(boundary - current - 3) { _ = try await connection.query("SELECT pg_current_xact_id()").get() }
            }
            var ids = [first]
            for _ in 0..<6 { ids.append(try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))) }
            let stored = try await app.asOwner {
                try await $0.scalar("SELECT string_agg(txid::text, ',' ORDER BY seq) FROM outbox_events", as: String.self)
            }
            let events = try await Self.readAll(app, consumer, expecting: 7, limit: 2)
            #expect(events.compactMap { $0["complaint_id"].string } == ids, "stored txids: \(stored ?? "")")
        }
    }

    @Test func eachPartyReadsItsCasesEventsOnceInCommitOrder() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let consumer = world.token("consumer")
            let ofA = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))
            var toB = app.complaintBody(world)
            toB["platform_id"] = world.platformB
            let ofB = try await app.create("/api/v1/complaints", token: consumer, toB)
            #expect(try await app.request(.post, "/api/v1/complaints/\(ofA)/messages", token: world.token("platform_staff_a"),
                                          json: ["body": "内部备注", "visibility": "internal"]).status == .created)
            try await app.step(ofA, "respond", as: world.token("platform_staff_a"), ["decision": "reject", "reason": "已发货"])
            try await app.step(ofA, "accept", as: consumer)
            try await app.step(ofA, "rate", as: consumer, ["rating": 1])

            let consumerEvents = try await Self.readAll(app, consumer, expecting: 5)
            // What the outbox holds, in the message of a failure: a flake seen under load is to be understood.
            let stored = try await app.asOwner {
                try await $0.scalar("SELECT string_agg(type || '@' || txid::text || '/' || seq::text, ', ' ORDER BY seq) FROM outbox_events", as: String.self)
            }
            let read = consumerEvents.map {
                ($0["type"].string ?? "") + "@" + (OutboxCursor(sealed: $0["cursor"].string ?? "", keys: TestDatabase.keys).map { "\($0.transaction)/\($0.sequence)" } ?? "?")
            }
            #expect(consumerEvents.map { $0["type"].string } == [
                "complaint.submit", "complaint.submit", "complaint.respond", "complaint.accept", "complaint.rate",
            ], "stored: \(stored ?? ""); read: \(read)")
            #expect(Set(consumerEvents.map { $0["id"].string }).count == consumerEvents.count)
            try #require(consumerEvents.count == 5)
            #expect(consumerEvents[2]["state"].string == "proposal_made")

            let platformA = try await Self.readAll(app, world.token("platform_staff_a"), expecting: 4)
            #expect(platformA.map { $0["type"].string } == ["complaint.submit", "message.post", "complaint.respond", "complaint.accept"])
            #expect(platformA.allSatisfy { $0["complaint_id"].string == ofA })
            let platformB = try await Self.readAll(app, world.token("platform_staff_b"), expecting: 1)
            #expect(platformB.map { $0["complaint_id"].string } == [ofB])
            #expect(try await Self.readAll(app, world.token("mediator_a")).isEmpty)
            let feed = try await app.request(.get, "/api/v1/events", token: world.token("platform_staff_a"))
            #expect(!feed.text.contains("consumer@redress.test"))

            // Nothing new after the last event read: the cursor stays where it was (sealed anew each
            // time, so compared by what it opens to).
            let last = try #require(platformA.last?["cursor"].string)
            let again = try await app.request(.get, "/api/v1/events?after=\(last)", token: world.token("platform_staff_a"))
            #expect(again.json["items"].array.isEmpty)
            #expect(OutboxCursor(sealed: again.json["next_cursor"].string ?? "", keys: TestDatabase.keys) == OutboxCursor(sealed: last, keys: TestDatabase.keys))
            #expect(again.json["next_cursor"].string != last)
            // A cursor is opaque: made up or altered, it is refused.
            #expect(try await app.request(.get, "/api/v1/events?after=t999s1", token: world.token("platform_staff_a")).status == .unprocessableContent)
            // One character of the sealed part changed (not the last: its low bits may be padding).
            var altered = Array(last)
            let index = try #require(altered.lastIndex(of: ".")) + 1
            altered[index] = altered[index] == "A" ? "B" : "A"
            #expect(try await app.request(.get, "/api/v1/events?after=\(String(altered))", token: world.token("platform_staff_a")).status == .unprocessableContent)
        }
    }

    @Test func cursorsAndLimitsAreChecked() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let token = world.token("consumer")
            for bad in ["limit=0", "limit=201", "limit=x", "after=not-a-cursor", "after=" + String(repeating: "A", count: 80),
                        "after=" + Data("t18446744073709551616s1".utf8).base64EncodedString(), "after=" + Data("t1s-1".utf8).base64EncodedString()] {
                let response = try await app.request(.get, "/api/v1/events?\(bad)", token: token)
                #expect(response.status == .unprocessableContent, "\(bad): \(response.status)")
            }
            #expect(try await app.request(.get, "/api/v1/events").status == .unauthorized)
        }
    }
}
