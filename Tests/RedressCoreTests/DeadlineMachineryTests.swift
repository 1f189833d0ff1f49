import Foundation
import RedressCore
import Testing

/// Every state a case can wait in has a timer and someone who acts when it runs out: random cases,
/// played by random parties with the clock moving and the system doing what the deadline job does,
/// never wait without a deadline or a closing time, never escalate twice on their own, and end once
/// the parties stop.
@Suite("Deadline machinery")
struct DeadlineMachineryTests {
    static func context(_ now: Date) -> ComplaintWorkflow.Context {
        ComplaintWorkflow.Context(now: now, calendar: LifecycleTests.calendar, policy: StagePolicy())
    }

    /// What the deadline job does at `now`, until nothing is left to do: marks missed deadlines,
    /// moves a merchant's missed case to the platform, closes what nobody moved, carries out an
    /// expired ultimatum (after the answer's grace). Returns the system escalations it made.
    static func systemActs(_ complaint: inout Complaint, at now: Date) -> Int {
        var escalations = 0
        for _ in 0..<10 {
            let facts = complaint.facts(at: now)
            if let deadline = complaint.deadlineAt, deadline < now, !complaint.overdue, Lifecycle.deadlineStates.contains(complaint.state) {
                complaint = ComplaintWorkflow.markOverdue(complaint, now: now)
                continue
            }
            let ultimatumDue = complaint.ultimatumAt.map { $0 < now } ?? false
            let candidates: [(ComplaintAction, Bool)] = [
                (.escalateToPlatform, complaint.state == .awaitingMerchant || ultimatumDue),
                (.close, true),
                (.escalate, ultimatumDue),
            ]
            var acted = false
            for (action, due) in candidates where due {
                guard case .allowed(let rule) = Lifecycle.decide(action, by: [.system], facts: facts) else { continue }
                let input: ActionInput = action == .escalate ? .escalate(mediationBodyID: UUID(), reason: nil) : .none
                complaint = ComplaintWorkflow.apply(rule, input: input, to: complaint, relations: [.system], context: context(now))
                if action == .escalate { escalations += 1 }
                acted = true
                break
            }
            if !acted { return escalations }
        }
        return escalations
    }

    @Test func noCaseWaitsWithoutATimerAndTheSystemEndsWhatNobodyMoves() {
        var generator = SplitMix(seed: 20_261_206)
        let parties: [Set<CaseRelation>] = [[.consumer], [.merchant], [.platform], [.mediationBody], [.mediationBody, .mediationLead],
                                            [.mediationBody, .assignedMediator]]
        var ended = 0
        for _ in 0..<1_000 {
            var complaint = LifecycleTests.complaint(Bool.random(using: &generator) ? .awaitingMerchant : .awaitingPlatform, merchant: true)
            var now = complaint.submittedAt
            complaint.deadlineAt = ComplaintWorkflow.deadline(for: complaint.state, from: now, context: Self.context(now))
            if Bool.random(using: &generator) {
                complaint.ultimatumDays = 1 + Int(generator.next() % 20)
                complaint.ultimatumAt = LifecycleTests.calendar.deadline(workingDays: complaint.ultimatumDays!, after: now)
            }
            var systemEscalations = 0
            // Some moves by the parties, the clock running between them.
            for _ in 0..<Int(generator.next() % 12) {
                now = now.addingTimeInterval(Double(generator.next() % 600_000))
                systemEscalations += Self.systemActs(&complaint, at: now)
                let relations = parties[Int(generator.next() % UInt64(parties.count))]
                let allowed = Lifecycle.allowedActions(for: relations, facts: complaint.facts(at: now)).filter { $0 != .withdraw }
                guard let action = allowed.isEmpty ? nil : allowed[Int(generator.next() % UInt64(allowed.count))] else { continue }
                let input: ActionInput = switch action {
                case .respond:
                    generator.next() % 2 == 0
                        ? .respond(Answer(decision: .propose, proposal: Proposal(refund: 100), reason: nil))
                        : .respond(Answer(decision: .reject, proposal: nil, reason: "理由"))
                case .escalate, .reportUnfulfilled: .escalate(mediationBodyID: UUID(), reason: nil)
                case .triage: .triage(accept: generator.next() % 4 != 0, reason: nil)
                case .assign: .assign(mediatorID: UUID())
                case .propose: .propose(Proposal(refund: 50))
                case .refer: .refer(channel: .twelve315, reference: nil)
                case .rate: .rate(rating: 4, comment: nil)
                case .markInvalid: .markInvalid(reason: .duplicate, note: nil)
                default: .none
                }
                guard case .allowed(let rule) = Lifecycle.decide(action, by: relations, facts: complaint.facts(at: now), decision: input.decision)
                else { continue }
                complaint = ComplaintWorkflow.apply(rule, input: input, to: complaint, relations: relations, context: Self.context(now))
                // An open case always has a timer: its stage's deadline, its closing time, or the
                // consumer's ultimatum.
                if !complaint.state.isTerminal {
                    let timer = complaint.deadlineAt ?? complaint.closesAt ?? complaint.ultimatumAt
                    #expect(timer != nil, "\(complaint.state) waits without a deadline or a closing time")
                }
                if [.proposalMade, .resolutionAgreed, .mediationFailed].contains(complaint.state) {
                    #expect(complaint.closesAt != nil || complaint.ultimatumAt != nil, "\(complaint.state) has nobody to end it")
                }
            }
            // Then the parties stop; the system goes on for a year.
            for _ in 0..<60 {
                now = now.addingTimeInterval(6 * 86_400)
                systemEscalations += Self.systemActs(&complaint, at: now)
            }
            #expect(systemEscalations <= 1, "the system escalated one case \(systemEscalations) times")
            // What is still open waits on a party that is overdue for it: the platform (the consumer
            // may escalate) or the mediation body.
            if complaint.state.isTerminal {
                ended += 1
            } else {
                #expect([.awaitingPlatform, .escalated, .inMediation].contains(complaint.state), "\(complaint.state) left open")
                #expect(complaint.overdue, "\(complaint.state) open and not overdue after a year")
            }
        }
        #expect(ended > 300)
    }

