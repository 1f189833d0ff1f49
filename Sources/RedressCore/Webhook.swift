import Foundation

/// The events of the outbox by type: what a webhook endpoint subscribes to and the feed serves.
public enum EventCatalogue {
    /// Events that are not a lifecycle action.
    public static let others: [String] = [
        "complaint.submit", "complaint.overdue", "complaint.standard_deadline_passed", "complaint.deadline_approaching",
        "complaint.unassign", "complaint.supplement", "message.post",
    ]

    /// Every type an event can have; `*` subscribes to all of them, today's and later ones.
    public static let all: [String] = others + ComplaintAction.allCases.map { "complaint.\($0.rawValue)" }

    public static let everything = "*"

    public static func isKnown(_ type: String) -> Bool { type == everything || all.contains(type) }
}

/// A webhook endpoint's address as the organisation wrote it, checked for what can be checked
/// without resolving it: HTTPS (plain HTTP only where the operator allows it, for loopback), a host,
/// no credentials and no fragment.
public struct WebhookAddress: Sendable, Equatable {
    public let text: String
    public let isHTTPS: Bool
    /// The host as written (an IP literal without its brackets).
    public let host: String
    public let port: Int

    public static let maximumLength = 2000

    public enum Problem: String, Error {
        case invalidURL = "invalid_url"
        case httpsRequired = "https_required"
        case credentialsNotAllowed = "credentials_not_allowed"
    }

    public init(_ text: String, allowPlainHTTP: Bool) throws(Problem) {
        guard text.utf8.count <= Self.maximumLength, !text.contains(where: { $0.isWhitespace || !$0.isASCII }),
            let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            let rawHost = components.percentEncodedHost, !rawHost.isEmpty, !rawHost.contains("%"), components.fragment == nil
        else { throw .invalidURL }
        guard components.user == nil, components.password == nil else { throw .credentialsNotAllowed }
        switch scheme {
        case "https": isHTTPS = true
        case "http" where allowPlainHTTP: isHTTPS = false
        case "http": throw .httpsRequired
        default: throw .invalidURL
        }
        let host = rawHost.hasPrefix("[") && rawHost.hasSuffix("]") ? String(rawHost.dropFirst().dropLast()) : rawHost
        guard host.count <= 253 else { throw .invalidURL }
        let port = components.port ?? (isHTTPS ? 443 : 80)
        guard (1...65535).contains(port) else { throw .invalidURL }
        self.text = text
        self.host = host.lowercased()
        self.port = port
    }
}

/// Which resolved addresses a webhook may be delivered to: the public internet, and the ranges the
/// operator allows (REDRESS_WEBHOOK_ALLOWED_NETWORKS), e.g. a helpdesk on the operator's own network.
public struct WebhookNetworkPolicy: Sendable, Equatable {
    public var allowed: [NetworkRange]

    public init(allowed: [NetworkRange] = []) { self.allowed = allowed }

    public func permits(_ address: IPBytes) -> Bool {
        allowed.contains { $0.contains(address) } || NetworkRange.isPublic(address)
    }

    /// Plain HTTP goes only to loopback, and only when the operator allowed loopback.
    public func permitsPlainHTTP(to address: IPBytes) -> Bool {
        NetworkRange.loopback.contains { $0.contains(address) } && permits(address)
    }
}

extension NetworkRange {
    static let loopback = [NetworkRange("127.0.0.0/8")!, NetworkRange("::1/128")!]
}

/// When a failed delivery is tried again: exponential backoff from `base`, at most `maximumDelay`,
/// each delay drawn between half and all of it (jitter, so that receivers coming back are not hit by
/// every sender at once); after `maximumAttempts` a delivery is dead until someone asks again.
public struct RetrySchedule: Sendable, Equatable {
    public var base: Duration = .seconds(30)
    public var maximumDelay: Duration = .seconds(6 * 3600)
    public var maximumAttempts = 12

    public init(base: Duration = .seconds(30), maximumDelay: Duration = .seconds(6 * 3600), maximumAttempts: Int = 12) {
        self.base = base
        self.maximumDelay = maximumDelay
        self.maximumAttempts = maximumAttempts
    }

    /// The delay after the `attempt`th failed attempt (1-based), before jitter.
    public func ceiling(afterAttempt attempt: Int) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let delay = base * (1 << exponent)
        return min(delay, maximumDelay)
    }

    /// The delay with jitter; `unit` is a random number in 0..<1.
    public func delay(afterAttempt attempt: Int, unit: Double) -> Duration {
        let ceiling = ceiling(afterAttempt: attempt)
        return ceiling * (0.5 + 0.5 * min(max(unit, 0), 1))
    }
}
