import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostgresNIO
import RedressAPI
import RedressCore
import RedressStore
import StoreTestSupport
import Testing
import TestSupport

/// A person's data under PIPL: all of it out (Art. 45), and erased (Art. 47) without touching the
/// audit chain's verification or the public figures.
@Suite("A person's data")
struct PersonalDataTests {
    /// Values planted by one person, each unique, so that finding one anywhere means it leaked.
    struct Planted {
        let email: String
        let name: String
        let phone: String
        let title: String
        let statement: String
        let message: String
        let evidence: String

        init(_ tag: String) {
            email = "plant-\(tag)@redress.test"
            name = "种下的名字\(tag)"
            phone = "1391234\(tag.prefix(4))"
            title = "种下的标题\(tag)"
            statement = "种下的陈述：订单付款后卡密从未发放\(tag)"
            message = "种下的留言\(tag)"
            evidence = "种下的证据文件内容\(tag)"
        }

        var all: [String] { [email, name, phone, title, statement, message, evidence] }
    }

    /// Registers the planted person and gives him a case with a message and a piece of evidence; his token and case.
    static func plant(_ planted: Planted, _ app: TestApp, _ world: World) async throws -> (token: String, complaint: String) {
        _ = try await app.createConsumer(["email": planted.email, "password": worldPassword, "display_name": planted.name, "phone": planted.phone])
        let token = try await app.login(planted.email)
        var body = app.complaintBody(world)
        body["title"] = planted.title
        body["description"] = planted.statement
        let complaint = try await app.create("/api/v1/complaints", token: token, body)
        #expect(try await app.request(.post, "/api/v1/complaints/\(complaint)/messages", token: token, json: ["body": planted.message]).status == .created)
        let uploaded = try await app.request(
            .post, "/api/v1/complaints/\(complaint)/evidence?kind=other&filename=note.txt", token: token,
            headers: [.contentType: "text/plain"], rawBody: ByteBuffer(string: planted.evidence))
        #expect(uploaded.status == .created, "\(uploaded.text)")
        return (token, complaint)
    }

    @Test func anExportHoldsAllOfOnesDataAndNoneOfAnothers() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let mine = Planted("0001"), theirs = Planted("0002")
            let (token, complaint) = try await Self.plant(mine, app, world)
            _ = try await Self.plant(theirs, app, world)
            let export = try await app.request(.get, "/api/v1/me/export", token: token)
            #expect(export.status == .ok)
            #expect(export.headers[.contentDisposition]?.hasPrefix("attachment") == true)
            for value in mine.all where value != mine.evidence {
                #expect(export.text.contains(value), "the export lacks \(value)")
            }
            for value in theirs.all { #expect(!export.text.contains(value), "the export holds another's \(value)") }
            #expect(export.json["account"]["email"].string == mine.email)
            #expect(export.json["complaints"].array.map { $0["id"].string } == [complaint])
            #expect(export.json["messages"][0]["body"].string == mine.message)
            #expect(export.json["evidence"][0]["sha256"].string?.count == 64)
            #expect(export.json["sessions"].array.count == 1)
            #expect(export.json["account_events"].array.map { $0["action"].string }.contains("session.create"))
            #expect(export.json["truncated"].bool == false)
            // A platform's staff exports their own account, never the consumers of their cases.
            let staff = try await app.request(.get, "/api/v1/me/export", token: world.token("platform_staff_a"))
            #expect(staff.status == .ok)
            for value in mine.all { #expect(!staff.text.contains(value)) }
            #expect(try await app.request(.get, "/api/v1/me/export").status == .unauthorized)
        }
    }

