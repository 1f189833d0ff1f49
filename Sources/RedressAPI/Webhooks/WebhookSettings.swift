import Foundation
import RedressCore

/// How webhooks are delivered (Docs/integrations.md, Docs/configuration.md).
public struct WebhookSettings: Sendable {
    /// Where deliveries may go besides the public internet (REDRESS_WEBHOOK_ALLOWED_NETWORKS).
    public var networks = WebhookNetworkPolicy()
    /// Plain HTTP to loopback, for development (REDRESS_WEBHOOK_ALLOW_HTTP); loopback must also be allowed.
    public var allowPlainHTTP = false
    /// Certificates trusted besides the system's, in PEM (REDRESS_WEBHOOK_CA_FILE): a receiver with
    /// its own certificate authority.
    public var additionalTrustRootsFile: String?
    public var retry = RetrySchedule()
    /// The whole attempt, from connecting to the last byte of the response's head.
    public var timeout: Duration = .seconds(10)
    /// The most of a response's body read (the rest is dropped; only the status counts).
    public var maximumResponseBytes = 64 * 1024
    /// Deliveries one replica sends at once.
    public var concurrency = 16
    /// How often an idle worker looks for due deliveries (REDRESS_WEBHOOK_POLL_MILLISECONDS).
    public var pollInterval: Duration = .seconds(1)
    /// How long a claimed delivery is a worker's before another may try it.
    public var lease: Duration = .seconds(60)
    /// How long the previous secret keeps signing after a rotation.
    public var rotationOverlap: Duration = .seconds(24 * 3600)

    public init() {}
}
