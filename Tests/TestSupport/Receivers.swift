import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import RedressAPI
import RedressCore

/// The test run's real receivers (Deploy/test-receivers.sh), named by the environment.
public enum TestReceivers {
    public struct Missing: Error, CustomStringConvertible {
        public let description = "REDRESS_TEST_WEBHOOK_RECEIVER and REDRESS_TEST_CA_FILE are unset: run the tests with Deploy/with-test-postgres.sh"
    }

    static func environment(_ name: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { throw Missing() }
        return value
    }

    /// Webhook settings that reach the receivers: loopback allowed, the run's authority trusted.
    public static func webhookSettings() throws -> WebhookSettings {
        var settings = WebhookSettings()
        settings.networks = WebhookNetworkPolicy(allowed: [NetworkRange("127.0.0.0/8")!])
        settings.additionalTrustRootsFile = try environment("REDRESS_TEST_CA_FILE")
        return settings
    }
}

/// One endpoint of the HTTPS webhook receiver, of its own name: what it was sent, and how it answers.
public struct WebhookReceiver: Sendable {
    public let base: String
    public let name: String
    let caFile: String

    public init() throws {
        base = try TestReceivers.environment("REDRESS_TEST_WEBHOOK_RECEIVER")
        caFile = try TestReceivers.environment("REDRESS_TEST_CA_FILE")
        name = UUID().uuidString.lowercased()
    }

    /// The address to register.
    public var url: String { "\(base)/hooks/\(name)" }

    /// Sets how it checks and answers: `secrets`, `fail` (the next n answered 503), `status`,
    /// `redirect`, `delay` (seconds).
    public func control(_ settings: [String: Any]) async throws {
        _ = try await call(.POST, "/control/\(name)", body: try JSONSerialization.data(withJSONObject: settings))
    }

    /// Every delivery it received, in order.
    public func received() async throws -> [JSON] {
        JSON(data: try await call(.GET, "/received/\(name)", body: nil))?.array ?? []
    }

    private func call(_ method: HTTPMethod, _ path: String, body: Data?) async throws -> Data {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.additionalTrustRoots = [.file(caFile)]
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: .init(tlsConfiguration: tls))
        do {
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
            let response = try await client.execute(request, timeout: .seconds(10))
            let bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
            try await client.shutdown()
            return Data(bytes.readableBytesView)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}
