import Foundation
import RedressCore
import RedressStore
import Synchronization

/// Sessions this process has looked up recently, by token digest, for `lifetime` at most.
///
/// Looking a token up is a transaction of its own (four round trips to PostgreSQL) before the
/// request's own work, for every authenticated request; a client usually makes several requests in a
/// row. A change to an account's sessions anywhere (disabled, new role, reset, signed out) is announced
/// through PostgreSQL and drops the account's entries here at once (`SessionAnnouncementListener`);
/// while those announcements are not being heard, nothing is served from the cache. The lifetime
/// (5 s by default, `REDRESS_SESSION_CACHE_SECONDS`, 0 turns the cache off) bounds what a missed
/// announcement could cost and lets idleness be noted. An entry never outlives its session.
final class SessionCache: Sendable {
    private struct Entry {
        let session: AuthenticatedSession
        /// On the service's clock, as every time Redress reads.
        let freshUntil: Date
    }

    private struct State {
        var entries: [[UInt8]: Entry] = [:]
        /// Whether announcements are being heard; until they are, the cache is bypassed.
        var listening = false
        /// When the listener last heard its own heartbeat through PostgreSQL.
        var lastHeartbeat = ContinuousClock.now
        /// Moves on at every forgetting: a lookup that began before one may not store what it found
        /// (it may have read a session that was ended while it ran).
        var generation = 0

        var trusted: Bool {
            listening && ContinuousClock.now - lastHeartbeat < SessionCache.heartbeatTolerance
        }
    }

    /// How long without a heartbeat before the cache stops trusting itself.
    static let heartbeatTolerance: Duration = .seconds(6)

    private let lifetime: Duration
    private let capacity: Int
    private let state = Mutex(State())

    init(lifetime: Duration, capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// The cached session of `digest`, if it was looked up within the lifetime and is still valid at `now`.
    func session(digest: [UInt8], now: Date) -> AuthenticatedSession? {
        guard lifetime > .zero else { return nil }
        let entry = state.withLock { $0.trusted ? $0.entries[digest] : nil }
        guard let entry, now < entry.freshUntil, entry.session.expiresAt > now else { return nil }
        return entry.session
    }

    /// The generation to hand back to `remember` after a lookup.
    var generation: Int { state.withLock { $0.generation } }

    /// Stores what a lookup found, unless something was forgotten since it began (`generation`).
    func remember(_ session: AuthenticatedSession, digest: [UInt8], now: Date, generation: Int) {
        guard lifetime > .zero else { return }
        let entry = Entry(session: session, freshUntil: now.addingTimeInterval(Double(lifetime.components.seconds)))
        state.withLock { state in
            guard state.trusted, state.generation == generation else { return }
            if state.entries.count >= capacity {
                // Entries live seconds: dropping every stale one (or, failing that, all) keeps this simple and bounded.
                state.entries = state.entries.filter { $0.value.freshUntil > now }
                if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            }
            state.entries[digest] = entry
        }
    }

    func forget(digest: [UInt8]) {
        state.withLock { state in
            state.generation &+= 1
            state.entries.removeValue(forKey: digest)
        }
    }

    /// Every cached session of `accountID` (an announcement arrived).
    func forget(accountID: UUID) {
        state.withLock { state in
            state.generation &+= 1
            state.entries = state.entries.filter { $0.value.session.actor.accountID != accountID }
        }
    }

    var hearsAnnouncements: Bool { state.withLock { $0.trusted } }

    func heartbeatHeard() {
        state.withLock { $0.lastHeartbeat = ContinuousClock.now }
    }

    /// Whether announcements are heard. Either way the cache starts afresh: what it held was cached
    /// before announcements could have been missed.
    func announcements(heard: Bool) {
        state.withLock { state in
            state.listening = heard
            state.lastHeartbeat = ContinuousClock.now
            state.generation &+= 1
            state.entries.removeAll(keepingCapacity: true)
        }
    }
}
