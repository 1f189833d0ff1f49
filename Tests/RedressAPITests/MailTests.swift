import Foundation
import Hummingbird
import HummingbirdTesting
import RedressAPI
import RedressCore
import RedressStore
import StoreTestSupport
import Testing
import TestSupport

@Suite("E-mail")
struct MailTests {
    /// Queues the mails of every event so far and sends them, until `expecting` mails about `complaint`
    /// have arrived (10 s at most).
    static func deliver(_ service: MailService, about complaint: String, expecting: Int) async throws -> [TestMailbox.Mail] {
        let reference = String(complaint.prefix(8))
        let start = ContinuousClock.now
        while true {
            while try await service.notifyOnce() > 0 {}
            while try await service.sendOnce() > 0 {}
            let mails = try await TestMailbox.mails(containing: reference)
            if mails.count >= expecting || ContinuousClock.now - start > .seconds(10) { return mails }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    @Test func thePeopleACaseWaitsForAreMailedOverStartTLS() async throws {
        var configuration = testConfiguration()
        configuration.mail = try TestMailbox.mailSettings()
        let settings = configuration.mail
        try await withTestApp(configuration: configuration, world: .seeded) { app in
            let world = try await app.makeWorld()
            let service = MailService(database: app.store, settings: settings, logger: TestDatabase.logger)
            let consumer = world.token("consumer")
            let id = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))

            // A new complaint: platform A's staff and administrator, nobody else.
            var mails = try await Self.deliver(service, about: id, expecting: 2)
            #expect(Set(mails.flatMap(\.to)) == [world.accounts["platform_staff_a"]!.email, world.accounts["platform_admin_a"]!.email])
            #expect(mails.allSatisfy { $0.tls && $0.authenticated })
            #expect(mails.allSatisfy { $0.subject == "【Redress】收到一件新投诉（\(id.prefix(8))）" }, "\(mails.map(\.subject))")
            #expect(mails.allSatisfy { $0.body.contains("https://redress.test/console/cases/\(id)") })
            #expect(mails.allSatisfy { $0.header("List-Unsubscribe")?.hasPrefix("<https://redress.test/api/v1/notifications/unsubscribe?token=") == true })
            // It names no one and quotes nothing of the statement.
            #expect(mails.allSatisfy { !$0.body.contains("卡密") && !$0.body.contains("consumer@") })

            // The consumer reads English from now on; the platform's answer reaches him, not its author.
            let english = try await app.request(.patch, "/api/v1/me/notifications", token: consumer, json: ["language": "en"])
            #expect(english.status == .ok)
            #expect(english.json["categories"]["case_progress"].bool == true)
            try await app.step(id, "respond", as: world.token("platform_staff_a"), ["decision": "reject", "reason": "已发货"])
            mails = try await Self.deliver(service, about: id, expecting: 3)
            let answer = try #require(mails.last)
            #expect(answer.to == [world.accounts["consumer"]!.email])
            #expect(answer.subject == "[Redress] Your complaint has been answered (\(id.prefix(8)))")

            // One click on the link of the mail turns that kind off; a forged token does nothing.
            let link = try #require(answer.header("List-Unsubscribe")?.dropFirst().dropLast())
            let path = String(link.dropFirst("https://redress.test".count))
            #expect(try await app.request(.get, path).status == .ok)
            #expect(try await app.request(.post, path + "x").status == .notFound)
            let done = try await app.request(.post, path)
            #expect(done.status == .ok)
            #expect(done.json["category"].string == "case_progress")
            #expect(try await app.request(.get, "/api/v1/me/notifications", token: consumer).json["categories"]["case_progress"].bool == false)
            // The consumer's rejection reaches the platform; the escalation the mediation body and the
            // platform, not the consumer.
            try await app.step(id, "reject", as: consumer)
            mails = try await Self.deliver(service, about: id, expecting: 5)
            #expect(Set(mails.dropFirst(3).flatMap(\.to)) == [world.accounts["platform_staff_a"]!.email, world.accounts["platform_admin_a"]!.email])
            try await app.step(id, "escalate", as: consumer, ["mediation_body_id": world.bodyA])
            mails = try await Self.deliver(service, about: id, expecting: 9)
            let escalation = mails.dropFirst(5)
            #expect(escalation.count == 4)
            #expect(!escalation.contains { $0.to == [world.accounts["consumer"]!.email] })
            #expect(escalation.contains { $0.to == [world.accounts["mediation_lead_a"]!.email] })
            #expect(escalation.contains { $0.to == [world.accounts["mediator_a"]!.email] })
        }
    }

    @Test func aRefusingServerGivesUpAndTheFolderSinkWritesFiles() async throws {
        var configuration = testConfiguration()
        var refusing = try TestMailbox.mailSettings()
        guard case .smtp(var smtp) = refusing.transport else { return }
        smtp.password = "not the password"
        refusing.transport = .smtp(smtp)
        // A refused password is no verdict on the message: it is tried again, here only once more.
        refusing.retry = RetrySchedule(base: .seconds(1), maximumDelay: .seconds(1), maximumAttempts: 2)
        configuration.mail = refusing
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("redress-mail-\(UUID())").path
        var sinking = refusing
        sinking.transport = .directory(folder)
        let wrongPassword = refusing, toFolder = sinking
        try await withTestApp(configuration: configuration, world: .seeded) { app in
            let world = try await app.makeWorld()
            let id = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            let refused = MailService(database: app.store, settings: wrongPassword, logger: TestDatabase.logger)
            // 535 at the first attempt, and again at the second: then the mail is dead.
            _ = try await Self.deliver(refused, about: id, expecting: 1)
            #expect(try await TestMailbox.mails(containing: String(id.prefix(8))).isEmpty)
            let dead = try await app.asOwner {
                try await $0.scalar("SELECT count(*)::int FROM mail_outbox WHERE state = 'dead' AND attempts = 2 AND last_error LIKE 'SMTP 535%' AND category = 'new_cases'", as: Int.self)
            }
            let errors = try await app.asOwner { try await $0.scalar("SELECT coalesce(string_agg(state || ' ' || attempts || ' ' || coalesce(last_error, ''), '; '), 'none') FROM mail_outbox", as: String.self) }
            #expect(dead == 2, "\(errors ?? "")")

            try await app.step(id, "respond", as: world.token("platform_staff_a"), ["decision": "reject", "reason": "已发货"])
            let sink = MailService(database: app.store, settings: toFolder, logger: TestDatabase.logger)
            let start = ContinuousClock.now
            var files: [String] = []
            while files.isEmpty && ContinuousClock.now - start < .seconds(10) {
                while try await sink.notifyOnce() > 0 {}
                while try await sink.sendOnce() > 0 {}
                files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(files.count == 1)
            let path = (folder as NSString).appendingPathComponent(try #require(files.first))
            let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            #expect(permissions == 0o600)
            #expect(try String(contentsOfFile: path, encoding: .utf8).contains("To: \(world.accounts["consumer"]!.email)"))
            try? FileManager.default.removeItem(atPath: folder)
        }
    }
}
