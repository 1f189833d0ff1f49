import Foundation
import RedressCore

/// Bounds what callers can hold at once in this process: at most `capacity` pieces of work run at
/// once (the others wait, before they start, at most `maximumWaiting` of them: 503 beyond), one
/// account runs or waits with at most `perAccount` at once and one client address with at most
/// `perAddress` (beyond either: 429). Evidence uploads go through one (a body is held in memory
/// while it is inspected, so memory is bounded by `capacity` × the largest file whatever callers
/// send, and throwaway accounts behind one address cannot take every place); filings and messages
/// through another, so that one account's flood cannot hold the connection pool.
actor CallerGate {
    private let capacity: Int
    private let perAccount: Int
    private let perAddress: Int
    private let maximumWaiting: Int
    private let refusal: String
    private var reading = 0
    private var byAccount: [UUID: Int] = [:]
    private var byAddress: [String: Int] = [:]
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(capacity: Int, perAccount: Int, perAddress: Int = .max, maximumWaiting: Int = .max, refusal: String) {
        self.capacity = max(capacity, 1)
        self.perAccount = max(perAccount, 1)
        self.perAddress = max(perAddress, 1)
        self.maximumWaiting = max(maximumWaiting, 0)
        self.refusal = refusal
    }

    /// Takes a place for `account`'s work from `address`, waiting for one when every place is taken.
    func enter(_ account: UUID, from address: String) async throws(RedressError) {
        guard byAccount[account, default: 0] < perAccount, byAddress[address, default: 0] < perAddress else {
            throw RedressError(.tooManyAttempts, detail: refusal, retryAfterSeconds: 1)
        }
        guard reading < capacity || waiting.count < maximumWaiting else {
            throw RedressError(.unavailable, detail: "Too many uploads at once; try again shortly.", retryAfterSeconds: 5)
        }
        byAccount[account, default: 0] += 1
        byAddress[address, default: 0] += 1
        if reading < capacity {
            reading += 1
            return
        }
        // `leave` hands its place over directly: `reading` stays as it is.
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave(_ account: UUID, from address: String) {
        let count = byAccount[account, default: 1] - 1
        byAccount[account] = count > 0 ? count : nil
        let fromAddress = byAddress[address, default: 1] - 1
        byAddress[address] = fromAddress > 0 ? fromAddress : nil
        if waiting.isEmpty {
            reading -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }

    /// Runs `work` holding a place. A caller without an address (a test's router) counts as one address.
    nonisolated func withPlace<T: Sendable>(for account: UUID, from address: String? = nil, _ work: () async throws -> T) async throws -> T {
        let address = address ?? "unknown"
        try await enter(account, from: address)
        do {
            let result = try await work()
            await leave(account, from: address)
            return result
        } catch {
            await leave(account, from: address)
            throw error
        }
    }
}
