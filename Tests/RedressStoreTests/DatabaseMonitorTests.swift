import Foundation
import PostgresNIO
import RedressCore
import RedressStore
import ServiceLifecycle
import StoreTestSupport
import Testing

/// The monitor marks the database unreachable within a second of it going away, and reachable again
/// as soon as it answers (Reliability/faults.py stops a real server; this checks the monitor alone).
@Suite("Database monitor")
struct DatabaseMonitorTests {
    func waitFor(_ availability: DatabaseAvailability, down: Bool) async throws -> Bool {
        for _ in 0..<50 {
            if availability.isDown == down { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    @Test func anUnreachableServerIsSeenDownAndAReachableOneUp() async throws {
        let copy = try await TestDatabase.shared.copy()
        defer { Task { try? await TestDatabase.shared.drop(copy) } }
        // Nothing listens on a port just freed.
        let socket = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let closedPort = socket.localAddress!.port!
        try await socket.close()
        var unreachable = try copy.secrets.requestURL.connectionConfiguration()
        unreachable = PostgresConnection.Configuration(
            host: "127.0.0.1", port: closedPort, username: unreachable.username, password: unreachable.password,
            database: unreachable.database, tls: .disable)

        let down = DatabaseAvailability()
        let reachable = DatabaseAvailability()
        reachable.markDownForTesting()
        let monitors = [
            DatabaseMonitor(configuration: unreachable, availability: down, logger: TestDatabase.logger),
            DatabaseMonitor(configuration: try copy.secrets.requestURL.connectionConfiguration(), availability: reachable, logger: TestDatabase.logger),
        ]
        let (sawDown, sawUp) = try await withThrowingTaskGroup(of: Void.self) { group in
            for monitor in monitors { group.addTask { try await monitor.run() } }
            let sawDown = try await waitFor(down, down: true)
            let sawUp = try await waitFor(reachable, down: false)
            group.cancelAll()
            return (sawDown, sawUp)
        }
        #expect(sawDown)
        #expect(sawUp)
    }

    /// A transaction waiting for a pooled connection when the database is seen down is answered 503 at
    /// once; the transaction holding the connection is not disturbed.
    @Test func aTransactionWaitingForAConnectionIsAbandonedWhenTheDatabaseIsSeenDown() async throws {
        let copy = try await TestDatabase.shared.copy()
        defer { Task { try? await TestDatabase.shared.drop(copy) } }
        let database = Database(url: copy.secrets.requestURL, poolSize: 1, keys: TestDatabase.keys, logger: TestDatabase.logger)
        let identity = DatabaseIdentity(role: "system")
        let origin = RequestOrigin.commandLine
        try await database.withRunningPool { database in
            let (held, holding) = AsyncStream.makeStream(of: Void.self)
            let (release, releasing) = AsyncStream.makeStream(of: Void.self)
            let holder = Task {
                // (Should the holder fail before it holds, the test goes on and fails rather than waits.)
                defer { holding.finish() }
                return try await database.transaction(as: identity, origin: origin) { _ -> Bool in
                    holding.yield()
                    for await _ in release { break }
                    return Task.isCancelled
                }
            }
            for await _ in held { break }
            let waiter = Task { () -> Result<Int, any Error> in
                do { return .success(try await database.transaction(as: identity, origin: origin) { _ in 2 }) } catch { return .failure(error) }
            }
            // The waiter waits in the pool (not refused before it asked) when the database is seen down.
            for _ in 0..<500 where database.metrics.requestsWaitingForConnection == 0 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(database.metrics.requestsWaitingForConnection == 1)
            database.availability.markDownForTesting()
            // Answered while the only connection is still held: abandoned, not served after the holder.
            let answer = await withTaskGroup(of: Result<Int, any Error>?.self) { group in
                group.addTask { await waiter.value }
                group.addTask {
                    // (Releasing the holder lets a waiter that was never abandoned end, and the group with it.)
                    try? await Task.sleep(for: .seconds(10))
                    releasing.yield()
                    return nil
                }
                defer { group.cancelAll() }
                return await group.next() ?? nil
            }
            releasing.yield()
            switch answer {
            case .failure(let error): #expect((error as? RedressError)?.code == .unavailable, "\(error)")
            case .success(let value): Issue.record("the waiting transaction was served (\(value)) while the connection was held")
            case nil: Issue.record("the waiting transaction was still waiting 10 s after the database was seen down")
            }
            #expect(try await holder.value == false, "the transaction holding the connection was cancelled")
        }
    }
}
