import Foundation
import RedressCore
import Testing

@Suite("Lifecycle")
struct LifecycleTests {
    static let calendar = WorkingCalendar(days: [], timeZone: TimeZone(identifier: "Asia/Shanghai")!)

    static func complaint(_ state: ComplaintState = .awaitingPlatform, merchant: Bool = false) -> Complaint {
        Complaint(
            id: UUID(), consumerID: UUID(), consumerName: "张三", platformID: UUID(), merchantID: merchant ? UUID() : nil, category: .nonDelivery,
            title: "卡密未到账", description: "2026年9月24日购买的点卡卡密未发放。",
            order: OrderFacts(orderNo: "KM1", productName: "点卡", amountPaid: 50_000, currency: "CNY", orderedAt: nil, paymentChannel: nil, paymentRef: nil),
            demands: [Demand(kind: .refund, amount: 50_000, text: nil)], ultimatumDays: nil, state: state, submittedAt: Date(timeIntervalSince1970: 1_790_000_000))
    }

    @Test func escalationBeforeThePlatformsChanceIsRefused() {
        let facts = CaseFacts(state: .awaitingPlatform)
        #expect(Lifecycle.decide(.escalate, by: [.consumer], facts: facts) == .conditionUnmet(.deadlinePassed))
        var overdue = facts
        overdue.deadlinePassed = true
        guard case .allowed(let rule) = Lifecycle.decide(.escalate, by: [.consumer], facts: overdue) else {
            Issue.record("escalation after the deadline must be allowed")
            return
        }
        #expect(rule.to == .escalated)
        // After an answer: only once the consumer rejected it.
        let answered = CaseFacts(state: .proposalMade, answeredBy: .platform)
        #expect(Lifecycle.decide(.escalate, by: [.consumer], facts: answered) == .conditionUnmet(.answerRejected))
        var rejected = answered
        rejected.answerRejected = true
        #expect(Lifecycle.decide(.escalate, by: [.consumer], facts: rejected) != .conditionUnmet(.answerRejected))
    }

    @Test func wrongActorsAndWrongStates() {
        #expect(Lifecycle.decide(.respond, by: [.consumer], facts: CaseFacts(state: .awaitingPlatform)) == .notYours)
        #expect(Lifecycle.decide(.respond, by: [.merchant], facts: CaseFacts(state: .awaitingPlatform)) == .notYours)
        #expect(Lifecycle.decide(.accept, by: [.platform], facts: CaseFacts(state: .proposalMade, answeredBy: .platform)) == .notYours)
        guard case .notNow(let allowed) = Lifecycle.decide(.triage, by: [.consumer], facts: CaseFacts(state: .awaitingPlatform)) else {
            Issue.record("triage before escalation must be refused by state")
            return
        }
        #expect(allowed == [.withdraw, .setUltimatum])
        for state in ComplaintState.allCases where state.isTerminal {
            #expect(Lifecycle.allowedActions(for: [.consumer], facts: CaseFacts(state: state, rated: true)).isEmpty)
            #expect(Lifecycle.allowedActions(for: [.platform, .mediationBody, .mediationLead, .assignedMediator, .merchant, .system], facts: CaseFacts(state: state)).isEmpty)
        }
    }

    /// A mediator cannot undo the lead's acceptance: after triage, only the lead declines.
    @Test func onlyTheLeadDeclinesAnAcceptedCase() {
        let accepted = CaseFacts(state: .escalated, triaged: true)
        if case .allowed = Lifecycle.decide(.triage, by: [.mediationBody], facts: accepted, decision: false) {
            Issue.record("a mediator declined a case the body had accepted")
        }
        #expect(!Lifecycle.allowedActions(for: [.mediationBody], facts: accepted).contains(.triage))
        guard case .allowed(let rule) = Lifecycle.decide(.triage, by: [.mediationBody, .mediationLead], facts: accepted, decision: false) else {
            Issue.record("the lead declines")
            return
        }
        #expect(rule.to == .mediationFailed)
        let fresh = CaseFacts(state: .escalated)
        guard case .allowed = Lifecycle.decide(.triage, by: [.mediationBody], facts: fresh, decision: false) else {
            Issue.record("any member declines before triage")
            return
        }
    }

