import Foundation
import Logging
import PostgresNIO
import RedressCore
import ServiceLifecycle

/// How the executable reaches PostgreSQL without knowing PostgresNIO: pools, monitors and the
/// services that run them are made here, from addresses.
extension Database {
    /// A pool of at most `poolSize` connections to `url`. Its `pool` service must run for as long
    /// as the database is used (`withRunningPool` does that for a command).
    public convenience init(
        url: DatabaseURL, poolSize: Int, keys: Keyring, clock: any RedressClock = SystemClock(), metrics: ServiceMetrics = ServiceMetrics(),
        replica: ReadReplica? = nil, logger: Logger
    ) {
        self.init(
            client: PostgresClient(configuration: url.poolConfiguration(size: poolSize), backgroundLogger: logger), keys: keys, clock: clock,
            metrics: metrics, replica: replica, logger: logger)
    }

    /// The service that keeps the pool's connections.
    public var pool: any Service { client }

    /// Runs `body` while the pool runs, and stops the pool after it.
    public func withRunningPool<T: Sendable>(_ body: @Sendable (Database) async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { await self.client.run(); return nil }
            defer { group.cancelAll() }
            return try await body(self)
        }
    }

    /// Whether the pool's login role is a superuser (the demo generator writes as one).
    public func isSuperuser() async throws -> Bool {
        try await client.query("SELECT rolsuper FROM pg_roles WHERE rolname = current_user", logger: logger)
            .collect().first?.decode(Bool.self) ?? false
    }
}

extension ReadReplica {
    /// A pool of at most `poolSize` connections to the standby at `url`.
    public convenience init(url: DatabaseURL, poolSize: Int, maximumLag: Duration, logger: Logger) {
        self.init(client: PostgresClient(configuration: url.poolConfiguration(size: poolSize), backgroundLogger: logger), maximumLag: maximumLag)
    }

    /// The service that keeps the pool's connections.
    public var pool: any Service { client }
}

extension DatabaseURL {
    /// A service pool of at most `size` connections. (Keeping all of them open would spare the idle
    /// timer PostgresNIO starts each time a connection goes back to the pool, but PostgresNIO 1.33
    /// requires its minimum below the maximum, and a minimum above zero can trap its pool's state
    /// machine when connections fail while requests wait.)
    func poolConfiguration(size: Int) -> PostgresClient.Configuration {
        var configuration = clientConfiguration
        configuration.options.maximumConnections = size
        return configuration
    }
}

extension DatabaseMonitor {
    /// Watches the server at `url` with a connection of its own.
    public init(url: DatabaseURL, availability: DatabaseAvailability, logger: Logger) throws {
        self.init(configuration: try url.connectionConfiguration(), availability: availability, logger: logger)
    }
}

extension ReplicaMonitor {
    /// Measures how far the standby at `standby` is behind the primary at `primary`.
    public init(primary: DatabaseURL, standby: DatabaseURL, replica: ReadReplica, logger: Logger) throws {
        self.init(primary: try primary.connectionConfiguration(), standby: try standby.connectionConfiguration(), replica: replica, logger: logger)
    }
}

/// A database error as an operator at the command line should read it: PostgresNIO's errors describe
/// themselves vaguely on purpose (they may hold query data); there, their full reflection is what
/// helps. `nil` for any other error.
public func operatorDescription(ofDatabaseError error: any Error) -> String? {
    switch error {
    case let error as PSQLError: String(reflecting: error)
    case let error as PostgresTransactionError: String(reflecting: error)
    default: nil
    }
}
