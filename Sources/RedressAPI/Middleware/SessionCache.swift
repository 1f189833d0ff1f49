import Foundation
import NIOConcurrencyHelpers
import RedressStore

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
        let freshUntil: ContinuousClock.Instant
    }

    private let lifetime: Duration
    private let capacity: Int
    private let entries = NIOLockedValueBox<[[UInt8]: Entry]>([:])

    init(lifetime: Duration, capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// The cached session of `digest`, if it was looked up within the lifetime and is still valid at `now`.
    func session(digest: [UInt8], now: Date) -> AuthenticatedSession? {
        guard lifetime > .zero else { return nil }
        let entry = entries.withLockedValue { $0[digest] }
        guard let entry, ContinuousClock.now < entry.freshUntil, entry.session.expiresAt > now else { return nil }
        return entry.session
    }

    func remember(_ session: AuthenticatedSession, digest: [UInt8]) {
        guard lifetime > .zero else { return }
        let entry = Entry(session: session, freshUntil: ContinuousClock.now + lifetime)
        entries.withLockedValue { entries in
            if entries.count >= capacity {
                // Entries live seconds: dropping every stale one (or, failing that, all) keeps this simple and bounded.
                let now = ContinuousClock.now
                entries = entries.filter { $0.value.freshUntil > now }
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            }
            entries[digest] = entry
        }
    }

    func forget(digest: [UInt8]) {
        _ = entries.withLockedValue { $0.removeValue(forKey: digest) }
    }
}
