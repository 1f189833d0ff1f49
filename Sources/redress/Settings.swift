import ArgumentParser
import Foundation
import Logging
import RedressAPI
import RedressCore
import RedressStore
import Synchronization

/// The options every subcommand that touches the database shares.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "Folder of the private PostgreSQL used when DATABASE_URL is not set.")
    var dataDir: String = ProcessInfo.processInfo.environment["REDRESS_DATA_DIR"] ?? ".redress"
}

/// Settings from the environment, read once and checked together: every invalid one is reported.
struct Settings {
    var databaseURL: DatabaseURL?
    var requestDatabaseURL: DatabaseURL?
    var host = "127.0.0.1"
    var port = 8080
    var maxJSONBodyBytes = 64 * 1024
    var sessionHours = 12
    var sessionIdleMinutes = 120
    var caseRetentionDays = 3 * 365 + 1
    var secondFactorRoles = APIConfiguration.privilegedRoles
    var bcryptCost = 12
    var poolSize = 20
    var logLevel = Logger.Level.info
    var timeZone = TimeZone(identifier: "Asia/Shanghai")!
    /// Set by REDRESS_NOW: the service's clock stands still at this instant.
    var frozenNow: Date?
    var deadlineJobSeconds = 60
    /// 0: the service proposes no clusters (an operator runs `redress clusters`).
    var clusterJobSeconds = 30
    /// 0: the service never anchors (an operator runs `redress audit anchor`).
    var anchorSeconds = 0
    var maxEvidenceBytes = 20 * 1024 * 1024
    var maxEvidenceFiles = 50
    var reportMinimumComplaints = 10
    var reportMinimumRatings = 5
    var standardDeadlines = StandardDeadlines()
    var filingsPerDay = 20
    var messagesPerCasePerHour = 30
    var registrationsPerHour = 10
    var concurrentUploads = 8
    var uploadGraceSeconds = 10
    var uploadMinimumBytesPerSecond = 32 * 1024
    var reportCacheSeconds = 60
    var sessionCacheSeconds = 5
    var logFormat = LogFormat.text
    var metricsToken: String?
    var metricsPort: Int?
    var replicaURL: DatabaseURL?
    var defaultMediationBodyID: UUID?
    var replicaMaximumLagSeconds = 30
    var trustedProxies = TrustedProxies.none
    var webhooks = WebhookSettings()
    var webhookPollMilliseconds = 1000
    var mail = MailSettings()
    /// Whether REDRESS_SMTP_URL or REDRESS_MAIL_DIR chose where mail goes (else: the data folder's `mail`).
    var mailTransportChosen = false

    enum LogFormat: String { case text, json }

    struct Invalid: Error, CustomStringConvertible {
        let problems: [String]
        var description: String { "invalid configuration:\n" + problems.map { "  - \($0)" }.joined(separator: "\n") }
    }

