import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import TestSupport

@Suite("Timeline and dossier")
struct DossierTests {
    @Test func theDossierHoldsWhatTwelve315AsksFor() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let consumer = world.token("consumer")
            var body = app.complaintBody(world)
            body["title"] = "<script>alert('x')</script> 卡密未到账"
            let id = try await app.create("/api/v1/complaints", token: consumer, body)
            let evidence = try await app.request(
                .post, "/api/v1/complaints/\(id)/evidence?kind=order_record&filename=order.txt", token: consumer,
                headers: [.contentType: "text/plain"], rawBody: ByteBuffer(string: "订单号 KM20260924001，支付500元"))
            let digest = try #require(evidence.json["sha256"].string)
            _ = try await app.request(.post, "/api/v1/complaints/\(id)/messages", token: world.token("platform_staff_a"),
                                      json: ["visibility": "internal", "body": "内部备注"])
            _ = try await app.request(.post, "/api/v1/complaints/\(id)/actions/respond", token: world.token("platform_staff_a"),
                                      json: ["decision": "reject", "reason": "已发货"])

            let dossier = try await app.request(.get, "/api/v1/complaints/\(id)/dossier", token: consumer)
            #expect(dossier.status == .ok)
            let platform = dossier.json["platform"]
            #expect(platform["credit_code"].string == creditCode(1))
            #expect(platform["company_name"].string == "平台A 网络科技有限公司")
            #expect(dossier.json["evidence"].array.first?["sha256"].string == digest)
            let actions = dossier.json["timeline"].array.compactMap { $0["action"].string }
            #expect(actions == ["complaint.submit", "evidence.upload", "complaint.respond"])  // not the platform's internal note
            #expect(dossier.json["recommended_channels"].strings == ["12315"])

            let platformTimeline = try await app.request(.get, "/api/v1/complaints/\(id)/timeline", token: world.token("platform_admin_a"))
            let platformActions = platformTimeline.json["events"].array.compactMap { $0["action"].string }
            #expect(platformActions.contains("message.post"))
            #expect(!platformTimeline.text.contains("hmac-sha256"))

            let page = try await app.request(.get, "/api/v1/complaints/\(id)/dossier?format=html", token: consumer, headers: [.acceptLanguage: "zh-CN"])
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(page.text.contains("统一社会信用代码") && page.text.contains(digest))
            #expect(!page.text.contains("<script>") && page.text.contains("&lt;script&gt;"))
        }
    }
}

@Suite("Offline verification of a dossier")
struct OfflineDossierVerificationTests {
    static let script = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("Tools/verify-dossier.py")

    /// Runs Tools/verify-dossier.py on `json`; returns its exit status and what it printed.
    static func verify(_ json: JSON, root: String? = nil) throws -> (Int32, String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("dossier-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try JSONEncoder().encode(json).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, file.path] + (root.map { ["--root", $0] } ?? [])
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func aThirdPartyChecksTheChainAndTheAnchorWithPythonAlone() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let consumer = world.token("consumer")
            let id = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))
            _ = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))
            // Another organisation's internal note: in the consumer's export as hashes only.
            #expect(try await app.request(.post, "/api/v1/complaints/\(id)/messages", token: world.token("platform_staff_a"),
                                          json: ["visibility": "internal", "body": "内部备注"]).status == .created)
            let first = try await app.store.transaction(as: .commandLine, origin: .commandLine) { try await $0.anchorAuditChains() }
            // After the anchor: an answer (not covered yet), another anchor covering it, and one more
            // anchor that does not touch the case (the proof must roll forward through it).
            #expect(try await app.request(.post, "/api/v1/complaints/\(id)/actions/respond", token: world.token("platform_staff_a"),
                                          json: ["decision": "reject", "reason": "已发货"]).status == .ok)
            let second = try await app.store.transaction(as: .commandLine, origin: .commandLine) { try await $0.anchorAuditChains() }
            _ = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))
            let third = try await app.store.transaction(as: .commandLine, origin: .commandLine) { try await $0.anchorAuditChains() }
            #expect(second.chains >= 1 && third.chains >= 1 && first.chains > third.chains)

            let dossier = try await app.request(.get, "/api/v1/complaints/\(id)/dossier", token: consumer)
            let json = dossier.json
            let audit = try #require(json["audit"].present)
            let events = audit["events"].array
            #expect(events.count == 3)
            #expect(events.contains { $0["content"].isNull }, "the internal note is redacted")
            #expect(!dossier.text.contains("内部备注"))
            let anchoring = try #require(audit["anchoring"].present)
            #expect(anchoring["anchor_id"].int == second.id)
            #expect(anchoring["later_anchors"].array.count == 1)

            var (status, output) = try Self.verify(json, root: third.root.hexString)
            #expect(status == 0, "\(output)")
            #expect(output.contains("OK: chain complaint:\(id), 3 events linked"))
            #expect(output.contains("covers this case"))
            // The first anchor predates the answer: it does not cover the case as it stands.
            (status, output) = try Self.verify(json, root: first.root.hexString)
            #expect(status == 1 && output.contains("not among the roots"), "\(output)")

            // Edited content, a removed event, a reordered pair, a doctored timeline: each is caught.
            var edited = json, editedAudit = audit, editedEvents = events
            editedEvents[0]["content"] = .string((events[0]["content"].string ?? "").replacingOccurrences(of: "non_delivery", with: "other"))
            editedAudit["events"] = .array(editedEvents)
            edited["audit"] = editedAudit
            (status, output) = try Self.verify(edited)
            #expect(status == 1 && output.contains("event 1") && output.contains("edited"), "\(output)")
            editedAudit["events"] = .array(Array(events.dropFirst()))
            edited["audit"] = editedAudit
            (status, output) = try Self.verify(edited)
            #expect(status == 1 && output.contains("missing or out of order"), "\(output)")
            editedAudit["events"] = .array([events[1], events[0], events[2]])
            edited["audit"] = editedAudit
            (status, output) = try Self.verify(edited)
            #expect(status == 1, "\(output)")
            var timeline = json["timeline"].array
            try #require(!timeline.isEmpty)
            timeline[0]["hash"] = .string(String(repeating: "ab", count: 32))
            edited = json
            edited["timeline"] = .array(timeline)
            (status, output) = try Self.verify(edited)
            #expect(status == 1 && output.contains("timeline entry 1"), "\(output)")
        }
    }
}
