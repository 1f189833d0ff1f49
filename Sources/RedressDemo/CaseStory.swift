import Foundation
import RedressCore
import RedressStore

/// One complaint's life, played through the real transition table and workflow: where it ends and
/// the audit event of each change on the way. Steps that would fall after `now` do not happen
/// (recent cases are still open), and missed deadlines are marked as the deadline job would.
struct CaseStory {
    let platform: DemoGenerator.Platform
    let calendar: WorkingCalendar
    let now: Date
    let submittedOn: LocalDate
    private(set) var events: [(entry: AuditEntry, at: Date)] = []
    private var current: Complaint
    private var clock: Date
    private var finished = false

    let submittedAt: Date
    /// The complaint as it stands after its story.
    var final: Complaint { current }

    init(platform: DemoGenerator.Platform, consumer: DemoGenerator.Consumer, submittedAt: Date, calendar: WorkingCalendar, now: Date, random: inout SplitMix) {
        self.platform = platform
        self.calendar = calendar
        self.now = now
        let at = Date(timeIntervalSince1970: (submittedAt.timeIntervalSince1970 * 1000).rounded(.down) / 1000)
        submittedOn = calendar.localDate(of: at)
        let product = DemoWords.products[random.below(DemoWords.products.count)]
        let paid = product.priceRange.lowerBound + random.below(product.priceRange.count)
        let merchant = platform.merchants.isEmpty || random.chance(0.3) ? nil : platform.merchants[random.below(platform.merchants.count)]
        let id = random.uuid()
        var demands = [Demand(kind: .refund, amount: paid, text: nil)]
        if random.chance(0.3) { demands.append(Demand(kind: .apology, amount: nil, text: nil)) }
        var complaint = Complaint(
            id: id, consumerID: consumer.id, consumerName: consumer.name, platformID: platform.record.id, merchantID: merchant,
            category: ComplaintCategory(rawValue: product.category) ?? .other, title: product.title,
            description: "\(product.story)订单金额\(paid / 100)元。",
            order: OrderFacts(
                orderNo: "DM\(String(id.uuidString.prefix(8)))", productName: product.name, amountPaid: paid, currency: "CNY",
                orderedAt: at.addingTimeInterval(-3_600), paymentChannel: ["alipay", "wechat_pay", "bank_card"][random.below(3)], paymentRef: nil),
            demands: demands, ultimatumDays: nil, state: .awaitingPlatform, submittedAt: at)
        complaint.state = Lifecycle.initialState(merchantFirst: platform.record.merchantFirst, merchantNamed: merchant != nil)
        let context = Self.context(at, calendar, platform, body: nil)
        complaint.promise = context.policy.promise
        complaint.standardDeadlineAt = calendar.deadline(workingDays: Self.standard.responseDays, after: at)
        complaint.deadlineAt = ComplaintWorkflow.deadline(for: complaint.state, from: at, context: context)
        current = complaint
        clock = at
        self.submittedAt = at
        events = [(
            AuditEntry(
                chain: AuditChain.complaint(id), action: "complaint.submit", entityType: "complaint", entityID: id,
                actor: Self.consumerActor(complaint),
                changes: ComplaintWorkflow.submitAuditChanges(complaint)), at)]
    }

    /// The operator's standard deadlines the demo runs under: the defaults.
    static let standard = StandardDeadlines()

    /// The stage lengths: the platform's own within the standard, and the product's defaults for the
    /// mediation stages (the demo bodies keep them).
    static func context(_ at: Date, _ calendar: WorkingCalendar, _ platform: DemoGenerator.Platform, body: UUID?) -> ComplaintWorkflow.Context {
        var policy = StagePolicy()
        policy.keep(
            PlatformPromise(
                responseDays: platform.record.responseDays, merchantResponseDays: platform.record.merchantResponseDays,
                fulfilmentDays: policy.fulfilmentDays),
            within: standard)
        return ComplaintWorkflow.Context(now: at, calendar: calendar, policy: policy)
    }

    static func consumerActor(_ complaint: Complaint) -> AuditActor {
        AuditActor(accountID: complaint.consumerID, role: "consumer", organizationID: nil)
    }

    // MARK: - The plot

