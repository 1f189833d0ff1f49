import Foundation
import RedressCore

/// Bounds what callers can hold at once in this process: at most `capacity` pieces of work run at
/// once (the others wait, before they start), and one account runs at most `perAccount` at once
/// (beyond that: 429). Evidence uploads go through one (a body is held in memory while it is
/// inspected, so memory is bounded by `capacity` × the largest file whatever callers send); filings
/// and messages through another, so that one account's flood cannot hold the connection pool.
actor CallerGate {
    private let capacity: Int
    private let perAccount: Int
    private let refusal: String
    private var reading = 0
    private var byAccount: [UUID: Int] = [:]
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(capacity: Int, perAccount: Int, refusal: String) {
        self.capacity = max(capacity, 1)
        self.perAccount = max(perAccount, 1)
        self.refusal = refusal
    }

    /// Takes a place for `account`'s upload, waiting for one when every place is taken.
    func enter(_ account: UUID) async throws(RedressError) {
        guard byAccount[account, default: 0] < perAccount else {
            throw RedressError(.tooManyAttempts, detail: refusal, retryAfterSeconds: 1)
        }
        byAccount[account, default: 0] += 1
        if reading < capacity {
            reading += 1
            return
        }
        // `leave` hands its place over directly: `reading` stays as it is.
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave(_ account: UUID) {
        let count = byAccount[account, default: 1] - 1
        byAccount[account] = count > 0 ? count : nil
        if waiting.isEmpty {
            reading -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }

    /// Runs `work` holding a place.
    nonisolated func withPlace<T: Sendable>(for account: UUID, _ work: () async throws -> T) async throws -> T {
        try await enter(account)
        do {
            let result = try await work()
            await leave(account)
            return result
        } catch {
            await leave(account)
            throw error
        }
    }
}
