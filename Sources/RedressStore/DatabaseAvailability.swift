import Logging
import PostgresNIO
import RedressCore
import ServiceLifecycle
import Synchronization

/// Whether PostgreSQL is reachable, as the service last saw it. While it is not, requests are answered
/// 503 at once instead of queueing for a pooled connection that cannot be made (the pool would keep
/// them waiting until its circuit breaker trips, a minute later). `DatabaseMonitor` keeps it current.
public final class DatabaseAvailability: Sendable {
    private let down = Atomic<Bool>(false)
    /// Transactions waiting for a connection of the primary: abandoned when it is seen down.
    let waiting = WaitingLeases()

    public init() {}

    public var isDown: Bool { down.load(ordering: .acquiring) }

    /// For tests: as after a lost connection.
    public func markDownForTesting() { set(down: true) }

    /// Returns whether this call changed the state (so the change is logged once).
    @discardableResult
    func set(down value: Bool) -> Bool {
        let changed = down.exchange(value, ordering: .acquiringAndReleasing) != value
        if value { waiting.abandonAll() }
        return changed
    }

    /// The answer while PostgreSQL is away: clients may retry after a second.
    static let unavailable = RedressError(.unavailable, detail: "The database is not reachable; try again shortly.", retryAfterSeconds: 1)

    /// Errors that mean the connection or the server went away, not that a statement failed.
    static func isConnectionFailure(_ error: any Error) -> Bool {
        if let psql = error as? PSQLError {
            if let state = psql.serverInfo?[.sqlState] {
                // 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now, class 08 connection exceptions.
                return ["57P01", "57P02", "57P03"].contains(state) || state.hasPrefix("08")
            }
            return [.connectionError, .serverClosedConnection, .uncleanShutdown, .poolClosed].contains(psql.code)
        }
        return false
    }
}

/// Watches PostgreSQL with connections of its own (not the pool's): a new connection and `SELECT 1`
/// every half second while it answers, every fifth of a second while it does not. The service notices
/// a stopped server within half a second, and serves again as soon as it accepts connections. A fresh
/// connection per probe on purpose: PostgresNIO 1.33 loses a query written to a connection the server
/// has closed (see `Database.inTransaction`), and a probe must never wait forever.
public struct DatabaseMonitor: Service {
    let configuration: PostgresConnection.Configuration
    let availability: DatabaseAvailability
    let logger: Logger

    public init(configuration: PostgresConnection.Configuration, availability: DatabaseAvailability, logger: Logger) {
        self.configuration = configuration
        self.availability = availability
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var id = 1_000_000
            while !Task.isCancelled {
                id += 1
                var failure: (any Error)? = nil
                do {
                    _ = try await Self.onFreshConnection(configuration, id: id, logger: logger) { try await $0.query("SELECT 1", logger: logger) }
                } catch {
                    failure = error
                }
                if Task.isCancelled { return }
                if availability.set(down: failure != nil) {
                    if let failure {
                        logger.error("the database is not reachable", metadata: ["error": "\(String(reflecting: failure))"])
                    } else {
                        logger.notice("the database is reachable again")
                    }
                }
                try? await Task.sleep(for: .milliseconds(failure == nil ? 500 : 200))
            }
        }
    }
}

extension DatabaseMonitor {
    /// Runs `body` on a connection of its own, closed afterwards whatever happens: the monitors' probes.
    static func onFreshConnection<T>(
        _ configuration: PostgresConnection.Configuration, id: Int, logger: Logger, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger)
        do {
            let value = try await body(connection)
            try? await connection.close()
            return value
        } catch {
            try? await connection.close()
            throw error
        }
    }
}

/// Set once a transaction holds its pooled connection.
final class LeaseFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// A value handed to a child task that the parent only waits for (see `Database.transaction`).
struct UncheckedSendableBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
