import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostgresNIO
import RedressAPI
import RedressStore
import StoreTestSupport
import Testing
import TestSupport

/// Every party as an attacker: a consumer who registers at will, a platform that wants better
/// figures, a competitor that wants worse ones, a stranger. Each test is an attack that once
/// succeeded (Docs/reliability.md, "Hostile parties"): none may kill the process, move a figure it
/// should not, keep a personal value where it should not be, or lock out someone else.
@Suite("Hostile parties")
struct HostilePartiesTests {
    func send(_ app: TestApp, _ method: HTTPRequest.Method, _ path: String, token: String?, raw: String, headers: HTTPFields = [:])
        async throws -> TestResponse
    {
        var headers = headers
        headers[.contentType] = "application/json"
        return try await app.request(method, path, token: token, headers: headers, rawBody: ByteBuffer(string: raw))
    }

    /// `json` with the value at `path` replaced by `literal`, written as raw JSON text (so that
    /// numbers no Swift type holds can be sent).
    func body(_ json: [String: Any], setting path: [String], to literal: String) throws -> String {
        func replacing(_ value: Any, _ path: ArraySlice<String>) -> Any {
            guard let key = path.first else { return "__HOSTILE__" }
            if var array = value as? [Any], let index = Int(key) {
                array[index] = replacing(array[index], path.dropFirst())
                return array
            }
            var object = value as? [String: Any] ?? [:]
            object[key] = replacing(object[key] ?? [String: Any](), path.dropFirst())
            return object
        }
        let data = try JSONSerialization.data(withJSONObject: replacing(json, path[...]), options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\"__HOSTILE__\"", with: literal)
    }

    static let hostileNumbers = ["0", "-1", "9007199254740993", "9223372036854775807", "9223372036854775808", "1e30", "\"12\""]