    static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Settings {
        var settings = Settings()
        var problems: [String] = []
        func url(_ name: String) -> DatabaseURL? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            guard let url = DatabaseURL(value) else {
                problems.append("\(name) is not a postgres://user:password@host:port/database address")
                return nil
            }
            return url
        }
        func integer(_ name: String, _ range: ClosedRange<Int>, _ target: inout Int) {
            guard let value = environment[name], !value.isEmpty else { return }
            guard let number = Int(value), range.contains(number) else {
                problems.append("\(name) must be an integer in \(range.lowerBound)...\(range.upperBound), not \(value)")
                return
            }
            target = number
        }
        settings.databaseURL = url("DATABASE_URL")
        settings.requestDatabaseURL = url("REDRESS_REQUEST_DATABASE_URL")
        settings.replicaURL = url("REDRESS_REPLICA_URL")
        if let value = environment["REDRESS_DEFAULT_MEDIATION_BODY_ID"], !value.isEmpty {
            if let id = UUID(uuidString: value) {
                settings.defaultMediationBodyID = id
            } else {
                problems.append("REDRESS_DEFAULT_MEDIATION_BODY_ID must be a mediation body's id, not \(value)")
            }
        }
        integer("REDRESS_REPLICA_MAX_LAG_SECONDS", 0...86_400, &settings.replicaMaximumLagSeconds)
        if let host = environment["REDRESS_HOST"], !host.isEmpty { settings.host = host }
        integer("REDRESS_PORT", 0...65535, &settings.port)
        integer("REDRESS_MAX_BODY_BYTES", 1024...(16 * 1024 * 1024), &settings.maxJSONBodyBytes)
        integer("REDRESS_SESSION_HOURS", 1...(24 * 90), &settings.sessionHours)
        integer("REDRESS_SESSION_IDLE_MINUTES", 5...(24 * 90 * 60), &settings.sessionIdleMinutes)
        // Never shorter than the law's three years (Docs/accounts.md).
        integer("REDRESS_CASE_RETENTION_DAYS", (3 * 365 + 1)...(20 * 366), &settings.caseRetentionDays)
        switch environment["REDRESS_SECOND_FACTOR"] ?? "" {
        case "", "privileged": settings.secondFactorRoles = APIConfiguration.privilegedRoles
        case "staff": settings.secondFactorRoles = Set(Role.allCases.filter { $0 != .consumer })
        case "off": settings.secondFactorRoles = []
        case let value: problems.append("REDRESS_SECOND_FACTOR must be privileged, staff or off, not \(value)")
        }
        integer("REDRESS_BCRYPT_COST", 10...16, &settings.bcryptCost)
        integer("REDRESS_DB_POOL_SIZE", 1...500, &settings.poolSize)
        integer("REDRESS_DEADLINE_JOB_SECONDS", 1...86_400, &settings.deadlineJobSeconds)
        integer("REDRESS_CLUSTER_JOB_SECONDS", 0...86_400, &settings.clusterJobSeconds)
        integer("REDRESS_ANCHOR_SECONDS", 0...(366 * 86_400), &settings.anchorSeconds)
        integer("REDRESS_EVIDENCE_MAX_BYTES", 1024...(512 * 1024 * 1024), &settings.maxEvidenceBytes)
        integer("REDRESS_EVIDENCE_MAX_FILES", 1...1000, &settings.maxEvidenceFiles)
        integer("REDRESS_REPORT_MIN_COMPLAINTS", 1...1_000_000, &settings.reportMinimumComplaints)
        integer("REDRESS_REPORT_MIN_RATINGS", 1...1_000_000, &settings.reportMinimumRatings)
        let standard = 1...StandardDeadlines.maximumDays
        integer("REDRESS_STANDARD_RESPONSE_DAYS", standard, &settings.standardDeadlines.responseDays)
        integer("REDRESS_STANDARD_MERCHANT_RESPONSE_DAYS", standard, &settings.standardDeadlines.merchantResponseDays)
        integer("REDRESS_STANDARD_FULFILMENT_DAYS", standard, &settings.standardDeadlines.fulfilmentDays)
        integer("REDRESS_STANDARD_CONSUMER_REPLY_DAYS", standard, &settings.standardDeadlines.consumerReplyDays)
        integer("REDRESS_STANDARD_CONFIRMATION_DAYS", standard, &settings.standardDeadlines.confirmationDays)
        integer("REDRESS_STANDARD_REFERRAL_DAYS", 1...(2 * StandardDeadlines.maximumDays), &settings.standardDeadlines.referralDays)
        integer("REDRESS_FILINGS_PER_DAY", 1...100_000, &settings.filingsPerDay)
        integer("REDRESS_MESSAGES_PER_CASE_PER_HOUR", 1...100_000, &settings.messagesPerCasePerHour)
        integer("REDRESS_REGISTRATIONS_PER_HOUR", 1...100_000, &settings.registrationsPerHour)
        integer("REDRESS_CONCURRENT_UPLOADS", 1...1_000, &settings.concurrentUploads)
        integer("REDRESS_UPLOAD_GRACE_SECONDS", 1...600, &settings.uploadGraceSeconds)
        integer("REDRESS_UPLOAD_MIN_BYTES_PER_SECOND", 1_024...(100 * 1024 * 1024), &settings.uploadMinimumBytesPerSecond)
        integer("REDRESS_REPORT_CACHE_SECONDS", 0...86_400, &settings.reportCacheSeconds)
        integer("REDRESS_SESSION_CACHE_SECONDS", 0...300, &settings.sessionCacheSeconds)
        // A token served from the cache is not noted as used: the idle timeout must outlast the
        // cache's lifetime (and the once-a-minute note) several times over, or sessions in use end.
        if settings.sessionIdleMinutes * 60 < 2 * settings.sessionCacheSeconds + 60 {
            problems.append(
                "REDRESS_SESSION_IDLE_MINUTES (\(settings.sessionIdleMinutes)) must be at least 2 × REDRESS_SESSION_CACHE_SECONDS + 60 seconds")
        }
        if let format = environment["REDRESS_LOG_FORMAT"], !format.isEmpty {
            if let parsed = LogFormat(rawValue: format) {
                settings.logFormat = parsed
            } else {
                problems.append("REDRESS_LOG_FORMAT must be text or json, not \(format)")
            }
        }
        if let token = environment["REDRESS_METRICS_TOKEN"], !token.isEmpty {
            if token.count >= 16, token.allSatisfy({ $0.isASCII && !$0.isWhitespace }) {
                settings.metricsToken = token
            } else {
                // The value itself is never repeated in the message: it is a secret.
                problems.append("REDRESS_METRICS_TOKEN must be at least 16 printable ASCII characters without spaces")
            }
        }
        if environment["REDRESS_METRICS_PORT"].map({ !$0.isEmpty }) ?? false {
            var port = 0
            integer("REDRESS_METRICS_PORT", 1...65535, &port)
            if port > 0 { settings.metricsPort = port }
        }
        if let proxies = environment["REDRESS_TRUSTED_PROXIES"], !proxies.isEmpty {
            if let parsed = TrustedProxies(proxies) {
                settings.trustedProxies = parsed
            } else {
                problems.append("REDRESS_TRUSTED_PROXIES must be IP addresses or IPv4 CIDR ranges separated by commas, not \(proxies)")
            }
        }
        if let networks = environment["REDRESS_WEBHOOK_ALLOWED_NETWORKS"], !networks.isEmpty {
            let ranges = networks.split(separator: ",").map { NetworkRange($0.trimmingCharacters(in: .whitespaces)) }
            if ranges.contains(where: { $0 == nil }) {
                problems.append("REDRESS_WEBHOOK_ALLOWED_NETWORKS must be IP addresses or CIDR ranges separated by commas, not \(networks)")
            } else {
                settings.webhooks.networks = WebhookNetworkPolicy(allowed: ranges.compactMap { $0 })
            }
        }
        switch environment["REDRESS_WEBHOOK_ALLOW_HTTP"] ?? "" {
        case "", "false": break
        case "true": settings.webhooks.allowPlainHTTP = true
        case let value: problems.append("REDRESS_WEBHOOK_ALLOW_HTTP must be true or false, not \(value)")
        }
        if let file = environment["REDRESS_WEBHOOK_CA_FILE"], !file.isEmpty {
            if FileManager.default.isReadableFile(atPath: file) {
                settings.webhooks.additionalTrustRootsFile = file
            } else {
                problems.append("REDRESS_WEBHOOK_CA_FILE names \(file), which cannot be read")
            }
        }
        integer("REDRESS_WEBHOOK_POLL_MILLISECONDS", 50...60_000, &settings.webhookPollMilliseconds)
        if let text = environment["REDRESS_SMTP_URL"], !text.isEmpty {
            if var smtp = SMTPSettings(url: text) {
                if let file = environment["REDRESS_SMTP_CA_FILE"], !file.isEmpty { smtp.additionalTrustRootsFile = file }
                settings.mail.transport = .smtp(smtp)
                settings.mailTransportChosen = true
            } else {
                problems.append("REDRESS_SMTP_URL must be smtp://[user:password@]host[:port] (STARTTLS), smtps://… (TLS) or smtp+insecure://127.0.0.1:port")
            }
        } else if let folder = environment["REDRESS_MAIL_DIR"], !folder.isEmpty {
            settings.mail.transport = .directory(folder)
            settings.mailTransportChosen = true
        }
        if let from = environment["REDRESS_MAIL_FROM"], !from.isEmpty {
            if from.count <= 320, from.contains("@"), !from.contains(where: { $0.isNewline }) {
                settings.mail.from = from
            } else {
                problems.append("REDRESS_MAIL_FROM must be an address such as Redress <noreply@example.cn>")
            }
        }
        if let address = environment["REDRESS_PUBLIC_URL"], !address.isEmpty {
            if let url = URL(string: address), ["http", "https"].contains(url.scheme ?? ""), url.host != nil {
                settings.mail.publicURL = address.hasSuffix("/") ? String(address.dropLast()) : address
            } else {
                problems.append("REDRESS_PUBLIC_URL must be an http(s) address such as https://redress.example.cn")
            }
        }
        settings.webhooks.pollInterval = .milliseconds(settings.webhookPollMilliseconds)
        if let zone = environment["REDRESS_TIME_ZONE"], !zone.isEmpty {
            if let parsed = TimeZone(identifier: zone) {
                settings.timeZone = parsed
            } else {
                problems.append("REDRESS_TIME_ZONE must be an IANA time zone such as Asia/Shanghai, not \(zone)")
            }
        }
        if let now = environment["REDRESS_NOW"], !now.isEmpty {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let withFraction = formatter.date(from: now)
            formatter.formatOptions = [.withInternetDateTime]
            if let instant = withFraction ?? formatter.date(from: now) {
                settings.frozenNow = instant
            } else {
                problems.append("REDRESS_NOW must be an RFC 3339 instant such as 2026-10-13T09:00:00+08:00, not \(now)")
            }
        }
        if let level = environment["REDRESS_LOG_LEVEL"], !level.isEmpty {
            if let parsed = Logger.Level(rawValue: level) {
                settings.logLevel = parsed
            } else {
                problems.append("REDRESS_LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical")
            }
        }
        if !problems.isEmpty { throw Invalid(problems: problems) }
        return settings
    }

    var clock: any RedressClock {
        frozenNow.map { FrozenClock($0) } ?? SystemClock()
    }

    var apiConfiguration: APIConfiguration {
        var configuration = APIConfiguration(
            host: host, port: port, maxJSONBodyBytes: maxJSONBodyBytes,
            sessionLifetime: .seconds(sessionHours * 3600), bcryptCost: UInt8(bcryptCost),
            timeZone: timeZone, clock: clock)
        configuration.maxEvidenceBytes = maxEvidenceBytes
        configuration.maxEvidenceFiles = maxEvidenceFiles
        configuration.reportMinimumComplaints = reportMinimumComplaints
        configuration.reportMinimumRatings = reportMinimumRatings
        configuration.standardDeadlines = standardDeadlines
        configuration.filingsPerDay = filingsPerDay
        configuration.messagesPerCasePerHour = messagesPerCasePerHour
        configuration.loginThrottle.registrationsPerAddress = registrationsPerHour
        configuration.concurrentUploads = concurrentUploads
        configuration.uploadGrace = .seconds(uploadGraceSeconds)
        configuration.uploadMinimumBytesPerSecond = uploadMinimumBytesPerSecond
        configuration.reportCacheSeconds = reportCacheSeconds
        configuration.sessionCacheSeconds = sessionCacheSeconds
        configuration.sessionIdleTimeout = .seconds(sessionIdleMinutes * 60)
        configuration.secondFactorRoles = secondFactorRoles
        configuration.metricsToken = metricsToken
        configuration.metricsPort = metricsPort
        configuration.trustedProxies = trustedProxies
        configuration.defaultMediationBodyID = defaultMediationBodyID
        configuration.webhooks = webhooks
        configuration.mail = mail
        return configuration
    }

    func logger() -> Logger {
        switch logFormat {
        case .json: _ = Self.bootstrapJSONLogs
        case .text: _ = Self.bootstrapTextLogs
        }
        var logger = Logger(label: "redress")
        logger.logLevel = logLevel
        return logger
    }
}