    /// An answer that arrives after the consumer's ultimatum stays on the table for the grace period.
    @Test func aLateAnswerIsNotEscalatedBeforeTheConsumerCanAcceptIt() {
        var complaint = LifecycleTests.complaint()
        let filed = complaint.submittedAt
        complaint.ultimatumDays = 1
        complaint.ultimatumAt = filed.addingTimeInterval(86_400)
        let answeredAt = filed.addingTimeInterval(3 * 86_400)
        guard case .allowed(let respond) = Lifecycle.decide(.respond, by: [.platform], facts: complaint.facts(at: answeredAt)) else {
            Issue.record("the platform may answer")
            return
        }
        complaint = ComplaintWorkflow.apply(
            respond, input: .respond(Answer(decision: .propose, proposal: Proposal(refund: 50_000), reason: nil)), to: complaint,
            relations: [.platform], context: Self.context(answeredAt))
        #expect(Self.systemActs(&complaint, at: answeredAt.addingTimeInterval(3_600)) == 0)
        #expect(complaint.state == .proposalMade)
        #expect(Self.systemActs(&complaint, at: answeredAt.addingTimeInterval(Lifecycle.answerGrace + 60)) == 1)
        #expect(complaint.state == .escalated)
    }

    /// A broken settlement may be reported twice, and only after the fulfilment deadline; the third
    /// report ends the mediation as failed.
    @Test func unfulfilledReportsAreBounded() {
        var complaint = LifecycleTests.complaint(.resolutionAgreed)
        complaint.mediated = true
        let start = complaint.submittedAt
        complaint.deadlineAt = start.addingTimeInterval(3 * 86_400)
        #expect(Lifecycle.decide(.reportUnfulfilled, by: [.consumer], facts: complaint.facts(at: start)) == .conditionUnmet(.deadlinePassed))
        let late = start.addingTimeInterval(4 * 86_400)
        for report in 0..<3 {
            complaint.state = .resolutionAgreed
            complaint.deadlineAt = start
            guard case .allowed(let rule) = Lifecycle.decide(.reportUnfulfilled, by: [.consumer], facts: complaint.facts(at: late)) else {
                Issue.record("report \(report + 1) refused")
                return
            }
            complaint = ComplaintWorkflow.apply(
                rule, input: .escalate(mediationBodyID: nil, reason: "未退款"), to: complaint, relations: [.consumer], context: Self.context(late))
            #expect(complaint.state == (report < 2 ? .inMediation : .mediationFailed))
        }
        #expect(complaint.closesAt != nil)
    }
}
