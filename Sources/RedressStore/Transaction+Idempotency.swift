import Foundation
import PostgresNIO

/// An answer kept for its key: the status, the JSON body, and the version of the resource it shows
/// (its ETag).
public struct IdempotentAnswer: Sendable, Equatable {
    public let status: Int
    public let body: String
    public let version: Int?

    public init(status: Int, body: String, version: Int?) {
        self.status = status
        self.body = body
        self.version = version
    }
}

/// What an `Idempotency-Key` means for this request.
public enum IdempotencyClaim: Sendable, Equatable {
    /// First use of the key: go ahead, then `completeIdempotencyKey`.
    case fresh
    /// The key was used with the same body: answer exactly what was answered then.
    case replay(IdempotentAnswer)
    /// The key was used with another body.
    case mismatch
}

extension Transaction {
    /// Claims a key for the calling account. A concurrent retry with the same key waits here until
    /// the first request's transaction ends (the primary key's uniqueness check), then replays it.
    /// `earlierForm` gives the request's digest as an earlier version of the service stored it, for a
    /// key claimed before the form changed; it is asked only when the stored digest differs.
    public func claimIdempotencyKey(
        accountID: UUID, key: String, requestSHA256: String, orEarlierForm earlierForm: (() -> String)? = nil
    ) async throws -> IdempotencyClaim {
        let inserted = try await execute(
            IdempotencyClaimStatement(accountID: accountID, key: key, requestSHA256: requestSHA256, now: now))
        for try await _ in inserted { return .fresh }
        let rows = try await query(
            """
            SELECT request_sha256, response_status, response_body, response_version FROM idempotency_keys
            WHERE account_id = \(accountID) AND key = \(key)
            """)
        for try await (digest, status, body, version) in rows.decode((String, Int?, String?, Int?).self) {
            guard digest == requestSHA256 || digest == earlierForm?() else { return .mismatch }
            if let status, let body { return .replay(IdempotentAnswer(status: status, body: body, version: version)) }
        }
        // A claim without an answer cannot outlive its transaction; treat it as a conflict.
        return .mismatch
    }

    public func completeIdempotencyKey(accountID: UUID, key: String, answer: IdempotentAnswer) async throws {
        try await execute(IdempotencyCompleteStatement(answer: answer, accountID: accountID, key: key))
    }
}

extension Transaction {
    /// Deletes the keys older than `retention`; a retry after that is a new filing. Needs the system.
    public func purgeIdempotencyKeys(olderThan retention: Duration) async throws -> Int {
        let rows = try await query(
            """
            WITH gone AS (DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => \(Int(retention.components.seconds)))
                          RETURNING 1)
            SELECT count(*)::int FROM gone
            """)
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }
}
