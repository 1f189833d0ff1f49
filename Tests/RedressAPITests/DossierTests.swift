import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import TestSupport

@Suite("Timeline and dossier")
struct DossierTests {
    @Test func theDossierHoldsWhatTwelve315AsksFor() async throws {
        try await withTestApp { app in
            let world = try await app.makeWorld()
            let consumer = world.token("consumer")
            var body = app.complaintBody(world)
            body["title"] = "<script>alert('x')</script> 卡密未到账"
            let id = try await app.create("/api/v1/complaints", token: consumer, body)
            let evidence = try await app.request(
                .post, "/api/v1/complaints/\(id)/evidence?kind=order_record&filename=order.txt", token: consumer,
                headers: [.contentType: "text/plain"], rawBody: ByteBuffer(string: "订单号 KM20260924001，支付500元"))
            let digest = try #require(evidence.json["sha256"] as? String)
            _ = try await app.request(.post, "/api/v1/complaints/\(id)/messages", token: world.token("platform_staff_a"),
                                      json: ["visibility": "internal", "body": "内部备注"])
            _ = try await app.request(.post, "/api/v1/complaints/\(id)/actions/respond", token: world.token("platform_staff_a"),
                                      json: ["decision": "reject", "reason": "已发货"])

            let dossier = try await app.request(.get, "/api/v1/complaints/\(id)/dossier", token: consumer)
            #expect(dossier.status == .ok)
            let platform = dossier.json["platform"] as? [String: Any]
            #expect(platform?["credit_code"] as? String == creditCode(1))
            #expect(platform?["company_name"] as? String == "平台A 网络科技有限公司")
            #expect((dossier.json["evidence"] as? [[String: Any]])?.first?["sha256"] as? String == digest)
            let actions = (dossier.json["timeline"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
            #expect(actions == ["complaint.submit", "evidence.upload", "complaint.respond"])  // not the platform's internal note
            #expect(dossier.json["recommended_channels"] as? [String] == ["12315"])

            let platformTimeline = try await app.request(.get, "/api/v1/complaints/\(id)/timeline", token: world.token("platform_admin_a"))
            let platformActions = (platformTimeline.json["events"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
            #expect(platformActions.contains("message.post"))
            #expect(!platformTimeline.text.contains("hmac-sha256"))

            let page = try await app.request(.get, "/api/v1/complaints/\(id)/dossier?format=html", token: consumer, headers: [.acceptLanguage: "zh-CN"])
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(page.text.contains("统一社会信用代码") && page.text.contains(digest))
            #expect(!page.text.contains("<script>") && page.text.contains("&lt;script&gt;"))
        }
    }
}