    @Test func aSettlementNeedsBothSides() {
        var complaint = Self.complaint(.inMediation)
        complaint.settlement = Proposal(refund: 30_000)
        complaint.mediated = true
        let context = ComplaintWorkflow.Context(now: Date(timeIntervalSince1970: 1_790_100_000), calendar: Self.calendar, policy: StagePolicy())
        guard case .allowed(let first) = Lifecycle.decide(.accept, by: [.consumer], facts: complaint.facts(at: .distantPast)) else { Issue.record("consumer accepts"); return }
        #expect(first.to == .inMediation)
        complaint = ComplaintWorkflow.apply(first, input: .none, to: complaint, relations: [.consumer], context: context)
        guard case .allowed(let second) = Lifecycle.decide(.accept, by: [.platform], facts: complaint.facts(at: .distantPast)) else { Issue.record("platform accepts"); return }
        #expect(second.to == .resolutionAgreed)
        complaint = ComplaintWorkflow.apply(second, input: .none, to: complaint, relations: [.platform], context: context)
        #expect(complaint.state == .resolutionAgreed)
        #expect(complaint.agreedRefund == 30_000)
        #expect(complaint.deadlineAt == Self.calendar.deadline(workingDays: 3, after: context.now))
        #expect(complaint.version == 3)
    }

    @Test func theFirstResponseIsKeptWithItsPunctuality() {
        var complaint = Self.complaint()
        complaint.deadlineAt = Date(timeIntervalSince1970: 1_790_050_000)
        let late = ComplaintWorkflow.Context(now: Date(timeIntervalSince1970: 1_790_060_000), calendar: Self.calendar, policy: StagePolicy())
        guard case .allowed(let rule) = Lifecycle.decide(.respond, by: [.platform], facts: complaint.facts(at: .distantPast)) else { Issue.record("respond"); return }
        let answered = ComplaintWorkflow.apply(rule, input: .respond(Answer(decision: .reject, proposal: nil, reason: "已发货")), to: complaint, relations: [.platform], context: late)
        #expect(answered.firstResponseOnTime == false)
        #expect(answered.firstResponseBy == .platform)
        #expect(answered.state == .proposalMade)
        #expect(answered.deadlineAt == nil)
    }

    @Test func referralChannels() {
        var complaint = Self.complaint(.mediationFailed)
        #expect(ComplaintWorkflow.recommendedChannels(for: complaint, fraudSuspected: false) == [.twelve315])
        complaint.order.amountPaid = 600_000
        #expect(ComplaintWorkflow.recommendedChannels(for: complaint, fraudSuspected: false) == [.twelve315, .court])
        #expect(ComplaintWorkflow.recommendedChannels(for: Self.complaint(.mediationFailed), fraudSuspected: true) == [.twelve315, .court, .police])
        // Before mediation, `refer` takes 12315 only: nothing else is recommended.
        complaint.state = .awaitingPlatform
        #expect(ComplaintWorkflow.recommendedChannels(for: complaint, fraudSuspected: true) == [.twelve315])
    }

