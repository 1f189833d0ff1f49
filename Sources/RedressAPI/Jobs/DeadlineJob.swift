import Foundation
import Logging
import RedressCore
import RedressStore
import ServiceLifecycle

/// Acts on missed deadlines: marks cases overdue (with an audit event) and moves a merchant-stage case
/// to the platform; marks the standard deadline of an unanswered case passed (it is due in the
/// figures from then); closes what nobody moved by its closing time; and carries out a consumer's
/// ultimatum. Runs at start and then every `interval`. Cases are claimed with `FOR UPDATE SKIP
/// LOCKED`, so any number of replicas can run it at once and each case is acted on exactly once.
public struct DeadlineJob: Service {
    public struct Outcome: Sendable, Equatable {
        public var markedOverdue = 0
        public var movedToPlatform = 0
        public var escalated = 0
        /// Cases whose standard deadline passed without a first response: due in the rates from now.
        public var becameDue = 0
        /// Cases nobody moved by their closing time, closed.
        public var closed = 0
        /// Deadlines that end within a working day, warned of (`complaint.deadline_approaching`).
        public var warned = 0

        public init(markedOverdue: Int = 0, movedToPlatform: Int = 0, escalated: Int = 0, becameDue: Int = 0, closed: Int = 0, warned: Int = 0) {
            self.markedOverdue = markedOverdue
            self.movedToPlatform = movedToPlatform
            self.escalated = escalated
            self.becameDue = becameDue
            self.closed = closed
            self.warned = warned
        }
    }

    let database: Database
    let configuration: APIConfiguration
    let interval: Duration
    let logger: Logger
    public static let batchSize = 50
    static let system = DatabaseIdentity(role: "system")
    static let actor = AuditActor(accountID: nil, role: "system", organizationID: nil)

    public init(database: Database, configuration: APIConfiguration, interval: Duration, logger: Logger) {
        self.database = database
        self.configuration = configuration
        self.interval = interval
        self.logger = logger
    }

    /// Returns (never throws) when the service shuts down, so that a graceful stop exits cleanly.
    public func run() async throws {
        await warnIfTheCalendarRunsOut()
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let outcome = try await runOnce()
                    if outcome != Outcome() {
                        logger.info("deadline job acted", metadata: [
                            "overdue": "\(outcome.markedOverdue)", "moved_to_platform": "\(outcome.movedToPlatform)", "escalated": "\(outcome.escalated)",
                            "became_due": "\(outcome.becameDue)", "closed": "\(outcome.closed)", "warned": "\(outcome.warned)",
                        ])
                    }
                } catch where !Task.isCancelled {
                    logger.error("deadline job failed", metadata: ["error": "\(String(reflecting: error))"])
                } catch {
                    return
                }
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// One pass over every case whose deadline or ultimatum has passed, measured.
    @discardableResult
    public func runOnce() async throws -> Outcome {
        let started = ContinuousClock.now
        do {
            let outcome = try await actOnEverythingDue()
            database.metrics.deadlineJobRan(succeeded: true, duration: ContinuousClock.now - started)
            database.metrics.deadlineJobActed("mark_overdue", count: outcome.markedOverdue)
            database.metrics.deadlineJobActed("escalate_to_platform", count: outcome.movedToPlatform)
            database.metrics.deadlineJobActed("escalate", count: outcome.escalated)
            database.metrics.deadlineJobActed("standard_deadline_passed", count: outcome.becameDue)
            database.metrics.deadlineJobActed("close", count: outcome.closed)
            database.metrics.deadlineJobActed("warn_deadline_approaching", count: outcome.warned)
            return outcome
        } catch {
            database.metrics.deadlineJobRan(succeeded: false, duration: ContinuousClock.now - started)
            throw error
        }
    }

