import Foundation
import RedressCore

/// Bounds the memory that evidence uploads can hold: at most `capacity` bodies are read at once in
/// this process (the others wait, unread, before their first byte), and one account reads at most
/// `perAccount` at once (beyond that: 429). An upload body is held in memory while it is inspected,
/// so the bound is `capacity` × the largest evidence file, whatever callers send.
actor UploadGate {
    private let capacity: Int
    private let perAccount: Int
    private var reading = 0
    private var byAccount: [UUID: Int] = [:]
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(capacity: Int, perAccount: Int) {
        self.capacity = max(capacity, 1)
        self.perAccount = max(perAccount, 1)
    }

    /// Takes a place for `account`'s upload, waiting for one when every place is taken.
    func enter(_ account: UUID) async throws(RedressError) {
        guard byAccount[account, default: 0] < perAccount else {
            throw RedressError(.tooManyAttempts, detail: "Upload one file at a time.", retryAfterSeconds: 1)
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
    func withPlace<T: Sendable>(for account: UUID, _ work: @Sendable () async throws -> T) async throws -> T {
        try await enter(account)
        do {
            let result = try await work()
            leave(account)
            return result
        } catch {
            leave(account)
            throw error
        }
    }
}