extension Settings {
    /// swift-log's handler can be chosen once per process.
    static let bootstrapJSONLogs: Void = LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
    static let bootstrapTextLogs: Void = LoggingSystem.bootstrap { TextLogHandler(label: $0) }
}

/// Runs `body` with the owner's database address: `DATABASE_URL`, or the private PostgreSQL of the
/// data folder, started for the duration and stopped afterwards — on the error path too — or, for a
/// command run beside a live service (`shareRunning`), the server that service runs. `body` calls
/// its second argument once something else (the service's graceful shutdown) handles signals.
func withOwnerDatabase<T>(
    settings: Settings, dataDir: String, logger: Logger, shareRunning: Bool = true,
    _ body: (DatabaseURL, _ handOverSignals: @Sendable () -> Void) async throws -> T
) async throws -> T {
    if let url = settings.databaseURL {
        logger.notice("using the configured PostgreSQL", metadata: ["address": "\(url)"])
        return try await CommandFailure.wrap { try await body(url, {}) }
    }
    let embedded = EmbeddedPostgres(folder: URL(fileURLWithPath: dataDir), logger: logger)
    // Until the service's own graceful shutdown takes over, a SIGTERM or SIGINT must still stop the
    // private server rather than leave it running without us.
    let guardian = StartupSignalGuard { signal in
        logger.notice("stopping on a signal during start-up")
        embedded.stopBlocking()
        exit(128 + signal)
    }
    defer { guardian.cancel() }
    do {
        let url = try await embedded.start(shareRunning: shareRunning)
        let result = try await CommandFailure.wrap { try await body(url, { guardian.cancel() }) }
        await embedded.stop()
        return result
    } catch {
        await embedded.stop()
        throw error
    }
}

