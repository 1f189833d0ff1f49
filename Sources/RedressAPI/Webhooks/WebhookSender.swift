import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import RedressCore
import RedressStore

#if canImport(Glibc)
import Glibc
#endif

/// Sends one delivery: resolves the endpoint's host, refuses it unless every address it resolves to
/// is permitted (WebhookNetworkPolicy), and connects to the address it checked — never resolving
/// again, so that a name cannot point elsewhere between the check and the connection. Redirects are
/// not followed; the attempt is bounded in time and in the response read.
struct WebhookSender: Sendable {
    let settings: WebhookSettings
    private let tls: TLSConfiguration

    init(settings: WebhookSettings) {
        self.settings = settings
        var tls = TLSConfiguration.makeClientConfiguration()
        if let file = settings.additionalTrustRootsFile { tls.additionalTrustRoots = [.file(file)] }
        self.tls = tls
    }

    /// Why an address is refused, in words for the delivery log and the registration's error.
    struct Refusal: Error, Equatable {
        let reason: String
    }

    /// Lookups block a thread until the name server answers: they get threads of their own, so that
    /// a name server that never answers cannot hold up password hashing or anything else, and each
    /// waits at most `lookupTimeLimit` (its thread is freed when the system gives up).
    static let lookups: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 4)
        pool.start()
        return pool
    }()
    static let lookupTimeLimit: Duration = .seconds(5)

    /// The address to connect to, checked; throws `Refusal` when the endpoint may not be reached.
    /// The refusal names no address: the delivery log must not map the operator's network.
    func checkedAddress(_ address: WebhookAddress) async throws -> IPBytes {
        let resolved: [IPBytes]
        if let literal = IPBytes(address.host) {
            resolved = [literal]
        } else {
            let host = address.host
            resolved = try await withTimeLimit(Self.lookupTimeLimit) { try await Self.lookups.runIfActive { try Self.resolve(host) } }
                ?? { throw Refusal(reason: "the host does not resolve") }()
        }
        guard let first = resolved.first else { throw Refusal(reason: "the host does not resolve") }
        for candidate in resolved {
            guard settings.networks.permits(candidate) else {
                throw Refusal(reason: "the host resolves to an address that is not on the public internet")
            }
            if !address.isHTTPS, !settings.networks.permitsPlainHTTP(to: candidate) {
                throw Refusal(reason: "plain HTTP goes only to loopback")
            }
        }
        return first
    }

    /// Sends `body` to `delivery`'s endpoint, signed; never throws (a failure is an outcome).
    func send(_ delivery: ClaimedDelivery, body: [UInt8], at time: Date) async -> DeliveryAttempt {
        let started = ContinuousClock.now
        @Sendable func elapsed() -> Int {
            let duration = ContinuousClock.now - started
            return Int(duration.components.seconds) * 1000 + Int(duration.components.attoseconds / 1_000_000_000_000_000)
        }
        guard !delivery.secrets.isEmpty else {
            return DeliveryAttempt(status: nil, latencyMilliseconds: 0, error: "the signing secret cannot be opened (its key is gone): not sent")
        }
        let address: WebhookAddress
        do {
            address = try WebhookAddress(delivery.url, allowPlainHTTP: settings.allowPlainHTTP)
        } catch {
            return DeliveryAttempt(status: nil, latencyMilliseconds: 0, error: "the address is no longer allowed (\(error.rawValue))")
        }
        let pinned: IPBytes
        do {
            pinned = try await checkedAddress(address)
        } catch let refusal as Refusal {
            return DeliveryAttempt(status: nil, latencyMilliseconds: elapsed(), error: "refused: \(refusal.reason)")
        } catch {
            return DeliveryAttempt(status: nil, latencyMilliseconds: elapsed(), error: "the host does not resolve")
        }
        // Connect to the checked address; TLS still verifies the certificate for the name. The key is
        // the host as the client itself reads the address (its case kept), so that it cannot miss.
        let spelled = URL(string: delivery.url)?.host ?? address.host
        let key = [settings.additionalTrustRootsFile ?? "", "\(settings.timeout)", spelled, address.host, pinned.description].joined(separator: "|")
        let client = WebhookClientPool.shared.client(for: key) {
            var configuration = HTTPClient.Configuration(
                tlsConfiguration: tls, redirectConfiguration: .disallow,
                timeout: .init(connect: .seconds(5), read: TimeAmount(settings.timeout)))
            if IPBytes(address.host) == nil {
                configuration.dnsOverride = [spelled: pinned.description, address.host: pinned.description]
            }
            configuration.httpVersion = .http1Only
            return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
        }
        // One limit for the whole exchange, the response's body included: a receiver that trickles
        // its answer byte by byte is cut off like one that never answers.
        return await withTimeLimit(settings.timeout + .seconds(5)) {
            await exchange(delivery, body: body, time: time, client: client, elapsed: elapsed)
        } ?? DeliveryAttempt(status: nil, latencyMilliseconds: elapsed(), error: "timed out")
    }

    private func exchange(
        _ delivery: ClaimedDelivery, body: [UInt8], time: Date, client: HTTPClient, elapsed: @Sendable () -> Int
    ) async -> DeliveryAttempt {
        var request = HTTPClientRequest(url: delivery.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        request.headers.add(name: "User-Agent", value: "Redress-Webhooks/1")
        request.headers.add(name: "Redress-Event-Id", value: delivery.event.id.uuidString.lowercased())
        request.headers.add(name: "Redress-Event-Type", value: delivery.event.type)
        request.headers.add(name: "Redress-Delivery-Id", value: delivery.id.uuidString.lowercased())
        request.headers.add(name: "Redress-Delivery-Attempt", value: String(delivery.attempt))
        request.headers.add(name: WebhookSignature.header, value: WebhookSignature.value(body: body, secrets: delivery.secrets, time: time))
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: TimeAmount(settings.timeout))
            // Read a bounded part of the body so the exchange completes; its content is the receiver's.
            _ = try? await response.body.collect(upTo: settings.maximumResponseBytes)
            let status = Int(response.status.code)
            let error = (200..<300).contains(status) ? nil : (300..<400).contains(status) ? "HTTP \(status): redirects are not followed" : "HTTP \(status)"
            return DeliveryAttempt(status: status, latencyMilliseconds: elapsed(), error: error)
        } catch {
            return DeliveryAttempt(status: nil, latencyMilliseconds: elapsed(), error: Self.describe(error))
        }
    }

    /// A failure in words for the organisation's log: only whether the receiver answered in time,
    /// so that the log is no port scanner (the details go to the service's own log).
    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout: return "timed out"
            default: break
            }
        }
        return "no answer (the connection or TLS failed)"
    }

    /// Every address `host` resolves to (blocking: run on a thread pool).
    static func resolve(_ host: String) throws -> [IPBytes] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let list else { throw Refusal(reason: "the host does not resolve") }
        defer { freeaddrinfo(list) }
        var found: [IPBytes] = []
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let current = entry {
            if let socket = current.pointee.ai_addr {
                switch current.pointee.ai_family {
                case AF_INET:
                    let v4 = socket.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                    let bytes = withUnsafeBytes(of: v4) { Array($0) }
                    if let address = IPBytes(bytes: [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF] + bytes) { found.append(address) }
                case AF_INET6:
                    let v6 = socket.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                    if let address = IPBytes(bytes: withUnsafeBytes(of: v6) { Array($0) }) { found.append(address) }
                default:
                    break
                }
            }
            entry = current.pointee.ai_next
        }
        return found
    }
}

/// `body`'s result, or nil when it takes longer than `limit` (it is cancelled then).
func withTimeLimit<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async rethrows -> T? {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try? await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        return try await group.next() ?? nil
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