    /// Thousands of random actions by random actors: every state reached is one the table can reach,
    /// every change of state is a legal one, and the version counts the changes.
    @Test func randomSequencesStayInsideTheTable() {
        var generator = SplitMix(seed: 20_261_125)
        let reachable = Self.reachableStates()
        let relationSets: [Set<CaseRelation>] = [[.consumer], [.merchant], [.platform], [.mediationBody], [.mediationBody, .mediationLead],
                                                 [.mediationBody, .assignedMediator], [.system], []]
        var transitions = 0
        var visited: Set<ComplaintState> = []
        for _ in 0..<2_000 {
            var complaint = Self.complaint(Bool.random(using: &generator) ? .awaitingMerchant : .awaitingPlatform, merchant: true)
            var now = complaint.submittedAt
            visited.insert(complaint.state)
            for _ in 0..<25 {
                now = now.addingTimeInterval(Double.random(in: 0...400_000, using: &generator))
                if Bool.random(using: &generator), complaint.deadlineAt.map({ $0 < now }) == true, !complaint.overdue {
                    complaint = ComplaintWorkflow.markOverdue(complaint, now: now)
                }
                let relations = relationSets.randomElement(using: &generator)!
                // Half the time an action the actor may take, half the time any action at all.
                let allowed = Lifecycle.allowedActions(for: relations, facts: complaint.facts(at: now))
                let action = (Bool.random(using: &generator) ? allowed.randomElement(using: &generator) : nil)
                    ?? ComplaintAction.allCases.randomElement(using: &generator)!
                let input: ActionInput
                switch action {
                case .respond:
                    input = Bool.random(using: &generator)
                        ? .respond(Answer(decision: .propose, proposal: Proposal(refund: 100), reason: nil))
                        : .respond(Answer(decision: .reject, proposal: nil, reason: "理由"))
                case .escalate, .reportUnfulfilled: input = .escalate(mediationBodyID: UUID(), reason: nil)
                case .triage: input = .triage(accept: Bool.random(using: &generator), reason: nil)
                case .assign: input = .assign(mediatorID: UUID())
                case .propose: input = .propose(Proposal(refund: 50))
                case .refer: input = .refer(channel: .twelve315, reference: nil)
                case .rate: input = .rate(rating: 5, comment: nil)
                default: input = .none
                }
                guard case .allowed(let rule) = Lifecycle.decide(action, by: relations, facts: complaint.facts(at: now), decision: input.decision) else { continue }
                let before = complaint
                complaint = ComplaintWorkflow.apply(rule, input: input, to: complaint, relations: relations,
                                                    context: .init(now: now, calendar: Self.calendar, policy: StagePolicy()))
                transitions += 1
                #expect(complaint.version == before.version + 1)
                if complaint.state != before.state {
                    #expect(Lifecycle.legalStateChanges.contains("\(before.state.rawValue)>\(complaint.state.rawValue)"))
                }
                #expect(reachable.contains(complaint.state))
                visited.insert(complaint.state)
                // After the end, only a rating, and what became of a referral.
                #expect(!before.state.isTerminal || action == .rate || action == .recordReferral)
                if complaint.state == .resolutionAgreed { #expect(complaint.settlement == nil) }
            }
        }
        #expect(transitions > 3_000)
        #expect(visited == Set(ComplaintState.allCases), "states never visited: \(Set(ComplaintState.allCases).subtracting(visited))")
    }

    @Test func everyStateIsReachableAndEveryActionIsUsed() {
        #expect(Self.reachableStates() == Set(ComplaintState.allCases))
        #expect(Set(Lifecycle.rules.map(\.action)) == Set(ComplaintAction.allCases))
    }

    static func reachableStates() -> Set<ComplaintState> {
        var reached: Set<ComplaintState> = [.awaitingMerchant, .awaitingPlatform]
        var changed = true
        while changed {
            changed = false
            for rule in Lifecycle.rules where reached.contains(rule.from) && !reached.contains(rule.to) {
                reached.insert(rule.to)
                changed = true
            }
        }
        return reached
    }
}

@Suite("Lifecycle document")
struct LifecycleDocumentTests {
    @Test func theCommittedDocumentIsTheOneTheTableGenerates() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Docs/lifecycle.md")
        let committed = try String(contentsOf: file, encoding: .utf8)
        #expect(committed == LifecycleDocument.markdown(), "regenerate it: swift run redress lifecycle-doc > Docs/lifecycle.md")
        for rule in Lifecycle.rules { #expect(committed.contains("| `\(rule.action.rawValue)` | `\(rule.from.rawValue)` |")) }
    }

    /// The state sets the rest of the system reads are the table's: a terminal state is left by no
    /// rule (rating stays where it is), every other state is; a case starts in an open state; the
    /// deadline job and the ultimatum act only where the table lets the system act or a party answer.
    @Test func theDerivedStateSetsAgreeWithTheTable() {
        for state in ComplaintState.allCases {
            let leaves = Lifecycle.rules.contains { $0.from == state && $0.to != state }
            #expect(leaves == !state.isTerminal, "\(state)")
        }
        #expect(Set(Lifecycle.open).isDisjoint(with: Lifecycle.terminal) && Lifecycle.open.count + Lifecycle.terminal.count == ComplaintState.allCases.count)
        #expect(Lifecycle.initialStates.allSatisfy { !$0.isTerminal })
        #expect(Lifecycle.initialState(merchantFirst: true, merchantNamed: false) == .awaitingPlatform)
        #expect(Lifecycle.initialState(merchantFirst: false, merchantNamed: true) == .awaitingPlatform)
        #expect(Lifecycle.initialState(merchantFirst: true, merchantNamed: true) == .awaitingMerchant)
        #expect(Lifecycle.ultimatumStates == [.awaitingPlatform, .proposalMade])
        #expect(Lifecycle.deadlineStates.allSatisfy { !$0.isTerminal })
    }
}