    /// Every integer a client can send, in every operation of the API document, with 0, -1, 2⁵³+1,
    /// 2⁶³−1, 2⁶³, 10³⁰ and a string: a 4xx each time, and the process still answers.
    @Test func everyNumericFieldRefusesHostileValuesAndTheProcessLives() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let consumer = world.token("consumer"), admin = world.token("admin"), platformAdmin = world.token("platform_admin_a")
            let complaint = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))
            let actions = "/api/v1/complaints/\(complaint)/actions"
            let platform = app.platformBody("平台X", seed: 9)
            let bodies: [(HTTPRequest.Method, String, String?, [String: Any], [String])] = [
                (.post, "/api/v1/platforms", admin, platform, ["response_days"]),
                (.post, "/api/v1/platforms", admin, platform, ["merchant_response_days"]),
                (.patch, "/api/v1/platforms/\(world.platformA)", platformAdmin, [:], ["response_days"]),
                (.patch, "/api/v1/platforms/\(world.platformA)", platformAdmin, [:], ["merchant_response_days"]),
                (.post, "/api/v1/complaints", consumer, app.complaintBody(world), ["order", "amount_paid"]),
                (.post, "/api/v1/complaints", consumer, app.complaintBody(world), ["demands", "0", "amount"]),
                (.post, "/api/v1/complaints", consumer, app.complaintBody(world), ["ultimatum_days"]),
                (.post, "\(actions)/respond", world.token("platform_staff_a"), ["decision": "propose", "proposal": [:]], ["proposal", "refund"]),
                (.post, "\(actions)/respond", world.token("platform_staff_a"), ["decision": "propose", "proposal": [:]], ["proposal", "compensation"]),
                (.post, "\(actions)/propose", world.token("mediator_a"), ["terms": [:]], ["terms", "refund"]),
                (.post, "\(actions)/propose", world.token("mediator_a"), ["terms": [:]], ["terms", "compensation"]),
                (.post, "\(actions)/rate", consumer, [:], ["rating"]),
            ]
            for (method, path, token, json, field) in bodies {
                for number in Self.hostileNumbers {
                    let response = try await send(app, method, path, token: token, raw: try body(json, setting: field, to: number))
                    #expect((400..<500).contains(Int(response.status.code)), "\(method) \(path) \(field) = \(number): \(response.status) \(response.text)")
                    #expect(response.status != .created && response.status != .ok)
                }
            }
            let lists = [
                "/api/v1/platforms", "/api/v1/platforms/\(world.platformA)/merchants", "/api/v1/mediation-bodies", "/api/v1/staff",
                "/api/v1/complaints", "/api/v1/complaints/\(complaint)/messages", "/api/v1/complaints/\(complaint)/evidence",
                "/api/v1/triage", "/api/v1/stats/platforms", "/api/v1/complaints/\(complaint)/timeline",
            ]
            for path in lists {
                for number in Self.hostileNumbers {
                    let value = number.replacingOccurrences(of: "\"", with: "")
                    let token = path.contains("triage") ? world.token("mediator_a") : path.contains("staff") ? admin : path.contains("stats") ? world.token("auditor") : consumer
                    let response = try await app.request(.get, "\(path)?limit=\(value)", token: token)
                    #expect(Int(response.status.code) == 422 || (value == "12" && Int(response.status.code) < 500), "\(path)?limit=\(value): \(response.status) \(response.text)")
                }
            }
            #expect(try await app.request(.get, "/health").status == .ok)
        }
    }

    /// The filing that once killed the process: two compensation demands adding to more than 2⁶³.
    @Test func demandsThatWouldOverflowAreRefusedWithTheirReason() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            var json = app.complaintBody(world)
            json["demands"] = [["kind": "compensation", "amount": Int.max], ["kind": "compensation", "amount": 1]]
            let overflow = try await app.request(.post, "/api/v1/complaints", token: world.token("consumer"), json: json)
            #expect(overflow.status == .unprocessableContent)
            #expect(try await app.request(.get, "/health").status == .ok)

            json["demands"] = [["kind": "refund", "amount": 30_000], ["kind": "refund", "amount": 30_000]]
            let refunds = try await app.request(.post, "/api/v1/complaints", token: world.token("consumer"), json: json)
            #expect(Self.reasons(refunds) == ["demands[1].amount exceeds_amount_paid"], "\(refunds.text)")
            // Three times the price (¥1,500 of a ¥500 order) is the most compensation there is.
            json["demands"] = [["kind": "compensation", "amount": 150_000]]
            #expect(try await app.request(.post, "/api/v1/complaints", token: world.token("consumer"), json: json).status == .created)
            json["demands"] = [["kind": "compensation", "amount": 150_001]]
            let tooMuch = try await app.request(.post, "/api/v1/complaints", token: world.token("consumer"), json: json)
            #expect(Self.reasons(tooMuch) == ["demands[0].amount exceeds_compensation_limit"])

            var yen = app.complaintBody(world)
            yen["order"] = ["order_no": "JP1", "product_name": "ゲーム", "amount_paid": 99_999_999, "currency": "JPY"]
            let foreign = try await app.request(.post, "/api/v1/complaints", token: world.token("consumer"), json: yen)
            #expect(Self.reasons(foreign) == ["order.currency unsupported_currency"], "\(foreign.text)")
        }
    }

    static func reasons(_ response: TestResponse) -> [String] {
        response.json["invalid_fields"].array.map { "\($0["field"].string ?? "") \($0["reason"].string ?? "")" }
    }

    /// A platform and a colluding consumer agree a refund of 2⁶³−1 fen: refused, and a figure stored
    /// before amounts were bounded does not stop the statistics or the report.
    @Test func aHugeAgreedRefundNeitherPassesNorBreaksTheFigures() async throws {
        let clock = ManualClock("2026-09-24T10:00:00+08:00")
        try await withTestApp(configuration: PublicReportTests.configuration(clock, minimum: 1), world: .seeded) { app in
            let world = try await app.makeWorld()
            let id = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            let respond = "/api/v1/complaints/\(id)/actions/respond"
            let huge = try await app.request(
                .post, respond, token: world.token("platform_staff_a"), json: ["decision": "propose", "proposal": ["refund": Int.max]])
            #expect(Self.reasons(huge).contains("proposal.refund out_of_range"), "\(huge.text)")
            let aboveThePrice = try await app.request(
                .post, respond, token: world.token("platform_staff_a"), json: ["decision": "propose", "proposal": ["refund": 50_001]])
            #expect(Self.reasons(aboveThePrice) == ["proposal.refund exceeds_amount_paid"])

            // Figures from before the bounds: two categories' refunds near 2⁶³ each, whose sum is beyond bigint.
            var other = app.complaintBody(world)
            other["category"] = "service_breach"
            _ = try await app.create("/api/v1/complaints", token: world.token("consumer"), other)
            try await app.asOwner { connection in
                for rollup in ["platform_daily_statistics", "platform_monthly_statistics"] {
                    try await connection.query(
                        "UPDATE \(unescaped: rollup) SET amount_refunded = 9223372036854775000, amount_claimed = 9223372036854775000",
                        logger: TestDatabase.logger)
                }
            }
            clock.set("2026-11-24T10:00:00+08:00")
            var again = world
            try await again.logInAgain(app)
            let stats = try await app.request(
                .get, "/api/v1/stats/platforms/\(world.platformA)?from=2026-09-01&to=2026-10-31", token: again.token("platform_admin_a"))
            #expect(stats.status == .ok, "\(stats.text)")
            let report = try await app.request(.get, "/public/v1/reports/platforms?period=2026-Q3")
            #expect(report.status == .ok, "\(report.text)")
            #expect(try await app.request(.get, "/reports?period=2026-Q3").status == .ok)
        }
    }

    /// Amounts stored before they were bounded stay as they were and do not stop the case from
    /// moving: the deadline job marks it overdue like any other, and the next case after it too. A
    /// new out-of-bounds amount is still refused by the database itself.
    @Test func aCaseStoredBeforeTheBoundsStillMeetsItsDeadline() async throws {
        let clock = ManualClock("2026-09-24T10:00:00+08:00")
        try await withTestApp(configuration: ComplaintJourneyTests.configuration(clock), world: .seeded) { app in
            let world = try await app.makeWorld()
            let legacy = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            clock.set("2026-09-24T10:01:00+08:00")
            let later = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            try await app.asOwner { connection in
                try await connection.query("ALTER TABLE complaints DISABLE TRIGGER complaints_money_bounded", logger: TestDatabase.logger)
                try await connection.query(
                    "UPDATE complaints SET amount_paid = 9000000000000000000, currency = 'USD', refund_claimed = 9000000000000000001, version = version + 1 WHERE id = \(UUID(uuidString: legacy)!)",
                    logger: TestDatabase.logger)
                try await connection.query("ALTER TABLE complaints ENABLE TRIGGER complaints_money_bounded", logger: TestDatabase.logger)
            }
            clock.set("2026-11-24T10:00:00+08:00")
            let outcome = try await ComplaintJourneyTests.job(app, clock).runOnce()
            #expect(outcome.markedOverdue == 2)
            let (overdue, refused): ([Bool], String?) = try await app.asOwner { connection in
                var flags: [Bool] = []
                for id in [legacy, later] {
                    flags.append(try await connection.scalar("SELECT overdue FROM complaints WHERE id = \(UUID(uuidString: id)!)", as: Bool.self) ?? false)
                }
                do {
                    try await connection.query(
                        "UPDATE complaints SET amount_paid = 1000000001 WHERE id = \(UUID(uuidString: later)!)", logger: TestDatabase.logger)
                    return (flags, nil)
                } catch let error as PSQLError {
                    return (flags, error.serverInfo?[.sqlState])
                }
            }
            #expect(overdue == [true, true])
            #expect(refused == "23514")
        }
    }

    /// More expired ultimatums than one batch that the system may not carry out (their platform names
    /// no mediation body) do not stop the next consumer's: the job passes them.
    @Test func ultimatumsThatCannotBeCarriedOutDoNotStopOthers() async throws {
        let clock = ManualClock("2026-09-24T10:00:00+08:00")
        try await withTestApp(configuration: ComplaintJourneyTests.configuration(clock), world: .seeded) { app in
            let world = try await app.makeWorld()
            let admin = world.token("admin")
            _ = try await app.request(.patch, "/api/v1/platforms/\(world.platformA)", token: admin, json: ["default_mediation_body_id": world.bodyA])
            var stuck = app.complaintBody(world)
            stuck["platform_id"] = world.platformB
            stuck["ultimatum_days"] = 1
            for _ in 0...DeadlineJob.batchSize { _ = try await app.create("/api/v1/complaints", token: world.token("consumer"), stuck) }
            clock.set("2026-09-24T10:05:00+08:00")
            var behind = app.complaintBody(world)
            behind["ultimatum_days"] = 1
            let id = try await app.create("/api/v1/complaints", token: world.token("consumer"), behind)
            clock.set("2026-11-24T10:00:00+08:00")
            let outcome = try await ComplaintJourneyTests.job(app, clock).runOnce()
            #expect(outcome.escalated == 1)
            let state = try await app.asOwner { try await $0.scalar("SELECT state FROM complaints WHERE id = \(UUID(uuidString: id)!)", as: String.self) }
            #expect(state == "escalated")
        }
    }

    /// Guessers on many addresses use up the account-wide limit: an address new to the account then
    /// waits its turn, but the owner signs in at once from an address he signed in from before.
    @Test func aGuesserWithManyAddressesDoesNotKeepTheOwnerOut() async throws {
        var configuration = testConfiguration()
        configuration.trustedProxies = try #require(TrustedProxies("127.0.0.1"))
        try await withTestApp(.live, configuration: configuration) { app in
            _ = try await app.createConsumer(["email": "owner@redress.test", "password": worldPassword, "display_name": "O"])
            let client = try PatientLogins(app)
            defer { client.close() }
            func login(_ password: String, from address: String) async throws -> HTTPResponse.Status {
                try await client.login("owner@redress.test", password, from: address)
            }
            #expect(try await login(worldPassword, from: "198.51.100.7") == .ok)
            var statuses: [HTTPResponse.Status] = []
            for guesser in 1...30 { statuses.append(try await login("wrong-guess", from: "203.0.113.\(guesser)")) }
            let limit = LoginThrottle().perAccount
            #expect(statuses.filter { $0 == .unauthorized }.count == limit, "\(statuses)")
            #expect(statuses.filter { $0 == .tooManyRequests }.count == 30 - limit)
            #expect(try await login(worldPassword, from: "192.0.2.1") == .tooManyRequests)
            #expect(try await login(worldPassword, from: "198.51.100.7") == .ok)
        }
    }

    /// Forty guesses at once from one address: a handful are checked, the rest refused before any
    /// password is hashed; the owner still signs in from another address, and other people behind
    /// the attacker's address are slowed at most, never locked out.
    @Test func parallelGuessesAreCappedAndTheOwnerStillSignsIn() async throws {
        var configuration = testConfiguration()
        configuration.trustedProxies = try #require(TrustedProxies("127.0.0.1"))
        try await withTestApp(.live, configuration: configuration) { app in
            for name in ["owner", "neighbour"] {
                _ = try await app.createConsumer(["email": "\(name)@redress.test", "password": worldPassword, "display_name": name])
            }
            let client = try PatientLogins(app)
            defer { client.close() }
            func login(_ email: String, _ password: String, from address: String) async throws -> HTTPResponse.Status {
                try await client.login(email, password, from: address)
            }
            // Forty connections, each with one guess, all sent before any answer is read.
            let port = try #require(app.client.port)
            let guess = #"{"email":"owner@redress.test","password":"wrong-guess-1"}"#
            let request = [
                "POST /api/v1/auth/login HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json", "X-Forwarded-For: 203.0.113.66",
                "Content-Length: \(guess.utf8.count)", "Connection: close", "", guess,
            ].joined(separator: "\r\n")
            let answers = await RawHTTP.exchangeAll(port: port, requests: Array(repeating: request, count: 40), timeoutSeconds: 60)
            let statuses = answers.map { String($0.prefix(12).suffix(3)) }
            let checked = statuses.filter { $0 == "401" }.count
            let limit = LoginThrottle().perAccountAndAddress
            #expect((1...limit).contains(checked), "\(checked) of 40 guesses were checked: \(statuses)")
            #expect(statuses.filter { $0 == "429" }.count == 40 - checked)
            // One by one, the guesser gets the rest of its five, then nothing.
            var more = 0
            while more < 10, try await login("owner@redress.test", "wrong-guess-1", from: "203.0.113.66") == .unauthorized { more += 1 }
            #expect(checked + more == limit)
            // The right password from the attacker's address is refused, from anywhere else accepted.
            #expect(try await login("owner@redress.test", worldPassword, from: "203.0.113.66") == .tooManyRequests)
            #expect(try await login("owner@redress.test", worldPassword, from: "198.51.100.7") == .ok)
            // A neighbour behind the same address is not locked out by the attacker's failures.
            #expect(try await login("neighbour@redress.test", worldPassword, from: "203.0.113.66") == .ok)
            // An IPv6 subscriber is one address however many of its /64 it uses.
            for suffix in 1...5 {
                #expect(try await login("owner@redress.test", "wrong-guess-2", from: "2001:db8:1:2::\(suffix)") == .unauthorized)
            }
            #expect(try await login("owner@redress.test", worldPassword, from: "2001:db8:1:2::99") == .tooManyRequests)
            #expect(try await login("owner@redress.test", worldPassword, from: "2001:db8:1:3::1") == .ok)
            // The lockout is in the owner's audit chain, without the address.
            let audited: [String] = try await app.asOwner { connection in
                var contents: [String] = []
                let rows = try await connection.query(
                    "SELECT content FROM audit_events WHERE action = 'auth.login_locked'", logger: TestDatabase.logger)
                for try await content in rows.decode(String.self) { contents.append(content) }
                return contents
            }
            #expect(audited.count == 2)
            #expect(!audited.contains { $0.contains("203.0.113") || $0.contains("2001:db8") })
        }
    }

    /// Twenty failures from one address on twenty accounts do not lock a twenty-first person there.
    @Test func manyPeopleBehindOneAddressAreNotLockedOut() async throws {
        let clock = ManualClock("2026-09-24T10:00:00+08:00")
        try await withTestApp(configuration: ComplaintJourneyTests.configuration(clock)) { app in
            _ = try await app.createConsumer(["email": "mobile@redress.test", "password": worldPassword, "display_name": "M"])
            let limit = LoginThrottle().perAddress
            for index in 0..<(limit + 5) {
                _ = try await app.request(.post, "/api/v1/auth/login", json: ["email": "user\(index)@redress.test", "password": "wrong-guess-3"])
            }
            // Past the address's limit its people are slowed to an attempt every few seconds, not locked.
            let login: [String: Any] = ["email": "mobile@redress.test", "password": worldPassword]
            var response = try await app.request(.post, "/api/v1/auth/login", json: login)
            if response.status == .tooManyRequests {
                let wait = try #require(response.headers[.retryAfter].flatMap { Int($0) })
                #expect(wait <= Int(LoginThrottle().addressSpacing.components.seconds))
                clock.advance(by: .seconds(wait))
                response = try await app.request(.post, "/api/v1/auth/login", json: login)
            }
            #expect(response.status == .ok)
        }
    }

    @Test func registrationFilingAndMessagesAreLimitedPerCaller() async throws {
        var configuration = testConfiguration()
        configuration.loginThrottle.registrationsPerAddress = 3
        configuration.filingsPerDay = 2
        configuration.messagesPerCasePerHour = 2
        try await withTestApp(configuration: configuration, world: .seeded) { app in
            // The seeded world registered its consumer months before this test's clock, outside the window.
            let world = try await app.makeWorld()
            for index in 0..<3 {
                _ = try await app.createConsumer(["email": "r\(index)@redress.test", "password": worldPassword, "display_name": "R"])
            }
            let fourth = try await app.request(
                .post, "/api/v1/auth/register", json: ["email": "r9@redress.test", "password": worldPassword, "display_name": "R"])
            #expect(fourth.status == .tooManyRequests)
            #expect(fourth.headers[.retryAfter].flatMap { Int($0) }.map { (1...3600).contains($0) } == true)

            let consumer = world.token("consumer")
            let id = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))
            _ = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))
            let third = try await app.request(.post, "/api/v1/complaints", token: consumer, json: app.complaintBody(world))
            #expect(third.status == .tooManyRequests)
            #expect(third.headers[.retryAfter].flatMap { Int($0) }.map { (1...86_400).contains($0) } == true)

            let thread = "/api/v1/complaints/\(id)/messages"
            for _ in 0..<2 { _ = try await app.create(thread, token: consumer, ["body": "请尽快处理"]) }
            #expect(try await app.request(.post, thread, token: consumer, json: ["body": "还在等"]).status == .tooManyRequests)
            // The platform's answer is not held up by the consumer's messages.
            #expect(try await app.request(.post, thread, token: world.token("platform_staff_a"), json: ["body": "正在核实"]).status == .created)
        }
    }

    /// Thirty filings at once from one consumer with five left for the day: five are filed, however
    /// they interleave, and the flood holds no more than a few connections.
    @Test func aFloodOfFilingsFilesNoMoreThanTheLimit() async throws {
        var configuration = testConfiguration()
        configuration.filingsPerDay = 5
        configuration.writesInFlightPerAccount = 8
        try await withTestApp(configuration: configuration, world: .seeded) { app in
            let world = try await app.makeWorld()
            let consumer = world.token("consumer")
            let body = String(decoding: try JSONSerialization.data(withJSONObject: app.complaintBody(world)), as: UTF8.self)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<30 { group.addTask { try await send(app, .post, "/api/v1/complaints", token: consumer, raw: body).status } }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 5, "\(statuses)")
            #expect(statuses.allSatisfy { $0 == .created || $0 == .tooManyRequests })
            let stored: Int = try await app.asOwner { connection in
                for try await count in try await connection.query("SELECT count(*)::int FROM complaints", logger: TestDatabase.logger).decode(Int.self) {
                    return count
                }
                return -1
            }
            #expect(stored == 5)
        }
    }

    /// A cursor is the client's to send back, and to tamper with: a time PostgreSQL cannot hold is 422.
    @Test func aTamperedCursorIsRefused() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            for raw in ["9000000000000000000:\(UUID().uuidString)", "-1:\(UUID().uuidString)", "99999999999999999999:\(UUID().uuidString)"] {
                let cursor = Data(raw.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
                let response = try await app.request(.get, "/api/v1/complaints?cursor=\(cursor)", token: world.token("consumer"))
                #expect(response.status == .unprocessableContent, "\(raw): \(response.text)")
            }
        }
    }

    /// A case's timeline comes in pages, however long the case's history grows.
    @Test func aTimelineIsPaged() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let consumer = world.token("consumer")
            let id = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))
            for index in 0..<4 { _ = try await app.create("/api/v1/complaints/\(id)/messages", token: consumer, ["body": "第\(index)次催促"]) }
            var cursor: String? = nil
            var actions: [String] = []
            var pages = 0
            repeat {
                let page = try await app.request(
                    .get, "/api/v1/complaints/\(id)/timeline?limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""), token: consumer)
                #expect(page.status == .ok)
                let events = page.json["events"].array
                #expect(events.count <= 2)
                actions += events.compactMap { $0["action"].string }
                cursor = page.json["next_cursor"].string
                pages += 1
            } while cursor != nil && pages < 10
            #expect(actions == ["complaint.submit"] + Array(repeating: "message.post", count: 4), "\(actions)")
            #expect(pages == 3)
            let tampered = try await app.request(.get, "/api/v1/complaints/\(id)/timeline?cursor=c2VxOi0x", token: consumer)  // "seq:-1"
            #expect(tampered.status == .unprocessableContent)
        }
    }

    /// One complaint in a month, a day-sized period, a difference of two periods: no figure of fewer
    /// than the minimum complaints is published, the overall trend included.
    @Test func noPeriodPublishesTheFiguresOfFewerThanTheMinimum() async throws {
        let clock = ManualClock("2026-09-10T10:00:00+08:00")
        try await withTestApp(configuration: PublicReportTests.configuration(clock, minimum: 3), world: .seeded) { app in
            let world = try await app.makeWorld()
            let consumer = world.token("consumer")
            for _ in 0..<3 { _ = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world)) }
            clock.set("2026-10-10T10:00:00+08:00")
            var world2 = world
            try await world2.logInAgain(app)
            var single = app.complaintBody(world)
            single["demands"] = [["kind": "refund", "amount": 12_345]]
            _ = try await app.create("/api/v1/complaints", token: world2.token("consumer"), single)
            clock.set("2026-11-10T10:00:00+08:00")  // September and October are over

            struct Figures: Decodable {
                let complaints: Int
                let withheldComplaints: Int
                let amountClaimed: Int?
                let withheld: [String: AnyDecodable]?
            }
            struct Month: Decodable {
                let month: String
                let inProgress: Bool
                let figures: Figures
            }
            struct Platform: Decodable {
                let figures: Figures
                let trend: [Month]
            }
            struct Report: Decodable {
                let period: String
                let from: String
                let to: String
                let platforms: [Platform]
                let trend: [Month]
            }
            func report(_ query: String) async throws -> Report {
                let response = try await app.request(.get, "/public/v1/reports/platforms?\(query)")
                #expect(response.status == .ok)
                let decoder = JSONDecoder()
                decoder.keyDecodingStrategy = .convertFromSnakeCase
                return try decoder.decode(Report.self, from: Data(response.text.utf8))
            }
            // A single day is widened to its month.
            let day = try await report("from=2026-10-10&to=2026-10-10")
            #expect((day.period, day.from, day.to) == ("2026-10", "2026-10-01", "2026-10-31"))
            #expect(day.trend.first?.figures.amountClaimed == nil)
            #expect(day.platforms.allSatisfy { $0.figures.amountClaimed == nil })
            // September alone and its quarter publish the same figures; October's one complaint is
            // counted in its quarter, never summed into a figure.
            let september = try await report("period=2026-09")
            let third = try await report("period=2026-Q3")
            let fourth = try await report("period=2026-Q4")
            #expect(september.platforms[0].figures.amountClaimed == 150_000 && third.platforms[0].figures.amountClaimed == 150_000)
            #expect(third.trend.map { $0.figures.amountClaimed } == [0, 0, 150_000])
            let a = fourth.platforms.first { $0.figures.complaints == 1 }?.figures
            #expect((a?.complaints, a?.withheldComplaints, a?.amountClaimed) == (1, 1, nil))
            #expect(fourth.trend.allSatisfy { $0.figures.amountClaimed == nil })
            // No other window is published: the one that would have differed by a month is refused.
            for query in ["from=2026-09-01&to=2026-10-31", "from=2026-08-15&to=2026-09-14", "period=2026-09-01", "period=2026-Q0",
                          "period=2026-09&from=2026-09-01"] {
                let refused = try await app.request(.get, "/public/v1/reports/platforms?\(query)")
                #expect(refused.status == .unprocessableContent, "\(query)")
                #expect(Self.reasons(refused).first?.hasPrefix("period ") == true, "\(query): \(refused.text)")
            }
            // The month in progress shows its count only, and says so.
            let now = try await report("period=2026-11")
            #expect(now.trend.first?.inProgress == true)
            #expect(now.trend.first?.figures.withheld != nil)
        }
    }

    /// No client address in the chain or in anything exported from it.
    @Test func auditEventsHoldNoClientAddress() async throws {
        var configuration = testConfiguration()
        configuration.trustedProxies = try #require(TrustedProxies("127.0.0.1"))
        try await withTestApp(.live, configuration: configuration, world: .seeded) { app in
            let world = try await app.makeWorld()
            let from: HTTPFields = [.init("X-Forwarded-For")!: "198.51.100.23"]
            let id = try await app.request(.post, "/api/v1/complaints", token: world.token("consumer"), json: app.complaintBody(world), headers: from)
                .json["id"].string ?? ""
            _ = try await app.request(
                .post, "/api/v1/complaints/\(id)/actions/respond", token: world.token("platform_staff_a"),
                json: ["decision": "reject", "reason": "已发货"], headers: from)
            let (contents, digests): ([String], [String?]) = try await app.asOwner { connection in
                var contents: [String] = [], digests: [String?] = []
                for try await (content, digest) in try await connection.query("SELECT content, client_digest FROM audit_events", logger: TestDatabase.logger)
                    .decode((String, String?).self)
                {
                    contents.append(content)
                    digests.append(digest)
                }
                return (contents, digests)
            }
            #expect(!contents.contains { $0.contains("198.51.100.23") || $0.contains("127.0.0.1") || $0.contains("client_address") })
            #expect(digests.contains { $0?.hasPrefix("hmac-sha256:") == true })
            let dossier = try await app.request(.get, "/api/v1/complaints/\(id)/dossier", token: world.token("platform_staff_a"))
            #expect(dossier.status == .ok)
            #expect(!dossier.text.contains("198.51.100.23") && !dossier.text.contains("client_address") && !dossier.text.contains("client_digest"))
        }
    }

    /// A stranger's upload is answered before its body is read: the service does not wait for, or
    /// hold, twenty megabytes it would refuse.
    @Test func aStrangersUploadIsRefusedBeforeItsBodyIsRead() async throws {
        try await withTestApp(.live, world: .seeded) { app in
            let world = try await app.makeWorld()
            let id = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            let stranger = try await app.createConsumer(["email": "stranger@redress.test", "password": worldPassword, "display_name": "S"])
            _ = stranger
            let token = try await app.login("stranger@redress.test")
            let port = try #require(app.client.port)
            let head = [
                "POST /api/v1/complaints/\(id)/evidence?kind=other&filename=a.png HTTP/1.1", "Host: 127.0.0.1", "Authorization: Bearer \(token)",
                "Content-Type: image/png", "Content-Length: 20000000", "", "",
            ].joined(separator: "\r\n")
            // Only the head and a few bytes are sent: an answer can only come before the body.
            let answer = await RawHTTP.exchange(port: port, send: head + "\u{89}PNG", timeoutSeconds: 60)
            #expect(answer.hasPrefix("HTTP/1.1 404"), "\(answer.prefix(200))")
        }
    }

    /// A party that sends its file a trickle at a time gives its upload place up after the timeout
    /// (408), and the next upload is read: two trickling uploads do not stop the case's consumer.
    @Test func aTricklingUploadGivesItsPlaceUp() async throws {
        var configuration = testConfiguration()
        configuration.uploadGrace = .seconds(1)
        configuration.concurrentUploads = 1
        try await withTestApp(.live, configuration: configuration, world: .seeded) { app in
            let world = try await app.makeWorld()
            let consumer = try #require(world.token("consumer"))
            let id = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))
            let port = try #require(app.client.port)
            let head = [
                "POST /api/v1/complaints/\(id)/evidence?kind=other&filename=a.png HTTP/1.1", "Host: 127.0.0.1", "Authorization: Bearer \(consumer)",
                "Content-Type: image/png", "Content-Length: 2000", "", "",
            ].joined(separator: "\r\n")
            let started = ContinuousClock.now
            let answer = await RawHTTP.exchange(port: port, send: head + "\u{89}PNG", timeoutSeconds: 60)
            #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer.prefix(300))")
            // Long before the 2,000 bytes could have arrived at the minimum rate after a whole minute.
            #expect(ContinuousClock.now - started < .seconds(50))
            let upload = try await app.client.execute(
                uri: "/api/v1/complaints/\(id)/evidence?kind=other&filename=a.png", method: .post,
                headers: [.authorization: "Bearer \(consumer)", .contentType: "image/png"], body: ByteBuffer(bytes: EvidenceSamples.png))
            #expect(upload.status == .created, "\(String(buffer: upload.body))")
        }
    }

    /// Periods reaching to year 0 (which PostgreSQL's calendar does not have) or far into the future
    /// are refused as the caller's mistake, never carried to the database.
    @Test func aPeriodOutsideTheSupportedDaysIsRefused() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let admin = world.token("admin")
            for query in ["from=0000-01-01&to=0000-12-31", "to=2000-01-15", "from=2999-01-01&to=3000-01-31", "from=0001-01-01&to=0001-01-31"] {
                let stats = try await app.request(.get, "/api/v1/stats/platforms/\(world.platformA)?\(query)", token: world.token("platform_admin_a"))
                #expect(stats.status.code == 422 && Self.reasons(stats).contains { $0.hasSuffix("out_of_range") }, "\(query): \(stats.text)")
                let report = try await app.request(.get, "/public/v1/reports/platforms?\(query)")
                #expect(report.status.code == 422, "\(query): \(report.text)")
                let page = try await app.request(.get, "/reports?\(query)")
                #expect(page.status.code == 422, "\(query)")
                let calendar = try await app.request(.get, "/api/v1/calendar?\(query)", token: admin)
                #expect(calendar.status.code == 422, "\(query): \(calendar.text)")
            }
            let yearZero = try await app.request(.put, "/api/v1/calendar/0000-01-01", token: admin, json: ["kind": "holiday", "name": "x"])
            #expect(yearZero.status == .notFound)
        }
    }

    /// A seller's chat exported as CSV is evidence like any other, kept byte for byte; it is offered
    /// for download as text, so that staff who open it run none of its cells as formulas.
    @Test func aCSVIsOfferedAsTextSoItsFormulasNeverRun() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let consumer = world.token("consumer")
            let id = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))
            let csv = "time,who,text\n10:00,seller,\"=HYPERLINK(\"\"http://x.example\"\",\"\"click\"\")\"\n"
            let uploaded = try await app.request(
                .post, "/api/v1/complaints/\(id)/evidence?kind=communication_record&filename=chat.csv", token: consumer,
                headers: [.contentType: "text/plain"], rawBody: ByteBuffer(string: csv))
            #expect(uploaded.status == .created, "\(uploaded.text)")
            let evidence = try #require(uploaded.json["id"].string)
            let download = try await app.request(.get, "/api/v1/complaints/\(id)/evidence/\(evidence)", token: world.token("platform_staff_a"))
            #expect(download.text == csv)
            let disposition = download.headers[.contentDisposition] ?? ""
            #expect(disposition.hasPrefix("attachment;") && disposition.hasSuffix("filename*=UTF-8''chat.csv.txt"), "\(disposition)")
        }
    }

    @Test func aReportPageErrorIsAPage() async throws {
        try await withTestApp { app in
            let page = try await app.request(.get, "/reports?lang=xx")
            #expect(page.status == .unprocessableContent)
            #expect(page.contentType == "text/html; charset=utf-8")
            #expect(page.text.contains("<html") && page.text.contains("lang"))
            let missing = try await app.request(.get, "/reports/platforms/\(UUID())?lang=en")
            #expect(missing.status == .notFound && missing.text.contains("Back to the platform report"))
        }
    }

    /// Many readers asking at once for a period nobody asked for before get one build between them.
    @Test func aPeriodIsBuiltOnceHoweverManyAskAtOnce() async throws {
        try await withTestApp(.live) { app in
            let series = #"redress_report_reads_total{source="primary"}"#
            let before = ObservabilityTests.sample(try await ObservabilityTests.scrape(app), series)
            let tags = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<16 { group.addTask { try await app.request(.get, "/public/v1/reports/platforms?from=2025-04-01&to=2025-06-30").headers[.eTag] } }
                return try await group.reduce(into: Set<String?>()) { $0.insert($1) }
            }
            #expect(tags.count == 1 && tags.first! != nil)
            #expect(ObservabilityTests.sample(try await ObservabilityTests.scrape(app), series) - before == 1)
        }
    }
}

