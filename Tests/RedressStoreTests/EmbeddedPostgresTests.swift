import Foundation
import Logging
import PostgresNIO
@testable import RedressStore
import StoreTestSupport
import Testing

@Suite("Private PostgreSQL")
struct EmbeddedPostgresTests {
    @Test func startsOnLoopbackKeepsItsCredentialsRestartsAndStops() async throws {
        let folder = URL(fileURLWithPath: "/tmp/redress-embedded-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = EmbeddedPostgres(folder: folder, logger: TestDatabase.logger)
        let first = try await server.start()
        #expect(first.host == "127.0.0.1")
        let listen = try await TestDatabase.connect(first) { try await $0.scalar("SHOW listen_addresses", as: String.self) }
        #expect(listen == "127.0.0.1")
        try await TestDatabase.connect(first) { try await $0.query("CREATE TABLE kept (id int)", logger: TestDatabase.logger) }
        let attributes = try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("credentials.json").path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        await server.stop()
        await #expect(throws: (any Error).self) {
            try await TestDatabase.connect(first) { _ in }
        }

        let again = EmbeddedPostgres(folder: folder, logger: TestDatabase.logger)
        let second = try await again.start()
        #expect(second.password == first.password)
        let kept = try await TestDatabase.connect(second) { try await $0.scalar("SELECT count(*)::int FROM pg_tables WHERE tablename = 'kept'", as: Int.self) }
        #expect(kept == 1)
        // A second server on the same folder is refused instead of stopping the first.
        await #expect(throws: EmbeddedPostgres.Failure.self) {
            _ = try await EmbeddedPostgres(folder: folder, logger: TestDatabase.logger).start()
        }
        await again.stop()
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("pgdata/postmaster.pid").path))
    }
}
