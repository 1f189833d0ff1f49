import Foundation
import Hummingbird
import HummingbirdTesting
import RedressAPI
import RedressCore
import RedressStore
import StoreTestSupport
import Testing
import TestSupport

@Suite("Signed webhooks")
struct WebhookTests {
    /// The application with webhooks able to reach the test receivers, on `clock`.
    static func configuration(clock: ManualClock? = nil) throws -> APIConfiguration {
        var configuration = testConfiguration(clock: clock)
        configuration.webhooks = try TestReceivers.webhookSettings()
        return configuration
    }

    /// Registers `receiver` for platform A (or `token`'s organisation) and tells the receiver the secret.
    static func register(_ app: TestApp, _ receiver: WebhookReceiver, token: String?, types: [String] = ["*"]) async throws -> (id: String, secret: String) {
        let created = try await app.request(.post, "/api/v1/webhooks", token: token, json: ["url": receiver.url, "event_types": types])
        #expect(created.status == .created, "\(created.text)")
        #expect(created.headers[.cacheControl] == "no-store")
        let id = try #require(created.json["endpoint"]["id"].string), secret = try #require(created.json["secret"].string)
        try await receiver.control(["secrets": [secret]])
        return (id, secret)
    }

    /// Runs delivery passes until one finds nothing due.
    static func deliverAll(_ job: WebhookDeliveryJob) async throws {
        for _ in 0..<50 where try await job.runOnce() > 0 {}
    }

    @Test func registrationRefusesAddressesOffThePublicInternet() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let admin = world.token("platform_admin_a")
            let refused: [(String, String)] = [
                ("https://127.0.0.1/hook", "address_not_allowed"),
                ("https://localhost/hook", "address_not_allowed"),
                ("https://0x7f000001/hook", "address_not_allowed"),
                ("https://2130706433/hook", "address_not_allowed"),
                ("https://10.1.2.3/hook", "address_not_allowed"),
                ("https://172.20.0.1/hook", "address_not_allowed"),
                ("https://192.168.1.1/hook", "address_not_allowed"),
                ("https://100.64.0.1/hook", "address_not_allowed"),
                ("https://169.254.169.254/latest/meta-data/", "address_not_allowed"),
                ("https://[::1]/hook", "address_not_allowed"),
                ("https://[::ffff:127.0.0.1]/hook", "address_not_allowed"),
                ("https://[::ffff:169.254.169.254]/hook", "address_not_allowed"),
                ("https://[64:ff9b::a9fe:a9fe]/hook", "address_not_allowed"),
                ("https://[2002:a9fe:a9fe::1]/hook", "address_not_allowed"),
                ("https://[fd00:ec2::254]/hook", "address_not_allowed"),
                ("https://[fe80::1]/hook", "address_not_allowed"),
                ("https://0.0.0.0/hook", "address_not_allowed"),
                ("https://name.invalid/hook", "address_not_allowed"),
                ("http://93.184.215.14/hook", "https_required"),
                ("https://user:secret@93.184.215.14/hook", "credentials_not_allowed"),
                ("ftp://93.184.215.14/hook", "invalid_url"),
                ("https://93.184.215.14/hook#part", "invalid_url"),
                ("https:///hook", "invalid_url"),
                ("https://93.184.215.14:0/hook", "invalid_url"),
                ("https://" + String(repeating: "a", count: 2000) + ".cn/", "invalid_url"),
            ]
            for (url, reason) in refused {
                let response = try await app.request(.post, "/api/v1/webhooks", token: admin, json: ["url": url, "event_types": ["*"]])
                #expect(response.status == .unprocessableContent, "\(url): \(response.status)")
                #expect(response.json["invalid_fields"].array.first?["reason"].string == reason, "\(url): \(response.text)")
            }
            // A public address is accepted without being contacted.
            let accepted = try await app.request(
                .post, "/api/v1/webhooks", token: admin, json: ["url": "https://93.184.215.14/hook", "event_types": ["complaint.submit"]])
            #expect(accepted.status == .created, "\(accepted.text)")
            let longDescription = try await app.request(
                .post, "/api/v1/webhooks", token: admin,
                json: ["url": "https://93.184.215.14/hook", "event_types": ["*"], "description": String(repeating: "长", count: 501)])
            #expect(longDescription.json["invalid_fields"].array.first?["field"].string == "description")
            let manyTypes = try await app.request(
                .post, "/api/v1/webhooks", token: admin,
                json: ["url": "https://93.184.215.14/hook", "event_types": Array(repeating: "complaint.submit", count: 500)])
            #expect(manyTypes.json["invalid_fields"].array.first?["reason"].string == "too_many")
            let unknownType = try await app.request(
                .post, "/api/v1/webhooks", token: admin, json: ["url": "https://93.184.215.14/hook", "event_types": ["complaint.nothing"]])
            #expect(unknownType.json["invalid_fields"].array.first?["reason"].string == "unknown_event_type")

