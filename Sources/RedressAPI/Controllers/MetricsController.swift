import Crypto
import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus
import RedressCore
import RedressStore
import Synchronization

/// `/metrics` in Prometheus's text format (Docs/operations.md names every series). Not part of the
/// API document: it is for the operator's Prometheus, and never public (`APIConfiguration.servesMetricsOnAPIPort`).
struct MetricsController {
    let database: Database
    let registry: PrometheusCollectorRegistry
    let tokenDigest: [UInt8]?
    let openCases: OpenCaseCounter

    init(database: Database, registry: PrometheusCollectorRegistry, token: String?, openCases: OpenCaseCounter) {
        self.database = database
        self.registry = registry
        self.tokenDigest = token.map { Array(SHA256.hash(data: Data($0.utf8))) }
        self.openCases = openCases
    }

    @Sendable func metrics(_ request: Request, context: RedressRequestContext) async throws -> Response {
        try authorize(request)
        await refreshGauges(logger: context.logger)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64 * 1024)
        registry.emit(into: &bytes)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// With a token configured, `Authorization: Bearer <token>` is required; compared as digests, in
    /// constant time, so neither the length nor a prefix of the token leaks through timing.
    func authorize(_ request: Request) throws {
        guard let tokenDigest else { return }
        let given = request.headers[.authorization].flatMap { header -> String? in
            let parts = header.split(separator: " ", maxSplits: 1)
            return parts.count == 2 && parts[0].lowercased() == "bearer" ? String(parts[1]) : nil
        }
        let givenDigest = Array(SHA256.hash(data: Data((given ?? "").utf8)))
        var difference: UInt8 = given == nil ? 1 : 0
        for (a, b) in zip(givenDigest, tokenDigest) { difference |= a ^ b }
        if difference != 0 { throw RedressError(.unauthenticated, detail: "Use Authorization: Bearer <the metrics token>.") }
    }

    /// The gauges are read now, not kept current as things happen.
    func refreshGauges(logger: Logger) async {
        let metrics = database.metrics
        metrics.gauge("redress_database_up", database.availability.isDown ? 0 : 1)
        metrics.gauge("redress_db_pool_connections_in_use", metrics.connectionsInUse)
        metrics.gauge("redress_db_pool_waiting", metrics.requestsWaitingForConnection)
        if let replica = database.replica {
            metrics.gauge("redress_replica_usable", replica.isFresh ? 1 : 0)
            metrics.gauge("redress_replica_lag_seconds", replica.lag.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 } ?? -1)
        }
        if let (counts, pending) = await openCases.counts(logger: logger) {
            metrics.gauge("redress_outbox_pending", Double(pending.count))
            let age = pending.oldest.map { max(0, database.clock.now().timeIntervalSince($0)) } ?? 0
            metrics.gauge("redress_outbox_oldest_pending_seconds", age)
            metrics.gauge("redress_mail_pending", Double(pending.mails))
            let byState = Dictionary(uniqueKeysWithValues: counts.map { ($0.state, $0) })
            // Every open state is written, zero included, so that a state that empties shows 0.
            for state in ComplaintState.allCases where !state.isTerminal {
                metrics.gauge("redress_complaints_open", byState[state.rawValue]?.open ?? 0, dimensions: [("state", state.rawValue)])
                metrics.gauge("redress_complaints_overdue", byState[state.rawValue]?.overdue ?? 0, dimensions: [("state", state.rawValue)])
            }
        }
    }
}

/// The open cases by state and the webhook deliveries waiting, counted at most every `maximumAge`: a
/// scrape every few seconds from several Prometheus servers costs two small index scans, not two each.
final class OpenCaseCounter: Sendable {
    let database: Database
    let maximumAge: Duration
    typealias Counts = (cases: [OpenCaseCount], pending: (count: Int, oldest: Date?, mails: Int))
    private let cached = Mutex<(at: ContinuousClock.Instant, counts: Counts)?>(nil)

    init(database: Database, maximumAge: Duration = .seconds(10)) {
        self.database = database
        self.maximumAge = maximumAge
    }

    /// nil when they cannot be counted now (the database is away): the gauges keep their last values.
    func counts(logger: Logger) async -> Counts? {
        if let cached = cached.withLock({ $0 }), ContinuousClock.now - cached.at < maximumAge { return cached.counts }
        do {
            let counts = try await database.transaction(as: DatabaseIdentity(role: "system"), origin: .commandLine) {
                let deliveries = try await $0.pendingDeliveries()
                return (try await $0.openCaseCounts(), (deliveries.count, deliveries.oldest, try await $0.pendingMails().count))
            }
            cached.withLock { $0 = (ContinuousClock.now, counts) }
            return counts
        } catch {
            logger.warning("could not count the open cases for /metrics", metadata: ["error": "\(String(reflecting: error))"])
            return nil
        }
    }
}

extension ServiceMetrics {
    /// Measurements kept in a Prometheus registry of their own, for `/metrics`.
    public static func prometheus() -> ServiceMetrics {
        var factory = PrometheusMetricsFactory(registry: PrometheusCollectorRegistry())
        // Most requests take a few milliseconds: finer buckets at the low end than the defaults.
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        ]
        return ServiceMetrics(factory: factory)
    }

    var prometheusRegistry: PrometheusCollectorRegistry? { (factory as? PrometheusMetricsFactory)?.registry }
}
