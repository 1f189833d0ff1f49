import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PostgresNIO
import RedressAPI
import RedressCore
import RedressStore
import StoreTestSupport

/// One application on its own fresh database, driven through the real router.
public struct TestApp: Sendable {
    public let client: any TestClientProtocol
    public let database: TestDatabase.Copy
    public let store: Database
    /// The route table the application was built from.
    public let endpoints: [Endpoint]
    /// The test world, when the database was copied with it (`withTestApp(world: .seeded)`).
    public let seededWorld: World?

    /// Sends a request; `json` is encoded as the body with `Content-Type: application/json`.
    public func request(
        _ method: HTTPRequest.Method, _ path: String, token: String? = nil, json: Any? = nil,
        headers: HTTPFields = [:], rawBody: ByteBuffer? = nil
    ) async throws -> TestResponse {
        var headers = headers
        if let token { headers[.authorization] = "Bearer \(token)" }
        var body = rawBody
        if let json {
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
            if headers[.contentType] == nil { headers[.contentType] = "application/json" }
        }
        return try await client.execute(uri: path, method: method, headers: headers, body: body)
    }

    /// Runs `body` on an owner (superuser) connection to this test's database.
    public func asOwner<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await TestDatabase.connect(database.ownerURL, body)
    }

    /// Runs `body` on a connection that logs in as the request role, outside any transaction.
    public func asRequestRole<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await TestDatabase.connect(database.secrets.requestURL, body)
    }
}

/// `clock`: the service's clock, when a test moves time itself.
public func testConfiguration(clock: (any RedressClock)? = nil) -> APIConfiguration {
    // bcrypt at its minimum cost keeps the suite quick; the cost itself is tested separately.
    var configuration = APIConfiguration(host: "127.0.0.1", port: 0, maxJSONBodyBytes: 16 * 1024, bcryptCost: 10)
    if let clock { configuration.clock = clock }
    // /metrics counts the open cases afresh at every scrape, so that a test sees what it just did.
    configuration.openCaseCountSeconds = 0
    // Suites that set up many cases do so as a few consumers; the limits are tested on their own.
    configuration.filingsPerDay = 10_000
    configuration.messagesPerCasePerHour = 10_000
    configuration.loginThrottle.registrationsPerAddress = 10_000
    configuration.loginThrottle.signInsPerAccount = 10_000
    configuration.writesInFlightPerAccount = 1_000
    // Many filings by one consumer at once wait for each other's count; on a loaded machine, long.
    configuration.quotaLockWait = .seconds(120)
    configuration.concurrentUploadsPerAddress = 1_000
    // The seeded world's tokens were made at its own time, long before the tests' now.
    configuration.sessionIdleTimeout = .seconds(20 * 366 * 86_400)
    // The world's administrators act without a second factor; its own tests require it.
    configuration.secondFactorRoles = []
    return configuration
}

/// What a test's database starts with.
public enum TestWorld: Sendable {
    /// The schema only.
    case empty
    /// The test world of `makeWorld()`, built once through the API into a template and copied:
    /// `makeWorld()` then returns it without a request.
    case seeded
}

/// Builds the application on a fresh database, runs `body` against it, and always cleans up.
public func withTestApp<T: Sendable>(
    _ setup: TestingSetup = .router, configuration: APIConfiguration = testConfiguration(), poolSize: Int? = nil,
    logger: Logger = TestDatabase.logger, world: TestWorld = .empty, _ body: @Sendable (TestApp) async throws -> T
) async throws -> T {
    let copy: TestDatabase.Copy
    var seededWorld: World?
    switch world {
    case .empty: copy = try await TestDatabase.shared.copy()
    case .seeded: (copy, seededWorld) = try await TestDatabase.shared.copy(derived: "world") { try await World.seed(into: $0) }
    }
    do {
        let result = try await withTestApp(on: copy, setup, configuration: configuration, poolSize: poolSize, logger: logger, seededWorld: seededWorld, body)
        try? await TestDatabase.shared.drop(copy)
        return result
    } catch {
        try? await TestDatabase.shared.drop(copy)
        throw error
    }
}

/// Builds the application on `copy`, runs `body` against it, and stops it (every connection closed);
/// the database stays.
public func withTestApp<T: Sendable>(
    on copy: TestDatabase.Copy, _ setup: TestingSetup = .router, configuration: APIConfiguration, poolSize: Int? = nil,
    logger: Logger = TestDatabase.logger, seededWorld: World? = nil, _ body: @Sendable (TestApp) async throws -> T
) async throws -> T {
    var clientConfiguration = copy.secrets.requestURL.clientConfiguration
    if let poolSize { clientConfiguration.options.maximumConnections = poolSize }
    let client = PostgresClient(configuration: clientConfiguration, backgroundLogger: logger)
    let store = Database(
        client: client, keys: TestDatabase.keys, clock: configuration.clock, metrics: .prometheus(), logger: logger)
    do {
        let dependencies = try await AppDependencies.make(database: store, configuration: configuration)
        let announcements = try dependencies.sessionAnnouncements(url: copy.secrets.requestURL, logger: logger)
        let app = buildApplication(dependencies, services: [client, announcements], logger: logger)
        return try await app.test(setup) { testClient in
            // Tests of the session cache need it in use from their first request.
            let start = ContinuousClock.now
            while !dependencies.hearsSessionAnnouncements, ContinuousClock.now - start < .seconds(30) {
                try await Task.sleep(for: .milliseconds(5))
            }
            return try await body(TestApp(client: testClient, database: copy, store: store, endpoints: apiEndpoints(dependencies), seededWorld: seededWorld))
        }
    } catch let error as PSQLError {
        // PostgresNIO's description hides the server's message on purpose; tests want it.
        throw DescribedError(description: String(reflecting: error))
    }
}

public struct DescribedError: Error, CustomStringConvertible {
    public let description: String
}