    /// Picks how the case goes and plays it until it ends or reaches the present.
    mutating func play(_ random: inout SplitMix) {
        let roll = random.unit()
        let full = Proposal(refund: current.refundClaimed, text: DemoWords.answers[0])
        switch roll {
        case ..<0.34:  // answered, accepted, fulfilled, rated
            answer(.propose, full, after: random.hours(2...96), &random)
            if random.chance(0.92) { act(.accept, .none, as: .consumer, after: random.hours(1...48)) }
            if random.chance(0.88) { act(.confirmFulfilment, .none, as: .consumer, after: random.hours(12...96)) }
            if random.chance(0.7) { act(.rate, .rate(rating: 3 + random.below(3), comment: nil), as: .consumer, after: random.hours(0...72)) }
        case ..<0.46:  // a partial offer rejected, then mediation that settles
            let partial = Proposal(refund: current.refundClaimed / 2, text: DemoWords.answers[2])
            answer(.propose, partial, after: random.hours(12...120), &random)
            act(.reject, .reason(nil), as: .consumer, after: random.hours(1...48))
            if current.state == .awaitingPlatform { answer(.propose, full, after: random.hours(4...72), &random) }
            act(.escalate, .escalate(mediationBodyID: platform.body.id, reason: "对处理结果不满意"), as: .consumer, after: random.hours(1...72))
            mediate(settles: true, &random)
        case ..<0.56:  // silence; a late answer, or escalation, a mediation that fails, a referral to 12315
            advance(to: current.deadlineAt.map { $0.addingTimeInterval(random.hours(1...96)) } ?? now)
            if random.chance(0.3) {
                answer(.propose, full, after: 0, &random)
                act(.accept, .none, as: .consumer, after: random.hours(1...48))
                act(.confirmFulfilment, .none, as: .consumer, after: random.hours(12...96))
                break
            }
            act(.escalate, .escalate(mediationBodyID: platform.body.id, reason: "平台逾期未答复"), as: .consumer, after: 0)
            if random.chance(0.8) {
                mediate(settles: false, &random)
            } else {
                act(.triage, .triage(accept: false, reason: "不属于受理范围"), as: .mediationBody, after: random.hours(4...48))
            }
            act(.refer, .refer(channel: .twelve315, reference: nil), as: .consumer, after: random.hours(1...96))
        case ..<0.68:  // a reasoned rejection; half the consumers escalate
            answer(.reject, nil, after: random.hours(24...120), &random)
            if random.chance(0.5) {
                act(.escalate, .escalate(mediationBodyID: platform.body.id, reason: "不认可商家理由"), as: .consumer, after: random.hours(1...72))
                act(.triage, .triage(accept: true, reason: nil), as: .mediationBody, after: random.hours(4...48))
                act(.assign, .assign(mediatorID: platform.body.mediators[random.below(platform.body.mediators.count)]), as: .mediationLead,
                    after: random.hours(1...24))
            }
        case ..<0.74:  // withdrawn before any answer
            act(.withdraw, .reason(nil), as: .consumer, after: random.hours(1...72))
        default:  // an offer on the table, sometimes accepted and awaiting fulfilment
            answer(.propose, full, after: random.hours(2...120), &random)
            if random.chance(0.4) { act(.accept, .none, as: .consumer, after: random.hours(1...48)) }
        }
        advance(to: now)
    }

    /// The merchant (when it is its stage, most of the time) or the platform answers.
    mutating func answer(_ decision: Answer.Decision, _ proposal: Proposal?, after delay: TimeInterval, _ random: inout SplitMix) {
        let by: CaseRelation = current.state == .awaitingMerchant && random.chance(0.6) ? .merchant : .platform
        let answer = Answer(decision: decision, proposal: decision == .propose ? proposal : nil, reason: decision == .reject ? DemoWords.reasons[random.below(DemoWords.reasons.count)] : nil)
        act(.respond, .respond(answer), as: by, after: delay)
    }

    mutating func mediate(settles: Bool, _ random: inout SplitMix) {
        let mediator = platform.body.mediators[random.below(platform.body.mediators.count)]
        act(.triage, .triage(accept: true, reason: nil), as: .mediationBody, after: random.hours(4...48))
        act(.assign, .assign(mediatorID: mediator), as: .mediationLead, after: random.hours(1...24), mediator: mediator)
        let terms = Proposal(refund: current.refundClaimed * 8 / 10, text: "调解方案：退款八成")
        act(.propose, .propose(terms), as: .assignedMediator, after: random.hours(24...120), mediator: mediator)
        act(.accept, .none, as: .consumer, after: random.hours(1...48))
        if settles {
            act(.accept, .none, as: .platform, after: random.hours(1...72))
            act(.confirmFulfilment, .none, as: .consumer, after: random.hours(12...96))
            if random.chance(0.6) { act(.rate, .rate(rating: 2 + random.below(4), comment: nil), as: .consumer, after: random.hours(0...72)) }
        } else {
            act(.reject, .none, as: .platform, after: random.hours(1...72))
            act(.fail, .reason("双方无法达成一致"), as: .assignedMediator, after: random.hours(24...72), mediator: mediator)
        }
    }

