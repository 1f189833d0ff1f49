import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus
import RedressCore
import RedressStore
import ServiceLifecycle
import UnixSignals

/// Everything a router needs, built once at start and shared by `redress serve` and the tests.
public struct AppDependencies: Sendable {
    public let database: Database
    public let configuration: APIConfiguration
    public let hasher: PasswordHasher
    let decoyHash: String
    let openAPIDocument: ByteBuffer
    /// Shared by the authentication middleware and logout.
    let sessions: SessionCache
    /// Where `/metrics` reads from (the database's measurements, when they are Prometheus's).
    let metricsRegistry: PrometheusCollectorRegistry
    /// Filings and messages in flight per account, in this process: one account's flood waits for no
    /// pooled connection it could hold (429 beyond `writesInFlightPerAccount`).
    let writes: CallerGate
    /// Evidence uploads being read, inspected and stored, through the API or the console.
    let uploads: CallerGate

    public static func make(database: Database, configuration: APIConfiguration) async throws -> AppDependencies {
        let hasher = PasswordHasher(cost: configuration.bcryptCost)
        let decoy = try await hasher.hash(SecureRandom.token(bytes: 16))
        return AppDependencies(
            database: database, configuration: configuration, hasher: hasher, decoyHash: decoy,
            openAPIDocument: ByteBuffer(bytes: try Data(contentsOf: openAPIDocumentURL)),
            sessions: SessionCache(lifetime: .seconds(configuration.sessionCacheSeconds)),
            metricsRegistry: database.metrics.prometheusRegistry ?? PrometheusCollectorRegistry(),
            writes: CallerGate(capacity: .max, perAccount: configuration.writesInFlightPerAccount, refusal: "Wait for your last request to finish."),
            uploads: EvidenceController.uploadGate(configuration))
    }

    /// Whether this process hears other replicas' session changes (until then it caches no session).
    public var hearsSessionAnnouncements: Bool { sessions.hearsAnnouncements }

    /// The service that keeps this process's session cache in step with every other replica's changes.
    public func sessionAnnouncements(url: DatabaseURL, logger: Logger) throws -> any Service {
        let sessions = self.sessions
        return try SessionAnnouncementListener(
            url: url, logger: logger, changed: { sessions.forget(accountID: $0) }, listening: { sessions.announcements(heard: $0) },
            heartbeat: { sessions.heartbeatHeard() })
    }

    var metricsController: MetricsController {
        MetricsController(
            database: database, registry: metricsRegistry, token: configuration.metricsToken, openCases: OpenCaseCounter(database: database, maximumAge: .seconds(configuration.openCaseCountSeconds)))
    }

    public static var openAPIDocumentURL: URL {
        Bundle.module.url(forResource: "openapi", withExtension: "yaml")!
    }
}

/// The route table of the whole API, in the order it is registered.
public func apiEndpoints(_ dependencies: AppDependencies) -> [Endpoint] {
    let database = dependencies.database, configuration = dependencies.configuration
    return OperationsController(database: database, openAPIDocument: dependencies.openAPIDocument).endpoints
        + AuthController(
            database: database, hasher: dependencies.hasher, configuration: configuration, decoyHash: dependencies.decoyHash,
            sessions: dependencies.sessions
        ).endpoints
        + AccountController(database: database, hasher: dependencies.hasher, configuration: configuration, sessions: dependencies.sessions)
        .endpoints
        + PasswordResetController(database: database, hasher: dependencies.hasher, configuration: configuration, sessions: dependencies.sessions)
        .endpoints
        + SecondFactorController(database: database, hasher: dependencies.hasher, configuration: configuration, sessions: dependencies.sessions).endpoints
        + PlatformController(database: database, configuration: configuration).endpoints
        + MediationBodyController(database: database, configuration: configuration).endpoints
        + StaffController(database: database, hasher: dependencies.hasher, configuration: configuration, sessions: dependencies.sessions)
        .endpoints
        + CalendarController(database: database, configuration: configuration).endpoints
        + ComplaintController(database: database, configuration: configuration, writes: dependencies.writes).endpoints
        + MessageController(database: database, configuration: configuration, writes: dependencies.writes).endpoints
        + FlagController(database: database, configuration: configuration).endpoints
        + SearchController(database: database, configuration: configuration).endpoints
        + MerchantRecordController(database: database, configuration: configuration).endpoints
        + ClusterController(database: database, configuration: configuration).endpoints
        + CollectiveController(database: database, configuration: configuration).endpoints
        + SupplementController(database: database, configuration: configuration).endpoints
        + TermsController(database: database, configuration: configuration).endpoints
        + TriageController(database: database, configuration: configuration).endpoints
        + EventController(database: database, configuration: configuration).endpoints
        + WebhookController(database: database, configuration: configuration).endpoints
        + NotificationController(database: database, configuration: configuration).endpoints
        + EvidenceController(database: database, configuration: configuration, gate: dependencies.uploads).endpoints
        + DossierController(database: database, configuration: configuration).endpoints
        + StatisticsController(database: database, configuration: configuration).endpoints
        + PublicReportController(database: database, configuration: configuration).endpoints
}

