import Foundation
import RedressStore
import Synchronization

/// Sessions this process has looked up recently, by token digest, for `lifetime` at most.
///
/// Looking a token up is a transaction of its own (four round trips to PostgreSQL) before the
/// request's own work, for every authenticated request; a client usually makes several requests in a
/// row. The price: a token revoked through another replica keeps working here for up to `lifetime`
/// (a logout through this process removes it at once), so the lifetime is short (5 s by default,
/// `REDRESS_SESSION_CACHE_SECONDS`, 0 turns the cache off). An entry never outlives its session.
final class SessionCache: Sendable {
    private struct Entry {
        let session: AuthenticatedSession
        /// On the service's clock, as every time Redress reads.
        let freshUntil: Date
    }

    private let lifetime: Duration
    private let capacity: Int
    private let entries = Mutex<[[UInt8]: Entry]>([:])

    init(lifetime: Duration, capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// The cached session of `digest`, if it was looked up within the lifetime and is still valid at `now`.
    func session(digest: [UInt8], now: Date) -> AuthenticatedSession? {
        guard lifetime > .zero else { return nil }
        let entry = entries.withLock { $0[digest] }
        guard let entry, now < entry.freshUntil, entry.session.expiresAt > now else { return nil }
        return entry.session
    }

    func remember(_ session: AuthenticatedSession, digest: [UInt8], now: Date) {
        guard lifetime > .zero else { return }
        let entry = Entry(session: session, freshUntil: now.addingTimeInterval(Double(lifetime.components.seconds)))
        entries.withLock { entries in
            if entries.count >= capacity {
                // Entries live seconds: dropping every stale one (or, failing that, all) keeps this simple and bounded.
                entries = entries.filter { $0.value.freshUntil > now }
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            }
            entries[digest] = entry
        }
    }

    func forget(digest: [UInt8]) {
        _ = entries.withLock { $0.removeValue(forKey: digest) }
    }
}
