import Foundation
import RedressCore
import RedressStore

/// The settings of the HTTP service, read once at start (see Docs/configuration.md).
public struct APIConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Largest accepted JSON request body, in bytes.
    public var maxJSONBodyBytes: Int
    /// How long a login token stays valid.
    public var sessionLifetime: Duration
    /// A token unused for this long ends before its lifetime (REDRESS_SESSION_IDLE_MINUTES).
    public var sessionIdleTimeout: Duration = .seconds(2 * 3600)
    /// The roles that must sign in with a second factor; until they enrol one, their sessions may only
    /// enrol (REDRESS_SECOND_FACTOR).
    public var secondFactorRoles: Set<Role> = APIConfiguration.privilegedRoles
    public static let privilegedRoles: Set<Role> = [.admin, .auditor, .mediationLead, .platformAdmin]
    /// bcrypt cost factor; 10 is OWASP's minimum.
    public var bcryptCost: UInt8
    public var loginThrottle: LoginThrottle
    /// The zone working days are counted in.
    public var timeZone: TimeZone
    /// The one source of the current time.
    public var clock: any RedressClock
    /// Largest evidence file, in bytes, enforced while reading.
    public var maxEvidenceBytes: Int = 20 * 1024 * 1024
    /// Most evidence files one complaint may hold.
    public var maxEvidenceFiles: Int = 50
    /// Evidence bodies read at once in this process (others wait), and by one account (others: 429).
    public var concurrentUploads: Int = 8
    public var concurrentUploadsPerAccount: Int = 2
    /// Evidence bodies from one client address at once (429 beyond): accounts are free to make.
    public var concurrentUploadsPerAddress: Int = 4
    /// How fast an evidence body must arrive: after `uploadGrace`, at least `uploadMinimumBytesPerSecond`
    /// on average (408 otherwise), so that a trickling sender gives its place up.
    public var uploadGrace: Duration = .seconds(10)
    public var uploadMinimumBytesPerSecond: Int = 32 * 1024
    /// Complaints one consumer may file per 24 hours, and messages one account may post to one case
    /// per hour (429 with Retry-After beyond).
    public var filingsPerDay: Int = 20
    public var messagesPerCasePerHour: Int = 30
    /// Filings and messages of one account in flight at once in this process (429 beyond).
    public var writesInFlightPerAccount: Int = 8
    /// The mediation body an escalation goes to when the case's platform names none (the operator's
    /// default): so that a platform cannot switch escalation off by clearing its own.
    public var defaultMediationBodyID: UUID?
    /// The operator's standard deadlines: every platform's first response is measured against
    /// them, and no platform may promise longer (Docs/metrics.md, "One yardstick").
    public var standardDeadlines = StandardDeadlines()
    /// A month's satisfaction is published only from at least this many ratings: fewer would let
    /// one consumer's rating be told apart.
    public var reportMinimumRatings: Int = 5
    /// How long a filing or message waits for the same account's previous one to be counted (429 beyond).
    public var quotaLockWait: Duration = .seconds(10)
    /// A platform with fewer complaints in a period has its rates withheld in the public report.
    public var reportMinimumComplaints: Int = 10
    /// How long a built public report is served again (and may be cached by browsers); 0: never.
    public var reportCacheSeconds: Int = 60
    /// How long this process trusts a token it has looked up before looking it up again; 0: every request.
    public var sessionCacheSeconds: Int = 5
    /// The bearer token `/metrics` requires (REDRESS_METRICS_TOKEN); nil: none.
    public var metricsToken: String?
    /// The load balancers whose `X-Forwarded-For` names the client (REDRESS_TRUSTED_PROXIES).
    public var trustedProxies = TrustedProxies.none
    /// How long `/metrics` reuses its count of the open cases.
    public var openCaseCountSeconds: Int = 10
    /// Serve `/metrics` on this port, on the API's host, instead of the API's port (REDRESS_METRICS_PORT).
    public var metricsPort: Int?
    /// Where and how webhooks are delivered.
    public var webhooks = WebhookSettings()
    /// How mail is sent, and where its links point.
    public var mail = MailSettings()

    /// `/metrics` is never public: on the API's port it is served only with a token, or when the API
    /// listens on loopback alone (a machine's own Prometheus, or the tests).
    public var servesMetricsOnAPIPort: Bool {
        metricsPort == nil && (metricsToken != nil || Self.isLoopback(host))
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    public init(
        host: String = "127.0.0.1", port: Int = 8080, maxJSONBodyBytes: Int = 64 * 1024,
        sessionLifetime: Duration = .seconds(12 * 3600), bcryptCost: UInt8 = 12, loginThrottle: LoginThrottle = LoginThrottle(),
        timeZone: TimeZone = TimeZone(identifier: "Asia/Shanghai")!, clock: any RedressClock = SystemClock()
    ) {
        self.host = host
        self.port = port
        self.maxJSONBodyBytes = maxJSONBodyBytes
        self.sessionLifetime = sessionLifetime
        self.bcryptCost = bcryptCost
        self.loginThrottle = loginThrottle
        self.timeZone = timeZone
        self.clock = clock
    }
}
