import Foundation
import RedressAPI
import StoreTestSupport
import Testing
import TestSupport

/// The guide: "补充材料后重新投诉" — a consumer adds statements and evidence after filing; the statement
/// as filed stays; the other side and the mediator see what was added when.
@Suite("Supplements")
struct SupplementTests {
    @Test func aSupplementIsAppendedDatedAndShownToTheOtherSide() async throws {
        let clock = ManualClock("2026-11-02T10:00:00+08:00")
        try await withTestApp(configuration: ComplaintJourneyTests.configuration(clock), world: .seeded) { app in
            let world = try await app.makeWorld()
            let consumer = world.token("consumer")
            let id = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))
            let filed = try await app.request(.get, "/api/v1/complaints/\(id)", token: consumer)
            clock.set("2026-11-03T15:00:00+08:00")
            let recording = try await EvidenceTests.upload(
                app, id, token: consumer, kind: "communication_record", name: "客服通话.amr", type: "audio/amr", bytes: EvidenceSamples.amr(frames: 500))
            let evidenceID = try #require(recording.json["id"].string)
            let added = try await app.request(
                .post, "/api/v1/complaints/\(id)/supplements", token: consumer,
                json: ["statement": "补充：11月3日致电客服，客服承认未发卡密（见通话录音）。", "evidence_ids": [evidenceID, evidenceID]])
            #expect(added.status == .created, "\(added.text)")
            #expect(added.json["kind"].string == "supplement")
            #expect(added.json["evidence_ids"].array.map(\.string) == [evidenceID], "\(added.text)")
            #expect(added.json["created_at"].string?.hasPrefix("2026-11-03T") == true)
            // The statement as filed is untouched.
            let now = try await app.request(.get, "/api/v1/complaints/\(id)", token: world.token("platform_staff_a"))
            #expect(now.json["description"] == filed.json["description"])
            // The platform reads it among the supplements and in the thread.
            let listed = try await app.request(.get, "/api/v1/complaints/\(id)/supplements", token: world.token("platform_staff_a"))
            #expect(listed.json["items"].array.count == 1)
            #expect(listed.json["items"].array.first?["body"].string?.hasPrefix("补充") == true)
            let thread = try await app.request(.get, "/api/v1/complaints/\(id)/messages", token: world.token("platform_staff_a"))
            #expect(thread.json["items"].array.map { $0["kind"].string } == ["supplement"])
            // Only the consumer adds; only evidence of the case; a statement is required.
            #expect(try await app.request(
                .post, "/api/v1/complaints/\(id)/supplements", token: world.token("platform_staff_a"), json: ["statement": "x"]).status == .forbidden)
            #expect(try await app.request(
                .post, "/api/v1/complaints/\(id)/supplements", token: consumer, json: ["statement": "x", "evidence_ids": [UUID().uuidString]])
                .json["invalid_fields"].array.first?["reason"].string == "not_evidence_of_the_case")
            #expect(try await app.request(.post, "/api/v1/complaints/\(id)/supplements", token: consumer, json: [:]).status == .unprocessableContent)
            // Audited as a digest; in the dossier, dated.
            let clear = try await app.asOwner {
                try await $0.scalar("SELECT count(*)::int FROM audit_events WHERE content::text LIKE '%客服承认%'", as: Int.self)
            }
            #expect(clear == 0)
            let dossier = try await app.request(.get, "/api/v1/complaints/\(id)/dossier", token: consumer)
            #expect(dossier.json["supplements"].array.count == 1)
            #expect(dossier.json["timeline"].array.contains { $0["action"].string == "complaint.supplement" })
            // A closed case takes no more: the consumer files anew.
            try await app.step(id, "withdraw", as: consumer)
            #expect(try await app.request(.post, "/api/v1/complaints/\(id)/supplements", token: consumer, json: ["statement": "再补充"])
                .status == .conflict)
        }
    }
}