    /// Takes an action `delay` after the last change, if the rules allow it and it is not in the future.
    mutating func act(_ action: ComplaintAction, _ input: ActionInput, as relation: CaseRelation, after delay: TimeInterval, mediator: UUID? = nil) {
        guard !finished else { return }
        let at = clock.addingTimeInterval(delay)
        guard at <= now else { finished = true; return }
        advance(to: at)
        let facts = current.facts(at: at)
        guard case .allowed(let rule) = Lifecycle.decide(action, by: [relation], facts: facts, decision: input.decision) else { return }
        apply(rule, input, by: relation, at: at, mediator: mediator)
    }

    private mutating func apply(_ rule: TransitionRule, _ input: ActionInput, by relation: CaseRelation, at: Date, mediator: UUID? = nil) {
        let body: UUID? = if case .escalate(let body?, _) = input { body } else { current.mediationBodyID }
        let context = Self.context(at, calendar, platform, body: body)
        let next = ComplaintWorkflow.apply(rule, input: input, to: current, relations: [relation], context: context)
        record(next, action: "complaint.\(rule.action.rawValue)", changes: ComplaintWorkflow.auditChanges(from: current, to: next, input: input),
               actor: actor(relation, mediator: mediator ?? current.mediatorID), at: at)
    }

    /// Marks the deadlines missed before `instant`, as the deadline job (every minute) would, moves a
    /// merchant's missed case to the platform, and closes what nobody moved by its closing time.
    mutating func advance(to instant: Date) {
        while true {
            let stage = current.deadlineAt.flatMap { !current.overdue && !current.state.isTerminal ? $0.addingTimeInterval(60) : nil }
            let standard = current.standardDeadlineAt.flatMap {
                current.firstResponseAt == nil && !current.standardDeadlinePassed && !current.state.isTerminal ? $0.addingTimeInterval(60) : nil
            }
            let closing = current.closesAt.flatMap { !current.state.isTerminal ? $0.addingTimeInterval(60) : nil }
            guard let at = [stage, standard, closing].compactMap({ $0 }).min() else { break }
            guard at <= instant, at <= now else { return }
            if at == closing {
                guard case .allowed(let rule) = Lifecycle.decide(.close, by: [.system], facts: current.facts(at: at)) else { return }
                apply(rule, .none, by: .system, at: at)
                continue
            }
            if at == standard {
                let passed = ComplaintWorkflow.markStandardDeadlinePassed(current, now: at)
                record(passed, action: "complaint.standard_deadline_passed",
                       changes: ComplaintWorkflow.standardDeadlineAuditChanges(from: current, to: passed), actor: actor(.system, mediator: nil), at: at)
                continue
            }
            let overdue = ComplaintWorkflow.markOverdue(current, now: at)
            record(overdue, action: "complaint.overdue", changes: ComplaintWorkflow.overdueAuditChanges(from: current, to: overdue),
                   actor: actor(.system, mediator: nil), at: at)
            if current.state == .awaitingMerchant, case .allowed(let rule) = Lifecycle.decide(.escalateToPlatform, by: [.system], facts: current.facts(at: at)) {
                apply(rule, .none, by: .system, at: at)
            }
        }
        if instant > clock, instant <= now { clock = instant }
    }

    private mutating func record(_ next: Complaint, action: String, changes: [String: AuditFieldChange], actor: AuditActor, at: Date) {
        events.append((AuditEntry(chain: AuditChain.complaint(next.id), action: action, entityType: "complaint", entityID: next.id,
                                  actor: actor, changes: changes), at))
        current = next
        clock = max(clock, at)
    }

    func actor(_ relation: CaseRelation, mediator: UUID?) -> AuditActor {
        switch relation {
        case .consumer: Self.consumerActor(current)
        case .merchant:
            AuditActor(accountID: current.merchantID.flatMap { platform.merchantStaff[$0] }, role: "merchant_staff", organizationID: current.merchantID)
        case .platform: AuditActor(accountID: platform.staff, role: "platform_staff", organizationID: platform.record.id)
        case .mediationBody, .assignedMediator:
            AuditActor(accountID: mediator ?? platform.body.mediators[0], role: "mediator", organizationID: platform.body.id)
        case .mediationLead: AuditActor(accountID: platform.body.lead, role: "mediation_lead", organizationID: platform.body.id)
        case .system: AuditActor(accountID: nil, role: "system", organizationID: nil)
        }
    }
}
