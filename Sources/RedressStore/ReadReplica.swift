import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// A streaming standby that statistics and public reports read from while it is fresh enough
/// (`REDRESS_REPLICA_URL`, `REDRESS_REPLICA_MAX_LAG_SECONDS`). Everything else — and these reads too,
/// whenever the standby is further behind than `maximumLag` or cannot be reached — goes to the primary.
public final class ReadReplica: Sendable {
    public let client: PostgresClient
    public let maximumLag: Duration
    /// How far behind the primary the standby's data is, in milliseconds, as `ReplicaMonitor` last
    /// measured it; `Int.max` when unknown (not measured yet, unreachable, or not a standby).
    private let lagMilliseconds = Atomic<Int>(Int.max)
    /// Transactions waiting for a connection of the standby: abandoned when it stops being fresh.
    let waiting = WaitingLeases()

    public init(client: PostgresClient, maximumLag: Duration) {
        self.client = client
        self.maximumLag = maximumLag
    }

    /// nil when the standby cannot be used at all.
    public var lag: Duration? {
        let value = lagMilliseconds.load(ordering: .sequentiallyConsistent)
        return value == Int.max ? nil : .milliseconds(value)
    }

    public var isFresh: Bool { lag.map { $0 <= maximumLag } ?? false }

    func record(lag: Duration?) {
        let milliseconds = lag.map { Int($0.components.seconds) * 1000 + Int($0.components.attoseconds / 1_000_000_000_000_000) }
        lagMilliseconds.store(milliseconds ?? Int.max, ordering: .sequentiallyConsistent)
        if !isFresh { waiting.abandonAll() }
    }

    /// After a failed read: the primary serves until the monitor sees the standby again.
    func markUnusable() { record(lag: nil) }
}

/// Measures the standby's lag as the age of the newest data it is known to hold: every half second it
/// reads the primary's WAL position, keeps the positions of the last minutes with the time they were
/// read, and asks the standby how far it has replayed. The newest position the standby has replayed
/// past tells the moment its data is at least as fresh as. (The time of the last replayed commit
/// alone would call an idle, fully caught-up standby stale.) Fresh connections per probe, as
/// `DatabaseMonitor`, so that a probe never waits on a connection the server closed.
public struct ReplicaMonitor: Service {
    let primary: PostgresConnection.Configuration
    let standby: PostgresConnection.Configuration
    let replica: ReadReplica
    let logger: Logger
    let interval: Duration

    public init(
        primary: PostgresConnection.Configuration, standby: PostgresConnection.Configuration, replica: ReadReplica, logger: Logger,
        interval: Duration = .milliseconds(500)
    ) {
        self.primary = primary
        self.standby = standby
        self.replica = replica
        self.logger = logger
        self.interval = interval
    }

    struct Sample {
        let position: Int64
        let at: ContinuousClock.Instant
    }

    enum ProbeError: Error, CustomStringConvertible {
        case notAStandby
        var description: String { "the replica address is not a standby in recovery (pg_is_in_recovery() is false)" }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var samples: [Sample] = []
            var usable: Bool? = nil
            var id = 2_000_000
            while !Task.isCancelled {
                do {
                    id += 2
                    let sampledAt = ContinuousClock.now
                    let position = try await Self.position(
                        "SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint", configuration: primary, id: id, logger: logger)
                    samples.append(Sample(position: position ?? 0, at: sampledAt))
                    let horizon = replica.maximumLag + .seconds(60)
                    samples.removeAll { sampledAt - $0.at > horizon }
                    guard let replayed = try await Self.position(
                        "SELECT CASE WHEN pg_is_in_recovery() THEN (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint END",
                        configuration: standby, id: id + 1, logger: logger)
                    else { throw ProbeError.notAStandby }
                    let newestHeld = samples.last { $0.position <= replayed }
                    replica.record(lag: newestHeld.map { ContinuousClock.now - $0.at })
                    if usable != true {
                        logger.notice("reading statistics and reports from the standby", metadata: ["lag": "\(replica.lag.map { "\($0)" } ?? "more than the kept history")"])
                        usable = true
                    }
                } catch {
                    replica.markUnusable()
                    if usable != false {
                        logger.error("the standby cannot be read: statistics and reports come from the primary", metadata: ["error": "\(String(reflecting: error))"])
                        usable = false
                    }
                }
                try? await Task.sleep(for: interval)
            }
        }
    }

    static func position(_ sql: String, configuration: PostgresConnection.Configuration, id: Int, logger: Logger) async throws -> Int64? {
        try await DatabaseMonitor.onFreshConnection(configuration, id: id, logger: logger) { connection in
            var value: Int64? = nil
            for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger) {
                value = try row.decode(Int64?.self)
            }
            return value
        }
    }
}
