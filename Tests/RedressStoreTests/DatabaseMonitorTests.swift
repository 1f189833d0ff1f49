import Foundation
import PostgresNIO
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
}