/// Handles SIGTERM and SIGINT while `redress` starts; `cancel()` hands them back.
final class StartupSignalGuard: Sendable {
    private let sources: Mutex<[any DispatchSourceSignal]>

    init(_ handler: @escaping @Sendable (Int32) -> Void) {
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { handler(number) }
            source.resume()
            sources.append(source)
        }
        self.sources = Mutex(sources)
    }

    func cancel() {
        sources.withLock {
            $0.forEach { $0.cancel() }
            $0 = []
        }
    }
}

extension Settings {
    /// The service's keys (`Keyring`): `REDRESS_KEYS`, else the file `REDRESS_KEYS_FILE`, else — only
    /// for the private PostgreSQL — the file `keys` of the data folder, made on first use. A configured
    /// database needs them configured: replicas must share them, and they must not live beside it.
    func keyring(dataDir: String, logger: Logger) throws -> Keyring {
        let environment = ProcessInfo.processInfo.environment
        do {
            if let inline = environment["REDRESS_KEYS"], !inline.isEmpty { return try Keyring(parsing: inline) }
            if let path = environment["REDRESS_KEYS_FILE"], !path.isEmpty {
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw Invalid(problems: ["REDRESS_KEYS_FILE names \(path), which cannot be read"])
                }
                return try Keyring(parsing: text)
            }
        } catch let problem as Keyring.Problem {
            throw Invalid(problems: ["the keys (REDRESS_KEYS or REDRESS_KEYS_FILE): \(problem)"])
        }
        guard databaseURL == nil else {
            throw Invalid(problems: [
                "REDRESS_KEYS_FILE (or REDRESS_KEYS) is required with DATABASE_URL: `redress keys new k1 > keys` makes a key file (Docs/operations.md)"
            ])
        }
        let folder = URL(fileURLWithPath: dataDir)
        let file = folder.appendingPathComponent("keys")
        if !FileManager.default.fileExists(atPath: file.path) {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let text = Keyring.newFile()
            guard FileManager.default.createFile(atPath: file.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw Invalid(problems: ["could not write the key file \(file.path)"])
            }
            logger.notice("made a key file for the private database", metadata: ["file": "\(file.path)"])
        }
        do {
            return try Keyring(parsing: try String(contentsOf: file, encoding: .utf8))
        } catch let problem as Keyring.Problem {
            throw Invalid(problems: ["the key file \(file.path): \(problem)"])
        }
    }
}
