import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// Hears, on a connection of its own, every committed change of an account's sessions (a disabling,
/// a role change, a reset, a sign-out: `Transaction.announceSessionChange`) and passes the account on,
/// so that this replica drops what it cached of them at once rather than after the cache's lifetime.
///
/// `listening(true)` comes once the LISTEN is in place, `listening(false)` whenever the connection is
/// lost: announcements made meanwhile are missed, so the cache must not be trusted until the next
/// `listening(true)` (which follows a reconnection, after which the cache starts empty). A connection
/// can also die without telling (a half-open TCP connection): the listener announces a heartbeat to
/// itself every `heartbeatInterval`, through PostgreSQL, and `heartbeat()` comes when it is heard;
/// the cache trusts itself only while heartbeats keep coming.
public struct SessionAnnouncementListener: Service {
    let configuration: PostgresConnection.Configuration
    let logger: Logger
    let changed: @Sendable (UUID) -> Void
    let listening: @Sendable (Bool) -> Void
    let heartbeat: @Sendable () -> Void
    public static let heartbeatInterval: Duration = .seconds(2)
    static let heartbeatPayload = "heartbeat"

    public init(
        url: DatabaseURL, logger: Logger, changed: @escaping @Sendable (UUID) -> Void, listening: @escaping @Sendable (Bool) -> Void,
        heartbeat: @escaping @Sendable () -> Void
    ) throws {
        self.configuration = try url.connectionConfiguration()
        self.logger = logger
        self.changed = changed
        self.listening = listening
        self.heartbeat = heartbeat
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var id = 2_000_000
            var failures = 0
            while !Task.isCancelled {
                id += 1
                do {
                    try await DatabaseMonitor.onFreshConnection(configuration, id: id, logger: logger) { connection in
                        try await connection.listen(on: SessionAnnouncements.channel) { notifications in
                            listening(true)
                            failures = 0
                            try await withThrowingTaskGroup(of: Void.self) { group in
                                group.addTask {
                                    for try await notification in notifications {
                                        if notification.payload == Self.heartbeatPayload {
                                            heartbeat()
                                        } else if let account = UUID(uuidString: notification.payload) {
                                            changed(account)
                                        }
                                    }
                                }
                                group.addTask {
                                    while true {
                                        try await connection.query(
                                            "SELECT pg_notify(\(SessionAnnouncements.channel), \(Self.heartbeatPayload))", logger: logger)
                                        try await Task.sleep(for: Self.heartbeatInterval)
                                    }
                                }
                                // Either ending (the connection failed) ends both: reconnect.
                                _ = try await group.next()
                                group.cancelAll()
                            }
                        }
                    }
                } catch {
                    if !Task.isCancelled, failures == 0 {
                        logger.warning("lost the session announcements: tokens are checked in the database until they are back",
                                       metadata: ["error": "\(String(reflecting: error))"])
                    }
                }
                listening(false)
                failures += 1
                // Back off up to 5 s while PostgreSQL is away.
                try? await Task.sleep(for: .milliseconds(min(5_000, 100 * failures)))
            }
        }
    }
}
