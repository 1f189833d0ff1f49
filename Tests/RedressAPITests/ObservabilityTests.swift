import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOConcurrencyHelpers
import NIOCore
import RedressAPI
import RedressStore
import StoreTestSupport
import Testing
import TestSupport

/// `/metrics` (what it names, that it moves, who may read it) and the logs (one JSON line per event,
/// one line per request, no secrets or personal data in any line).
@Suite("Metrics and logs")
struct ObservabilityTests {
    /// The value of one sample of the exposition (`name{labels}`), 0 when absent.
    static func sample(_ text: String, _ series: String) -> Double {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1)) ?? .nan
        }
        return 0
    }

    static func scrape(_ app: TestApp, token: String? = nil) async throws -> String {
        let response = try await app.request(.get, "/metrics", token: token)
        #expect(response.status == .ok, "\(response.text)")
        #expect(response.contentType?.hasPrefix("text/plain; version=0.0.4") == true)
        return response.text
    }

    @Test func metricsNameTheSeriesAndMoveWithRequestsTransitionsEvidenceAndTheDeadlineJob() async throws {
        let clock = ManualClock("2026-09-24T10:00:00+08:00")
        let configuration = testConfiguration(clock: clock)
        try await withTestApp(configuration: configuration, world: .seeded) { app in
            var world = try await app.makeWorld()
            let before = try await Self.scrape(app)
            let filedSeries = #"redress_http_requests_total{route="/api/v1/complaints",method="POST",status="201"}"#
            let submitSeries = #"redress_complaint_transitions_total{action="submit"}"#
            let awaitingPlatform = #"redress_complaints_open{state="awaiting_platform"}"#
            #expect(Self.sample(before, awaitingPlatform) == 0)

            let consumer = world.token("consumer")
            let first = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))
            _ = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))
            let png = EvidenceSamples.png
            let upload = try await app.request(
                .post, "/api/v1/complaints/\(first)/evidence?kind=anomaly_proof&filename=a.png", token: consumer,
                headers: [.contentType: "image/png"], rawBody: ByteBuffer(bytes: png))
            #expect(upload.status == .created)
            // A refused action is counted as a request, not as a transition.
            let refused = try await app.request(.post, "/api/v1/complaints/\(first)/actions/escalate", token: consumer)
            #expect(refused.status == .conflict)

            let after = try await Self.scrape(app)
            #expect(Self.sample(after, filedSeries) - Self.sample(before, filedSeries) == 2)
            #expect(Self.sample(after, submitSeries) - Self.sample(before, submitSeries) == 2)
            #expect(Self.sample(after, #"redress_complaint_transitions_total{action="escalate"}"#) == 0)
            #expect(Self.sample(after, #"redress_http_requests_total{route="/api/v1/complaints/{id}/actions/{action}",method="POST",status="409"}"#) == 1)
            #expect(Self.sample(after, #"redress_http_request_duration_seconds_count{route="/api/v1/complaints",method="POST",status="201"}"#) == 2)
            #expect(after.contains(#"redress_http_request_duration_seconds_bucket{route="/api/v1/complaints",method="POST",status="201",le="+Inf"} 2"#))
            #expect(Self.sample(after, "redress_evidence_files_stored_total") == 1)
            #expect(Self.sample(after, "redress_evidence_bytes_stored_total") == Double(png.count))
            #expect(Self.sample(after, awaitingPlatform) == 2)
            #expect(Self.sample(after, #"redress_complaints_overdue{state="awaiting_platform"}"#) == 0)
            #expect(Self.sample(after, "redress_database_up") == 1)
            #expect(Self.sample(after, "redress_db_pool_connections_in_use") == 0)
            #expect(Self.sample(after, "redress_db_pool_waiting") == 0)
            #expect(Self.sample(after, "redress_db_pool_wait_seconds_count") > 5)
            // Unknown paths share one series, whatever the path: the number of series stays bounded.
            _ = try await app.request(.get, "/no/such/\(UUID())")
            _ = try await app.request(.get, "/no/such/\(UUID())")
            let unmatched = try await Self.scrape(app)
            #expect(Self.sample(unmatched, #"redress_http_requests_total{route="unmatched",method="GET",status="404"}"#) == 2,
                    "\(unmatched.split(separator: "\n").filter { $0.contains("404") && $0.hasPrefix("redress_http_requests_total") })")

            // The platform stays silent past its deadline: the job marks both overdue.
            clock.set("2026-10-13T09:00:00+08:00")
            try await world.logInAgain(app)
            let job = DeadlineJob(database: app.store, configuration: configuration, interval: .seconds(60), logger: TestDatabase.logger)
            #expect(try await job.runOnce().markedOverdue == 2)
            let overdue = try await Self.scrape(app)
            #expect(Self.sample(overdue, #"redress_deadline_job_runs_total{result="ok"}"#) == 1)
            #expect(Self.sample(overdue, #"redress_deadline_job_actions_total{action="mark_overdue"}"#) == 2)
            #expect(Self.sample(overdue, "redress_deadline_job_duration_seconds_count") == 1)
            #expect(Self.sample(overdue, #"redress_complaint_transitions_total{action="overdue"}"#) == 2)
            #expect(Self.sample(overdue, #"redress_complaints_overdue{state="awaiting_platform"}"#) == 2)
            #expect(Self.sample(overdue, awaitingPlatform) == 2)
        }
    }

    @Test func metricsNeedTheTokenWhenOneIsSetAndAreNotServedOnAnExposedPortWithoutOne() async throws {
        var withToken = testConfiguration()
        withToken.metricsToken = "metrics-token-0123456789"
        try await withTestApp(configuration: withToken) { [withToken] app in
            #expect(try await app.request(.get, "/metrics").status == .unauthorized)
            #expect(try await app.request(.get, "/metrics", token: "metrics-token-0123456789x").status == .unauthorized)
            #expect(try await app.request(.get, "/metrics", headers: [.authorization: "Basic metrics-token-0123456789"]).status == .unauthorized)
            _ = try await Self.scrape(app, token: "metrics-token-0123456789")
        }
        var exposed = testConfiguration()
        exposed.host = "0.0.0.0"
        #expect(!exposed.servesMetricsOnAPIPort)
        try await withTestApp(configuration: exposed) { [exposed] app in
            let response = try await app.request(.get, "/metrics")
            #expect(response.status == .notFound)
        }
        exposed.metricsPort = 9464
        exposed.metricsToken = "metrics-token-0123456789"
        #expect(!exposed.servesMetricsOnAPIPort, "with a port of its own, never on the API's port")
    }

    @Test func jsonLinesAreOneObjectPerEventWithEverythingEscaped() throws {
        let lines = NIOLockedValueBox<[String]>([])
        var logger = Logger(label: "redress") { label in JSONLogHandler(label: label) { line in lines.withLockedValue { $0.append(line) } } }
        logger[metadataKey: "request_id"] = "r-1"
        logger.info("line one\nline \"two\"\u{1}", metadata: ["status": .stringConvertible(201), "message": "shadow", "list": ["a", "b"]])
        logger.debug("below the level: not written")
        let written = lines.withLockedValue { $0 }
        #expect(written.count == 1)
        let line = try #require(written.first)
        #expect(line.hasSuffix("}\n") && line.dropLast().allSatisfy { $0 != "\n" })
        let object = try #require(JSON(data: Data(line.utf8))?.present)
        #expect(object["message"].string == "line one\nline \"two\"\u{1}")
        #expect(object["level"].string == "info")
        #expect(object["label"].string == "redress")
        #expect(object["request_id"].string == "r-1")
        #expect(object["status"].string == "201")
        #expect(object["metadata.message"].string == "shadow")
        #expect(object["list"].strings == ["a", "b"])
        #expect((object["time"].string)?.hasSuffix("Z") == true)
    }

    /// Text lines carry the metadata set on the logger, the provider's and the event's own, in
    /// swift-log's order of precedence.
    @Test func textLinesCarryTheLoggersMetadataAndTheEvents() throws {
        struct Lines: TextOutputStream, Sendable {
            let box = NIOLockedValueBox<[String]>([])
            func write(_ string: String) { box.withLockedValue { $0.append(string) } }
        }
        let lines = Lines()
        let provider = Logger.MetadataProvider { ["route": "from-provider", "trace": "t-9"] }
        var logger = Logger(label: "redress") { label in TextLogHandler(label: label, stream: lines, metadataProvider: provider) }
        logger[metadataKey: "request_id"] = "r-1"
        logger[metadataKey: "route"] = "first"
        logger[metadataKey: "route"] = "/api/v1/complaints/:id"
        logger.info("request", metadata: ["status": .stringConvertible(200), "request_id": "r-2"])
        logger.debug("below the level: not written")
        let written = lines.box.withLockedValue { $0 }
        #expect(written.count == 1)
        let line = try #require(written.first)
        #expect(line.contains("info redress:") && line.hasSuffix("request\n"), "\(line)")
        #expect(line.contains("request_id=r-2") && !line.contains("r-1"), "\(line)")
        // The provider's metadata wins over the logger's, as swift-log orders them.
        #expect(line.contains("route=from-provider") && line.contains("trace=t-9") && line.contains("status=200"), "\(line)")
        #expect(!line.contains("first") && !line.contains("/api/v1/complaints/:id"), "\(line)")
    }

    @Test func everyRequestIsOneLogLineWithoutTokensPasswordsEmailsOrPhones() async throws {
        let lines = NIOLockedValueBox<[String]>([])
        var logger = Logger(label: "redress-tests") { label in JSONLogHandler(label: label) { line in lines.withLockedValue { $0.append(line) } } }
        logger.logLevel = .info
        try await withTestApp(logger: logger, world: .seeded) { app in
            let world = try await app.makeWorld()
            let consumer = try #require(world.accounts["consumer"])
            let phone = "13800138000"
            let registered = try await app.register(
                ["email": "secret.person@example.cn", "password": "Unusual-Passphrase-77", "display_name": "某人", "phone": phone])
            #expect(registered.status == .created, "\(registered.text)")
            let wrong = try await app.request(.post, "/api/v1/auth/login", json: ["email": consumer.email, "password": "Wrong-Password-123"])
            #expect(wrong.status == .unauthorized)
            let id = try await app.create("/api/v1/complaints", token: consumer.token, app.complaintBody(world))
            let read = try await app.request(.get, "/api/v1/complaints/\(id)", token: consumer.token, headers: [.init("X-Request-Id")!: "trace-me-1"])
            #expect(read.status == .ok)

            let written = lines.withLockedValue { $0 }
            let requests = try written.compactMap { line -> JSON? in
                let object = try #require(JSON(data: Data(line.utf8))?.present)
                return object["message"].string == "request" ? object : nil
            }
            let readLine = try #require(requests.first { $0["request_id"].string == "trace-me-1" })
            #expect(readLine["route"].string == "/api/v1/complaints/{id}")
            #expect(readLine["method"].string == "GET")
            #expect(readLine["status"].string == "200")
            #expect(readLine["account_id"].string == consumer.id.lowercased())
            #expect(Double(readLine["duration_ms"].string ?? "") != nil)
            #expect(requests.filter { $0["request_id"].string == "trace-me-1" }.count == 1, "one line per request")
            let all = written.joined()
            for secret in [consumer.token, world.token("admin")!, worldPassword, "Unusual-Passphrase-77", "Wrong-Password-123",
                           "secret.person@example.cn", consumer.email, phone] {
                #expect(!all.contains(secret), "a log line holds \(secret)")
            }
        }
    }
}