    /// After erasure a dump of the whole database holds none of the planted values, the audit chains
    /// verify, the public figures and the platform's statistics are what they were, and the dossier says so.
    @Test func erasureLeavesNoPlantedValueAndChangesNoFigure() async throws {
        var configuration = testConfiguration()
        configuration.reportCacheSeconds = 0
        try await withTestApp(configuration: configuration, world: .seeded) { app in
            let world = try await app.makeWorld()
            let planted = Planted("0003")
            let (token, complaint) = try await Self.plant(planted, app, world)
            try await app.step(complaint, "respond", as: world.token("platform_staff_a"), ["decision": "propose", "proposal": ["refund": 20_000]])
            let open = try await app.request(.delete, "/api/v1/me", token: token, json: ["password": worldPassword])
            #expect(open.status == .conflict, "\(open.text)")
            try await app.step(complaint, "accept", as: token)
            try await app.step(complaint, "confirm_fulfilment", as: token)
            try await app.step(complaint, "rate", as: token, ["rating": 2, "comment": planted.message + "评价"])

            let reportBefore = try Self.figures(try await app.request(.get, "/public/v1/reports/platforms?period=2026").text)
            let statisticsBefore = try await app.request(.get, "/api/v1/stats/platforms/\(world.platformA)", token: world.token("platform_staff_a")).text
            #expect(try await app.request(.delete, "/api/v1/me", token: token, json: ["password": "not my password"]).status == .unprocessableContent)
            #expect(try await app.request(.delete, "/api/v1/me", token: world.token("platform_staff_a"), json: ["password": worldPassword]).status
                == .forbidden)
            let erased = try await app.request(.delete, "/api/v1/me", token: token, json: ["password": worldPassword])
            #expect(erased.status == .ok, "\(erased.text)")
            #expect(erased.json["complaints"].int == 1 && erased.json["messages"].int == 1 && erased.json["evidence"].int == 1)

            #expect(try await app.request(.get, "/api/v1/me", token: token).status == .unauthorized)
            #expect(try await app.request(.post, "/api/v1/auth/login", json: ["email": planted.email, "password": worldPassword]).status == .unauthorized)
            let dump = try Self.dump(app)
            #expect(dump.contains("（已注销用户）"), "the dump is not the database")
            for value in planted.all {
                #expect(!dump.contains(value), "the dump still holds \(value)")
                #expect(!dump.contains(Data(value.utf8).map { String(format: "%02x", $0) }.joined()), "the dump still holds \(value) as bytes")
            }
            let verification = try await app.store.transaction(as: .commandLine, origin: .commandLine) { try await $0.verifyAuditChains() }
            #expect(verification.valid)
            #expect(try Self.figures(try await app.request(.get, "/public/v1/reports/platforms?period=2026").text) == reportBefore)
            #expect(try await app.request(.get, "/api/v1/stats/platforms/\(world.platformA)", token: world.token("platform_staff_a")).text
                == statisticsBefore)
            let dossier = try await app.request(.get, "/api/v1/complaints/\(complaint)/dossier", token: world.token("platform_staff_a"))
            #expect(dossier.json["complaint"]["erased_at"].string != nil)
            #expect(dossier.json["complaint"]["consumer"]["display_name"].string == "（已注销用户）")
            #expect(dossier.json["complaint"]["order"]["order_no"].string == "KM20260924001")  // kept for its period
            #expect(dossier.json["evidence"].array.isEmpty)
            let page = try await app.request(.get, "/api/v1/complaints/\(complaint)/dossier?format=html", token: world.token("platform_staff_a"))
            #expect(page.text.contains("已依法删除"))
        }
    }

    /// Three years and a day after a case closed, its personal data and order facts go; a case closed
    /// since stays; the figures stay.
    @Test func theRetentionJobAnonymisesCasesClosedLongAgo() async throws {
        let clock = ManualClock("2022-03-01T10:00:00+08:00")
        var configuration = testConfiguration(clock: clock)
        configuration.reportCacheSeconds = 0
        try await withTestApp(configuration: configuration, world: .seeded) { app in
            var world = try await app.makeWorld()
            try await world.logInAgain(app)
            let consumer = world.token("consumer")
            let old = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))
            #expect(try await app.request(.post, "/api/v1/complaints/\(old)/messages", token: world.token("platform_staff_a"), json: ["body": "平台的旧留言"]).status
                == .created)
            try await app.step(old, "respond", as: world.token("platform_staff_a"), ["decision": "reject", "reason": "平台的旧理由，引述了消费者"])
            try await app.step(old, "withdraw", as: consumer)
            clock.set("2025-03-01T09:00:00+08:00")
            try await world.logInAgain(app)
            let recent = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            try await app.step(recent, "withdraw", as: world.token("consumer"))
            clock.set("2025-03-03T09:00:00+08:00")
            try await world.logInAgain(app)
            let reportBefore = try await app.request(.get, "/public/v1/reports/platforms?period=2022").text

            let job = RetentionJob(database: app.store, throttle: LoginThrottle(), logger: TestDatabase.logger)
            #expect(try await job.anonymiseDueCases() == 1)
            #expect(try await job.anonymiseDueCases() == 0)
            let anonymised = try await app.request(.get, "/api/v1/complaints/\(old)", token: world.token("platform_staff_a"))
            #expect(anonymised.json["anonymised_at"].string != nil)
            #expect(anonymised.json["order"]["order_no"].string == "（已匿名）")
            #expect(anonymised.json["description"].string == "（已匿名）")
            #expect(anonymised.json["order"]["amount_paid"].int == 50_000)
            #expect(anonymised.json["answer"]["reason"].string == "（已匿名）")
            #expect(anonymised.json["answer"]["decision"].string == "reject")
            let messages = try await app.request(.get, "/api/v1/complaints/\(old)/messages", token: world.token("platform_staff_a"))
            #expect(!messages.text.contains("平台的旧留言"))
            let kept = try await app.request(.get, "/api/v1/complaints/\(recent)", token: world.token("platform_staff_a"))
            #expect(kept.json["anonymised_at"].isNull)
            #expect(kept.json["order"]["order_no"].string == "KM20260924001")
            #expect(try await app.request(.get, "/public/v1/reports/platforms?period=2022").text == reportBefore)
            // Sessions that ended a month ago keep no client details.
            let signedIn = try await app.request(
                .post, "/api/v1/auth/login", json: ["email": "consumer@redress.test", "password": worldPassword], headers: [.userAgent: "Old-Phone/1.0"])
            _ = try await app.request(.post, "/api/v1/auth/logout", token: signedIn.json["token"].string)
            clock.set("2025-04-05T09:00:00+08:00")
            let before = try await app.asOwner {
                try await $0.scalar("SELECT count(*)::int FROM sessions WHERE client_description IS NOT NULL", as: Int.self)
            } ?? 0
            #expect(try await job.forgetSessionClients() > 0)
            let after = try await app.asOwner {
                try await $0.scalar("SELECT count(*)::int FROM sessions WHERE client_description IS NOT NULL", as: Int.self)
            } ?? -1
            #expect(after == 0 && before > 0, "\(before) → \(after)")
            let verification = try await app.store.transaction(as: .commandLine, origin: .commandLine) { try await $0.verifyAuditChains() }
            #expect(verification.valid)
        }
    }

    /// A public report without the moment it was made.
    static func figures(_ json: String) throws -> String {
        var object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object.removeValue(forKey: "generated_at") != nil)
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    /// The whole database as `pg_dump` writes it.
    static func dump(_ app: TestApp) throws -> String {
        let bin = try FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql").sorted { $0.compare($1, options: .numeric) == .orderedAscending }
        let pgDump = "/usr/lib/postgresql/\(try #require(bin.last))/bin/pg_dump"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: pgDump)
        process.arguments = ["--dbname=\(app.database.ownerURL.urlString)", "--no-owner"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return String(decoding: data, as: UTF8.self)
    }
}
