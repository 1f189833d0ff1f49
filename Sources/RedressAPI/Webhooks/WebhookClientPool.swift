import AsyncHTTPClient
import NIOPosix
import Synchronization

/// HTTP clients for webhook deliveries, one per endpoint host and the address it was checked to
/// resolve to, kept while in use: a client pinned to that address (`dnsOverride`) keeps its TLS
/// context and its connections, so that a delivery costs a request, not a certificate store loaded,
/// a handshake and a connection torn down. When the host resolves elsewhere, the next delivery takes
/// a new client; one unused for `idleLimit` is shut down.
///
/// One pool for the process, never released (a client must be shut down before it goes, and a pool
/// dropped with its owner could not do that).
final class WebhookClientPool: Sendable {
    static let shared = WebhookClientPool()

    /// A client unused this long is shut down.
    static let idleLimit: Duration = .seconds(120)
    /// Above this many clients, the least recently used are shut down early — but never one used
    /// within `busyLimit` (longer than any attempt: its time limit plus margin), which may be in use.
    /// A host that resolves to a new address at every delivery thus costs at most this many clients
    /// plus those in flight.
    static let capacity = 64
    static let busyLimit: Duration = .seconds(30)

    private struct Entry {
        let client: HTTPClient
        var lastUsed: ContinuousClock.Instant
    }

    private let entries = Mutex<[String: Entry]>([:])

    /// The client for `key`, made by `make` when there is none.
    func client(for key: String, make: () -> HTTPClient) -> HTTPClient {
        let now = ContinuousClock.now
        let (client, retired) = entries.withLock { entries -> (HTTPClient, [HTTPClient]) in
            let client: HTTPClient
            if var entry = entries[key] {
                entry.lastUsed = now
                entries[key] = entry
                client = entry.client
            } else {
                client = make()
                entries[key] = Entry(client: client, lastUsed: now)
            }
            // Retire clients nobody used for the idle limit, then the least recently used over capacity.
            var retired: [HTTPClient] = []
            for (other, entry) in entries where other != key && now - entry.lastUsed > Self.idleLimit {
                retired.append(entry.client)
                entries[other] = nil
            }
            if entries.count > Self.capacity {
                let spare = entries.filter { $0.key != key && now - $0.value.lastUsed > Self.busyLimit }
                    .sorted { $0.value.lastUsed < $1.value.lastUsed }.prefix(entries.count - Self.capacity)
                for (other, entry) in spare {
                    retired.append(entry.client)
                    entries[other] = nil
                }
            }
            return (client, retired)
        }
        for old in retired { Task { try? await old.shutdown() } }
        return client
    }

    /// How many clients are kept (for tests).
    var count: Int { entries.withLock { $0.count } }
}
