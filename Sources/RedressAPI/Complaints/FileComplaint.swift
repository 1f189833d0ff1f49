import Foundation
import RedressCore
import RedressStore

/// Filing a complaint, as one transaction: the key claimed (a retry gets the first answer), the
/// consumer's daily limit, the platform and merchant checked, the platform's policy deciding where
/// the case starts and its deadlines, the case stored with its audit event.
struct FileComplaint {
    let database: Database
    let configuration: APIConfiguration

    /// An `Idempotency-Key` and the digest of the request it was sent with.
    struct Retry: Sendable {
        let key: String
        let requestDigest: String
        /// The digest in the form keys were stored with before (`FilingRequest.bodyDigest`), worked
        /// out only when the stored one differs: a retry that spans the upgrade is still a retry.
        let earlierDigest: @Sendable () -> String
    }

    /// The answer to the filing, or to the first request with the same key. The JSON is written
    /// inside the transaction only when a key must keep it; otherwise after the commit.
    func callAsFunction(
        _ complaint: Complaint, by actor: Actor, retry: Retry?, context: RedressRequestContext
    ) async throws -> IdempotentAnswer {
        let configuration = configuration
        let now = complaint.submittedAt
        let outcome = try await database.transaction(as: context.identity, origin: context.origin) { transaction -> Outcome in
            if let retry {
                switch try await transaction.claimIdempotencyKey(
                    accountID: actor.accountID, key: retry.key, requestSHA256: retry.requestDigest, orEarlierForm: retry.earlierDigest
                ) {
                case .fresh: break
                case .replay(let answer): return .answered(answer)
                case .mismatch: throw RedressError(.idempotencyKeyReused)
                }
            }
            try await transaction.requireFilingQuota(
                consumerID: actor.accountID, limit: configuration.filingsPerDay, window: .seconds(24 * 3600), lockWait: configuration.quotaLockWait)
            guard let platform = try await transaction.platform(id: complaint.platformID) else {
                throw RedressError.validation([.init(field: "platform_id", reason: "unknown_platform")])
            }
            var merchantName: String?
            if let merchantID = complaint.merchantID {
                let merchant = try await transaction.organization(id: merchantID)
                guard merchant?.kind == .merchant, merchant?.platformID == platform.id else {
                    throw RedressError.validation([.init(field: "merchant_id", reason: "not_a_merchant_of_the_platform")])
                }
                merchantName = merchant?.name
            }
            if let earlier = complaint.refiles {
                try await Self.checkRefiling(earlier, by: actor, platformID: platform.id, transaction)
            }
            guard let consumer = try await transaction.accountHeldAgainstErasure(id: actor.accountID) else { throw RedressError.unauthenticated }
            var filed = complaint
            filed.consumerName = consumer.displayName
            filed.state = Lifecycle.initialState(merchantFirst: platform.merchantFirst, merchantNamed: complaint.merchantID != nil)
            let standard = configuration.standardDeadlines
            let workflow = try await transaction.workflowContext(
                platformID: platform.id, promise: nil, mediationBodyID: nil, timeZone: configuration.timeZone, standard: standard)
            filed.promise = workflow.policy.promise
            filed.standardDeadlineAt = workflow.calendar.deadline(workingDays: standard.responseDays, after: now)
            filed.deadlineAt = ComplaintWorkflow.deadline(for: filed.state, from: now, context: workflow)
            filed.ultimatumAt = filed.ultimatumDays.map { workflow.calendar.deadline(workingDays: $0, after: now) }
            let today = configuration.calendarDay(of: now)
            try await transaction.insertComplaint(filed, submittedOn: today, merchantName: merchantName, actor: context.auditActor)
            // The platform's terms in force today: a clause that takes the consumer's rights away flags the case.
            if let terms = try await transaction.platformClauses(platformID: platform.id, inForceOn: today) {
                let flags = FlagRecognition.flags(
                    in: terms.clauses, complaintID: filed.id, source: .platformTerms, sourceID: terms.id, by: actor.accountID, at: now)
                try await transaction.raiseFlags(flags, actor: context.auditActor)
            }
            let view = ComplaintResponse.view(filed, actor: actor, merchantFirst: platform.merchantFirst, evidence: [], now: now, language: context.language)
            guard let retry else { return .filed(view) }
            let answer = IdempotentAnswer(status: 201, body: String(decoding: try APIJSON.encode(view), as: UTF8.self), version: view.version)
            try await transaction.completeIdempotencyKey(accountID: actor.accountID, key: retry.key, answer: answer)
            return .answered(answer)
        }
        switch outcome {
        case .answered(let answer): return answer
        case .filed(let view): return IdempotentAnswer(status: 201, body: String(decoding: try APIJSON.encode(view), as: UTF8.self), version: view.version)
        }
    }

    /// A re-filing names the consumer's own complaint against the same platform whose mediation failed
    /// (referred on or not) or whose agreed outcome never came (closed unresolved); once.
    static func checkRefiling(_ earlier: UUID, by actor: Actor, platformID: UUID, _ transaction: Transaction) async throws {
        guard let old = try await transaction.complaint(id: earlier), old.consumerID == actor.accountID else {
            throw RedressError.validation([.init(field: "refiles", reason: "unknown_complaint")])
        }
        guard old.platformID == platformID else {
            throw RedressError.validation([.init(field: "refiles", reason: "another_platform")])
        }
        let failed = old.state == .mediationFailed || (old.state == .referred && old.mediated)
            || (old.state == .closed && old.outcome == .unresolved && old.agreedOutcome != nil)
        guard failed else { throw RedressError.validation([.init(field: "refiles", reason: "not_failed")]) }
        if try await transaction.isRefiled(earlier) {
            throw RedressError.validation([.init(field: "refiles", reason: "already_refiled")])
        }
    }

    private enum Outcome: Sendable {
        case filed(ComplaintResponse)
        case answered(IdempotentAnswer)
    }
}