    private func actOnEverythingDue() async throws -> Outcome {
        var outcome = Outcome()
        while true {
            let batch = try await database.transaction(as: Self.system, origin: .commandLine) { transaction in
                try await self.actOnMissedDeadlines(transaction)
            }
            outcome.markedOverdue += batch.markedOverdue
            outcome.movedToPlatform += batch.movedToPlatform
            if batch.markedOverdue < Self.batchSize { break }
        }
        while true {
            let marked = try await database.transaction(as: Self.system, origin: .commandLine) { transaction in
                try await self.markPassedStandardDeadlines(transaction)
            }
            outcome.becameDue += marked
            if marked < Self.batchSize { break }
        }
        // Closing times, then ultimatums, in batches each past the last case looked at: cases that
        // cannot be acted on yet never hold up the ones behind them.
        let closed = try await inTurn { try await self.closeCasesNobodyMoved(after: $0, $1) }
        let ultimatums = try await inTurn { try await self.carryOutUltimatums(after: $0, $1) }
        outcome.closed = closed.closed
        outcome.escalated = ultimatums.escalated
        outcome.movedToPlatform += ultimatums.movedToPlatform
        // Last: the deadlines still running after everything above.
        while true {
            let warned = try await database.transaction(as: Self.system, origin: .commandLine) { transaction in
                try await transaction.warnOfApproachingDeadlines(limit: Self.batchSize)
            }
            outcome.warned += warned
            if warned < Self.batchSize { break }
        }
        return outcome
    }

    /// One batch of a pass in (time, id) order: what it did, the last case it looked at, and how many
    /// it claimed.
    typealias Batch = (outcome: Outcome, last: Transaction.TimedCursor?, claimed: Int)

    /// Runs `batch` (one transaction each) from the start until it claims fewer than a batch, adding
    /// up what the batches did.
    private func inTurn(_ batch: @escaping @Sendable (Transaction.TimedCursor?, Transaction) async throws -> Batch) async throws -> Outcome {
        var cursor: Transaction.TimedCursor?
        var total = Outcome()
        while true {
            let start = cursor
            let done = try await database.transaction(as: Self.system, origin: .commandLine) { try await batch(start, $0) }
            total.closed += done.outcome.closed
            total.escalated += done.outcome.escalated
            total.movedToPlatform += done.outcome.movedToPlatform
            cursor = done.last
            if done.claimed < Self.batchSize { return total }
        }
    }

    private func actOnMissedDeadlines(_ transaction: Transaction) async throws -> Outcome {
        let now = transaction.now
        var outcome = Outcome()
        for id in try await transaction.claimMissedDeadlines(before: now, limit: Self.batchSize) {
            guard let complaint = try await transaction.complaint(id: id), let overdue = try await markOverdue(complaint, transaction) else {
                continue
            }
            outcome.markedOverdue += 1
            // A merchant that missed its deadline hands the case to the platform, whose own deadline
            // (held while the merchant had it) may have passed with it: overdue on arrival then.
            if overdue.state == .awaitingMerchant,
                case .allowed(let rule) = Lifecycle.decide(.escalateToPlatform, by: [.system], facts: overdue.facts(at: now))
            {
                let moved = try await apply(rule, input: .none, to: overdue, transaction)
                if moved { outcome.movedToPlatform += 1 }
                if moved, let returned = try await transaction.complaint(id: id), returned.isPastDeadline(at: now), !returned.overdue,
                    try await markOverdue(returned, transaction) != nil
                {
                    outcome.markedOverdue += 1
                }
            }
        }
        return outcome
    }

    /// Marks a case overdue (one `complaint.overdue` event); nil if it changed meanwhile.
    private func markOverdue(_ complaint: Complaint, _ transaction: Transaction) async throws -> Complaint? {
        let overdue = ComplaintWorkflow.markOverdue(complaint, now: transaction.now)
        guard try await transaction.updateComplaint(
            overdue, expectedVersion: complaint.version, action: "complaint.overdue",
            changes: ComplaintWorkflow.overdueAuditChanges(from: complaint, to: overdue), actor: Self.actor)
        else { return nil }
        return overdue
    }

    /// Every case claimed is marked (nothing can refuse it), so a batch smaller than the limit is the last.
    private func markPassedStandardDeadlines(_ transaction: Transaction) async throws -> Int {
        let now = transaction.now
        var marked = 0
        for id in try await transaction.claimPassedStandardDeadlines(before: now, limit: Self.batchSize) {
            guard let complaint = try await transaction.complaint(id: id) else { continue }
            let passed = ComplaintWorkflow.markStandardDeadlinePassed(complaint, now: now)
            if try await transaction.updateComplaint(
                passed, expectedVersion: complaint.version, action: "complaint.standard_deadline_passed",
                changes: ComplaintWorkflow.standardDeadlineAuditChanges(from: complaint, to: passed), actor: Self.actor)
            {
                marked += 1
            }
        }
        return marked
    }