/// Any JSON value, for fields a test only checks for presence.
struct AnyDecodable: Decodable {
    init(from decoder: any Decoder) throws {}
}

/// Requests written byte by byte on sockets, for what an HTTP client library would not send: part of
/// a body, or many requests on many connections at once. The sockets block, so they are served on a
/// thread of their own: blocking one of the few threads Swift's concurrency runs on would stop the
/// very service that is to answer.
enum RawHTTP {
    static func exchange(port: Int, send text: String, timeoutSeconds: Int) async -> String {
        await onOwnThread {
            let fd = connected(port: port, timeoutSeconds: timeoutSeconds)
            defer { close(fd) }
            guard fd >= 0 else { return "connect failed" }
            write(text, to: fd)
            return read(fd, timeoutSeconds: timeoutSeconds)
        }
    }

    /// Opens a connection per request and sends every request before reading any answer, so that
    /// the service has them all in hand at once.
    static func exchangeAll(port: Int, requests: [String], timeoutSeconds: Int) async -> [String] {
        await onOwnThread {
            let sockets = requests.map { request in
                let fd = connected(port: port, timeoutSeconds: timeoutSeconds)
                if fd >= 0 { write(request, to: fd) }
                return fd
            }
            defer { for fd in sockets where fd >= 0 { close(fd) } }
            return sockets.map { $0 >= 0 ? read($0, timeoutSeconds: timeoutSeconds) : "connect failed" }
        }
    }