            for role in ["platform_staff_a", "merchant_staff_a", "mediator_a", "consumer", "auditor", "admin"] {
                let response = try await app.request(.get, "/api/v1/webhooks", token: world.token(role))
                #expect(response.status == .forbidden, "\(role)")
            }
            #expect(try await app.request(.get, "/api/v1/webhooks").status == .unauthorized)
        }
    }

    @Test func anOrganisationHearsOfItsCasesSignedAndOnce() async throws {
        let configuration = try Self.configuration()
        try await withTestApp(configuration: configuration, world: .seeded) { app in
            let world = try await app.makeWorld()
            let platform = try WebhookReceiver(), body = try WebhookReceiver(), other = try WebhookReceiver()
            let endpoint = try await Self.register(app, platform, token: world.token("platform_admin_a"))
            _ = try await Self.register(app, body, token: world.token("mediation_lead_a"))
            _ = try await Self.register(app, other, token: world.token("platform_admin_b"))

            let consumer = world.token("consumer")
            let id = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))
            #expect(try await app.request(.post, "/api/v1/complaints/\(id)/messages", token: world.token("platform_staff_a"),
                                          json: ["body": "内部备注", "visibility": "internal"]).status == .created)
            try await app.step(id, "respond", as: world.token("platform_staff_a"), ["decision": "reject", "reason": "已发货"])
            try await app.step(id, "accept", as: consumer)
            try await app.step(id, "rate", as: consumer, ["rating": 1])

            let job = WebhookDeliveryJob(database: app.store, settings: configuration.webhooks, logger: TestDatabase.logger)
            try await Self.deliverAll(job)
            let received = try await platform.received()
            // Sent at once, so in no particular order (each body says when its event happened).
            #expect(received.compactMap { $0["event_type"].string }.sorted() == ["complaint.accept", "complaint.respond", "complaint.submit", "message.post"])
            #expect(received.allSatisfy { $0["signature_valid"].bool == true && $0["signatures"].int == 1 }, "\(received)")
            #expect(received.allSatisfy { $0["body"]["complaint_id"].string == id })
            #expect(received.allSatisfy { $0["body"]["id"].string == $0["event_id"].string })
            #expect(!received.description.contains("consumer@redress.test"))
            // Not escalated: the mediation body hears nothing, nor does another platform.
            #expect(try await body.received().isEmpty)
            #expect(try await other.received().isEmpty)

            let log = try await app.request(.get, "/api/v1/webhooks/\(endpoint.id)/deliveries", token: world.token("platform_admin_a"))
            #expect(log.status == .ok)
            #expect(log.json["items"].array.count == 4)
            #expect(log.json["items"].array.allSatisfy { $0["state"].string == "delivered" && $0["last_status"].int == 200 && $0["attempts"].int == 1 })
            #expect(log.json["items"].array.allSatisfy { $0["last_latency_ms"].int != nil })
            // Another organisation's administrator sees neither the endpoint nor its log.
            #expect(try await app.request(.get, "/api/v1/webhooks/\(endpoint.id)", token: world.token("platform_admin_b")).status == .notFound)
            #expect(try await app.request(.get, "/api/v1/webhooks/\(endpoint.id)/deliveries", token: world.token("platform_admin_b")).status == .notFound)
            #expect(try await app.request(.get, "/api/v1/webhooks", token: world.token("platform_admin_b")).json["items"].array.count == 1)
            // Nothing is sent twice.
            try await Self.deliverAll(job)
            #expect(try await platform.received().count == 4)
        }
    }

    @Test func failedDeliveriesBackOffDieAndAreDeliveredAgainOnRequest() async throws {
        let clock = ManualClock("2026-10-12T10:00:00+08:00")
        var configured = try Self.configuration(clock: clock)
        configured.webhooks.retry = RetrySchedule(base: .seconds(30), maximumDelay: .seconds(3600), maximumAttempts: 3)
        let configuration = configured
        try await withTestApp(configuration: configuration, world: .seeded) { app in
            let world = try await app.makeWorld()
            let admin = world.token("platform_admin_a")
            let receiver = try WebhookReceiver()
            let endpoint = try await Self.register(app, receiver, token: admin, types: ["complaint.submit"])
            try await receiver.control(["fail": 2])
            _ = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            let job = WebhookDeliveryJob(database: app.store, settings: configuration.webhooks, logger: TestDatabase.logger)

            #expect(try await job.runOnce() == 1)
            // Not due again before the backoff (15 to 30 s after a first failure).
            clock.advance(by: .seconds(14))
            #expect(try await job.runOnce() == 0)
            clock.advance(by: .seconds(16))
            #expect(try await job.runOnce() == 1)
            clock.advance(by: .seconds(60))
            #expect(try await job.runOnce() == 1)
            var received = try await receiver.received()
            #expect(received.map { $0["answered"].int } == [503, 503, 200])
            #expect(received.map { $0["attempt"].string } == ["1", "2", "3"])
            #expect(Set(received.map { $0["event_id"].string }).count == 1)

            // A receiver that keeps failing: dead after the last attempt, until its administrator asks again.
            try await receiver.control(["status": 500])
            _ = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            for _ in 0..<3 {
                #expect(try await job.runOnce() == 1)
                clock.advance(by: .seconds(3600))
            }
            #expect(try await job.runOnce() == 0)
            let dead = try await app.request(.get, "/api/v1/webhooks/\(endpoint.id)/deliveries?state=dead", token: admin)
            #expect(dead.json["items"].array.count == 1)
            #expect(dead.json["items"].array.first?["last_status"].int == 500)
            #expect(dead.json["items"].array.first?["attempts"].int == 3)

            try await receiver.control(["status": 200])
            let again = try await app.request(.post, "/api/v1/webhooks/\(endpoint.id)/redeliver", token: admin)
            #expect(again.status == .accepted)
            #expect(again.json["count"].int == 1)
            #expect(try await app.request(.post, "/api/v1/webhooks/\(endpoint.id)/redeliver", token: world.token("platform_admin_b")).status == .notFound)
            #expect(try await job.runOnce() == 1)
            received = try await receiver.received()
            #expect(received.last?["answered"].int == 200)
            let log = try await app.request(.get, "/api/v1/webhooks/\(endpoint.id)/deliveries?state=delivered", token: admin)
            #expect(log.json["items"].array.count == 2)
            // The log keeps a month.
            clock.advance(by: .seconds(31 * 86_400))
            _ = try await app.store.transaction(as: DatabaseIdentity(role: "system"), origin: .commandLine) { try await $0.forgetSpentMailData() }
            #expect(try await app.request(.get, "/api/v1/webhooks/\(endpoint.id)/deliveries", token: admin).json["items"].array.isEmpty)
        }
    }

    @Test func redirectsAreNotFollowedAndAddressesAreCheckedAtEveryDelivery() async throws {
        let configuration = try Self.configuration()
        try await withTestApp(configuration: configuration, world: .seeded) { app in
            let world = try await app.makeWorld()
            let receiver = try WebhookReceiver()
            let endpoint = try await Self.register(app, receiver, token: world.token("platform_admin_a"), types: ["complaint.submit"])
            try await receiver.control(["redirect": "https://169.254.169.254/latest/meta-data/"])
            _ = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            let job = WebhookDeliveryJob(database: app.store, settings: configuration.webhooks, logger: TestDatabase.logger)
            #expect(try await job.runOnce() == 1)
            #expect(try await receiver.received().count == 1)
            let log = try await app.request(.get, "/api/v1/webhooks/\(endpoint.id)/deliveries", token: world.token("platform_admin_a"))
            #expect(log.json["items"].array.first?["last_status"].int == 302)
            #expect(log.json["items"].array.first?["state"].string == "pending")
            #expect(log.json["items"].array.first?["last_error"].string?.contains("redirects are not followed") == true)

            // A replica whose operator does not allow loopback refuses the registered address.
            var strict = configuration.webhooks
            strict.networks = WebhookNetworkPolicy()
            try await receiver.control(["redirect": NSNull()])
            _ = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            let strictJob = WebhookDeliveryJob(database: app.store, settings: strict, logger: TestDatabase.logger)
            #expect(try await strictJob.runOnce() == 1)
            #expect(try await receiver.received().count == 1)
            let refused = try await app.request(.get, "/api/v1/webhooks/\(endpoint.id)/deliveries?limit=1", token: world.token("platform_admin_a"))
            #expect(refused.json["items"].array.first?["last_error"].string?.hasPrefix("refused") == true, "\(refused.text)")
        }
    }

    @Test func aRotatedSecretSignsBesideTheOldOneUntilTheOverlapEnds() async throws {
        let clock = ManualClock("2026-10-12T10:00:00+08:00")
        let configuration = try Self.configuration(clock: clock)
        try await withTestApp(configuration: configuration, world: .seeded) { app in
            let world = try await app.makeWorld()
            let admin = world.token("platform_admin_a")
            let receiver = try WebhookReceiver()
            let endpoint = try await Self.register(app, receiver, token: admin, types: ["complaint.submit"])
            let rotated = try await app.request(.post, "/api/v1/webhooks/\(endpoint.id)/secret", token: admin)
            #expect(rotated.status == .ok)
            let secret = try #require(rotated.json["secret"].string)
            #expect(secret != endpoint.secret)
            #expect(rotated.json["endpoint"]["previous_secret_expires_at"].string != nil)
            let job = WebhookDeliveryJob(database: app.store, settings: configuration.webhooks, logger: TestDatabase.logger)

            // A receiver that knows only the new secret, and one that knows only the old, both accept.
            for known in [secret, endpoint.secret] {
                try await receiver.control(["secrets": [known]])
                _ = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
                #expect(try await job.runOnce() == 1)
                let last = try #require(try await receiver.received().last)
                #expect(last["signatures"].int == 2)
                #expect(last["signature_valid"].bool == true)
            }
            clock.advance(by: .seconds(24 * 3600 + 1))
            try await receiver.control(["secrets": [endpoint.secret]])
            _ = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            #expect(try await job.runOnce() == 1)
            let last = try #require(try await receiver.received().last)
            #expect(last["signatures"].int == 1)
            #expect(last["signature_valid"].bool == false)
        }
    }

    @Test func disablingEndsPendingDeliveriesAndTheLimitHolds() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let admin = world.token("platform_admin_a")
            var ids: [String] = []
            for index in 0..<Transaction.maximumWebhookEndpoints {
                let created = try await app.request(
                    .post, "/api/v1/webhooks", token: admin, json: ["url": "https://93.184.215.14/\(index)", "event_types": ["complaint.submit"]])
                #expect(created.status == .created)
                ids.append(try #require(created.json["endpoint"]["id"].string))
            }
            let tooMany = try await app.request(.post, "/api/v1/webhooks", token: admin, json: ["url": "https://93.184.215.14/x", "event_types": ["*"]])
            #expect(tooMany.status == .conflict)
            _ = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            let disabled = try await app.request(.patch, "/api/v1/webhooks/\(ids[0])", token: admin, json: ["disabled": true])
            #expect(disabled.json["disabled"].bool == true)
            let log = try await app.request(.get, "/api/v1/webhooks/\(ids[0])/deliveries", token: admin)
            #expect(log.json["items"].array.map { $0["state"].string } == ["dead"])
            // A disabled endpoint hears of nothing new; its place is free again.
            _ = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            #expect(try await app.request(.get, "/api/v1/webhooks/\(ids[0])/deliveries", token: admin).json["items"].array.count == 1)
            #expect(try await app.request(.get, "/api/v1/webhooks/\(ids[1])/deliveries", token: admin).json["items"].array.count == 2)
            let replaced = try await app.request(.post, "/api/v1/webhooks", token: admin, json: ["url": "https://93.184.215.14/y", "event_types": ["*"]])
            #expect(replaced.status == .created)
            let reenabled = try await app.request(.patch, "/api/v1/webhooks/\(ids[0])", token: admin, json: ["disabled": false])
            #expect(reenabled.status == .conflict)
        }
    }
}
