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

/// The test run's SMTP server (STARTTLS and a password required) and what it accepted.
public enum TestMailbox {
    /// Mail settings that submit to it, trusting the run's authority.
    public static func mailSettings() throws -> MailSettings {
        guard var smtp = SMTPSettings(url: try TestReceivers.environment("REDRESS_TEST_SMTP_URL")) else { throw TestReceivers.Missing() }
        smtp.additionalTrustRootsFile = try TestReceivers.environment("REDRESS_TEST_CA_FILE")
        var settings = MailSettings()
        settings.transport = .smtp(smtp)
        settings.from = "Redress <noreply@redress.test>"
        settings.publicURL = "https://redress.test"
        return settings
    }

    /// One accepted mail, decoded.
    public struct Mail: Sendable {
        public let to: [String]
        public let tls: Bool
        public let authenticated: Bool
        public let headers: String
        public let body: String

        public func header(_ name: String) -> String? {
            headers.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
                .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
        }

        /// The subject with its RFC 2047 words decoded.
        public var subject: String {
            let raw = headers.components(separatedBy: "\r\n").drop { !$0.lowercased().hasPrefix("subject:") }
            var lines = [String]()
            for (index, line) in raw.enumerated() {
                if index > 0 && !line.hasPrefix(" ") { break }
                lines.append(index == 0 ? String(line.dropFirst("Subject:".count)) : line)
            }
            return lines.map { $0.trimmingCharacters(in: .whitespaces) }.map { word -> String in
                guard word.hasPrefix("=?UTF-8?B?"), word.hasSuffix("?="),
                    let data = Data(base64Encoded: String(word.dropFirst(10).dropLast(2)))
                else { return word }
                return String(decoding: data, as: UTF8.self)
            }.joined()
        }
    }

    /// Every mail the server accepted whose body contains `text`.
    public static func mails(containing text: String) async throws -> [Mail] {
        let base = try TestReceivers.environment("REDRESS_TEST_MAILBOX")
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        defer { _ = client.shutdown() }
        let response = try await client.execute(HTTPClientRequest(url: base + "/messages"), timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 64 * 1024 * 1024)
        let all = JSON(data: Data(bytes.readableBytesView))?.array ?? []
        return all.compactMap { item -> Mail? in
            guard let data = item["data"].string, let split = data.range(of: "\r\n\r\n") else { return nil }
            let encoded = data[split.upperBound...].components(separatedBy: "\r\n").joined()
            let body = Data(base64Encoded: encoded).map { String(decoding: $0, as: UTF8.self) } ?? ""
            guard body.contains(text) else { return nil }
            return Mail(
                to: item["to"].strings, tls: item["tls"].bool ?? false, authenticated: item["authenticated"].bool ?? false,
                headers: String(data[..<split.lowerBound]), body: body)
        }
    }
}