    private func closeCasesNobodyMoved(after cursor: Transaction.TimedCursor?, _ transaction: Transaction) async throws -> Batch {
        let now = transaction.now
        var closed = 0
        let claimed = try await transaction.claimClosingCases(before: now, after: cursor, limit: Self.batchSize)
        for id in claimed.map(\.id) {
            guard let complaint = try await transaction.complaint(id: id),
                case .allowed(let rule) = Lifecycle.decide(.close, by: [.system], facts: complaint.facts(at: now))
            else { continue }
            if try await apply(rule, input: .none, to: complaint, transaction) { closed += 1 }
        }
        return (Outcome(closed: closed), claimed.last ?? cursor, claimed.count)
    }

    private func carryOutUltimatums(after cursor: Transaction.TimedCursor?, _ transaction: Transaction) async throws -> Batch {
        let now = transaction.now
        var escalated = 0, moved = 0
        let claimed = try await transaction.claimExpiredUltimatums(before: now, after: cursor, limit: Self.batchSize)
        for id in claimed.map(\.id) {
            guard let complaint = try await transaction.complaint(id: id) else { continue }
            let facts = complaint.facts(at: now)
            // A merchant's answer the consumer left standing goes to the platform.
            if case .allowed(let rule) = Lifecycle.decide(.escalateToPlatform, by: [.system], facts: facts) {
                if try await apply(rule, input: .none, to: complaint, transaction) { moved += 1 }
                continue
            }
            // Platform first: an ultimatum shorter than the platform's deadline waits for it, and an
            // answer waits out its grace period.
            guard case .allowed(let rule) = Lifecycle.decide(.escalate, by: [.system], facts: facts) else { continue }
            guard let body = try await mediationBody(for: complaint, transaction) else {
                logger.warning("ultimatum expired but neither the platform nor the operator names a mediation body", metadata: ["complaint": "\(id)"])
                continue
            }
            if try await apply(rule, input: .escalate(mediationBodyID: body, reason: nil), to: complaint, transaction) { escalated += 1 }
        }
        return (Outcome(movedToPlatform: moved, escalated: escalated), claimed.last ?? cursor, claimed.count)
    }

    /// Where an ultimatum escalates to: the platform's default mediation body, else the operator's.
    private func mediationBody(for complaint: Complaint, _ transaction: Transaction) async throws -> UUID? {
        if let body = try await transaction.platform(id: complaint.platformID)?.defaultMediationBodyID { return body }
        guard let body = configuration.defaultMediationBodyID, try await transaction.organization(id: body)?.kind == .mediationBody else { return nil }
        return body
    }

    private func apply(_ rule: TransitionRule, input: ActionInput, to complaint: Complaint, _ transaction: Transaction) async throws -> Bool {
        var body = complaint.mediationBodyID
        if case .escalate(let chosen?, _) = input { body = chosen }
        let workflow = try await transaction.workflowContext(
            platformID: complaint.platformID, promise: complaint.promise, mediationBodyID: body, timeZone: configuration.timeZone,
            standard: configuration.standardDeadlines)
        let changed = ComplaintWorkflow.apply(rule, input: input, to: complaint, relations: [.system], context: workflow)
        return try await transaction.updateComplaint(
            changed, expectedVersion: complaint.version, action: "complaint.\(rule.action.rawValue)",
            changes: ComplaintWorkflow.auditChanges(from: complaint, to: changed, input: input), actor: Self.actor)
    }

    /// Deadlines beyond the calendar's last listed day count weekends only: say so in time.
    func warnIfTheCalendarRunsOut() async {
        do {
            let now = configuration.clock.now()
            let today = configuration.calendarDay(of: now)
            let last = try await database.transaction(as: Self.system, origin: .commandLine) { try await $0.lastCalendarDay() }
            if last.map({ $0 < today.adding(days: 60) }) ?? true {
                logger.warning(
                    "the working-day calendar runs out within 60 days: add the official holidays (PUT /api/v1/calendar/{date})",
                    metadata: ["last_listed_day": "\(last?.description ?? "none")"])
            }
        } catch {
            logger.error("could not read the working-day calendar", metadata: ["error": "\(String(reflecting: error))"])
        }
    }
}