    static func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: work()) }.start()
        }
    }

    static func write(_ text: String, to fd: Int32) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
    }

    static func read(_ fd: Int32, timeoutSeconds: Int) -> String {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return count > 0 ? String(decoding: buffer.prefix(count), as: UTF8.self) : "no answer within \(timeoutSeconds) s"
    }

    static func connected(port: Int, timeoutSeconds: Int) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            return -1
        }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }
}

/// Logins over a live socket with a read timeout that fits a loaded machine. Every wrong password is
/// hashed, and the whole suite's bcrypt work shares one thread pool: when the suite runs in parallel
/// on two cores, one login can wait longer than the test framework's own 20 s. These tests count
/// answers; how fast they come is the benchmark's business.
private struct PatientLogins {
    let client: TestClient

    init(_ app: TestApp) throws {
        client = TestClient(host: "127.0.0.1", port: try #require(app.client.port), configuration: .init(timeout: .seconds(120)))
        client.connect()
    }

    func login(_ email: String, _ password: String, from address: String) async throws -> HTTPResponse.Status {
        let body = try JSONSerialization.data(withJSONObject: ["email": email, "password": password])
        let headers: HTTPFields = [.contentType: "application/json", .connection: "keep-alive", .init("X-Forwarded-For")!: address]
        let request = TestClient.Request("/api/v1/auth/login", method: .post, authority: "localhost", headers: headers, body: ByteBuffer(bytes: body))
        return try await client.execute(request).head.status
    }

    /// Closes the connection; the server's shutdown at the end of the test would close it anyway.
    func close() {
        _ = client.channelPromise.futureResult.flatMap { $0.close() }
    }
}