/// The console's pages.
func consoleEndpoints(_ dependencies: AppDependencies) -> [Endpoint] {
    let database = dependencies.database, configuration = dependencies.configuration
    return ConsoleController(
        database: database, configuration: configuration,
        signIn: SignIn(database: database, hasher: dependencies.hasher, configuration: configuration, decoyHash: dependencies.decoyHash),
        sessions: dependencies.sessions, writes: dependencies.writes, uploads: dependencies.uploads,
        enrolment: SecondFactorEnrolment(
            database: database, hasher: dependencies.hasher, configuration: configuration, sessions: dependencies.sessions),
        registration: Registration(database: database, hasher: dependencies.hasher, configuration: configuration),
        passwordReset: PasswordReset(database: database, hasher: dependencies.hasher, configuration: configuration, sessions: dependencies.sessions),
        accounts: AccountController(database: database, hasher: dependencies.hasher, configuration: configuration, sessions: dependencies.sessions)
    ).endpoints
}

public func buildRouter(_ dependencies: AppDependencies) -> Router<RedressRequestContext> {
    let router = Router(context: RedressRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: DisplayTimeZoneMiddleware(timeZone: dependencies.configuration.timeZone))
    router.add(middleware: RequestIDMiddleware(trustedProxies: dependencies.configuration.trustedProxies))
    router.add(middleware: ProblemMiddleware(metrics: dependencies.database.metrics, keys: dependencies.database.keys))
    router.add(middleware: AuthenticationMiddleware(
            database: dependencies.database, sessions: dependencies.sessions, idleTimeout: dependencies.configuration.sessionIdleTimeout,
            secondFactorRoles: dependencies.configuration.secondFactorRoles))
    let endpoints = apiEndpoints(dependencies)
    for endpoint in endpoints {
        router.on(RouterPath(endpoint.path), method: endpoint.method, use: endpoint.handler)
    }
    addMethodNotAllowed(to: router, for: endpoints)
    // The console's pages: HTML, outside the API's document (Docs/console.md).
    let console = consoleEndpoints(dependencies)
    for endpoint in console {
        router.on(RouterPath(endpoint.path), method: endpoint.method, use: endpoint.handler)
    }
    addMethodNotAllowed(to: router, for: console)
    if dependencies.configuration.servesMetricsOnAPIPort {
        router.get("/metrics", use: dependencies.metricsController.metrics)
    }
    return router
}

/// The router of the separate metrics port (`REDRESS_METRICS_PORT`): `/metrics` alone.
public func buildMetricsRouter(_ dependencies: AppDependencies) -> Router<RedressRequestContext> {
    let router = Router(context: RedressRequestContext.self)
    router.add(middleware: RequestIDMiddleware())
    // Scrapes are rendered and logged like any request, but not counted among the API's requests.
    router.add(middleware: ProblemMiddleware(metrics: ServiceMetrics()))
    router.get("/metrics", use: dependencies.metricsController.metrics)
    return router
}

/// A known path asked with a method it does not have answers 405 with `Allow` listing the ones it
/// has (RFC 9110 §15.5.6), not 404: the path exists, and a client should learn what it can do there.
func addMethodNotAllowed(to router: Router<RedressRequestContext>, for endpoints: [Endpoint]) {
    let candidates: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options, .trace, HTTPRequest.Method("QUERY")!]
    let methodsByPath = Dictionary(grouping: endpoints, by: \.path).mapValues { Set($0.map(\.method)) }
    for (path, declared) in methodsByPath {
        // HEAD is answered wherever GET is (Hummingbird serves it from the GET route).
        let allowed = declared.union(declared.contains(.get) ? [.head] : [])
        let allow = candidates.filter(allowed.contains).map(\.rawValue).joined(separator: ", ")
        for method in candidates where !allowed.contains(method) {
            router.on(RouterPath(path), method: method) { _, context -> Response in
                var response = ProblemMiddleware.render(RedressError(.methodNotAllowed), context: context)
                response.headers[.allow] = allow
                return response
            }
        }
    }
}

/// The HTTP service; `services` run beside it (the PostgreSQL client must, before any query).
public func buildApplication(
    _ dependencies: AppDependencies, services: [any Service], logger: Logger,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    Application(
        router: buildRouter(dependencies),
        configuration: .init(address: .hostname(dependencies.configuration.host, port: dependencies.configuration.port), serverName: "redress"),
        services: services,
        onServerRunning: onServerRunning,
        logger: logger)
}

/// Serves until SIGTERM or SIGINT, then drains in-flight requests and returns.
/// Graceful shutdown drains in-flight requests, bounded at 20 s: then whatever still runs is cancelled,
/// to be gone within the 30 s an orchestrator usually waits before SIGKILL. The bound cannot free work
/// that ignores cancellation — `make faults` found a request waiting forever on a closed database
/// connection, fixed where it happened (`Database.inTransaction`), not here.
public func serve(_ dependencies: AppDependencies, services: [any Service], logger: Logger) async throws {
    var services = services
    if let port = dependencies.configuration.metricsPort {
        services.append(
            Application(
                router: buildMetricsRouter(dependencies),
                configuration: .init(address: .hostname(dependencies.configuration.host, port: port), serverName: "redress-metrics"),
                logger: logger))
    } else if !dependencies.configuration.servesMetricsOnAPIPort {
        logger.notice("/metrics is not served: the API is exposed beyond loopback; set REDRESS_METRICS_TOKEN or REDRESS_METRICS_PORT")
    }
    let application = buildApplication(dependencies, services: services, logger: logger)
    var configuration = ServiceGroupConfiguration(services: [application], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
    configuration.maximumGracefulShutdownDuration = .seconds(20)
    do {
        try await ServiceGroup(configuration: configuration).run()
    } catch let error as ServiceGroupError {
        logger.warning("graceful shutdown did not finish within 20 s: cancelled what remained", metadata: ["error": "\(error)"])
    }
}
