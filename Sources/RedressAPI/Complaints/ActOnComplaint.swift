import Foundation
import RedressCore
import RedressStore

/// One lifecycle action on one case, as one transaction: the caller's standing and the lifecycle
/// decide (`CaseAccess`), the inputs that need the database are checked (a mediation body, a
/// mediator of it), the workflow applies the rule, and the change is stored with its audit event —
/// only if nobody changed the case meanwhile.
struct ActOnComplaint {
    let database: Database
    let configuration: APIConfiguration

    func callAsFunction(
        _ action: ComplaintAction, input: ActionInput, on id: UUID, expectedVersion: Int?, by actor: Actor, context: RedressRequestContext
    ) async throws -> ComplaintResponse {
        let now = configuration.clock.now()
        let configuration = configuration
        return try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            guard let complaint = try await transaction.complaint(id: id) else { throw RedressError.notFound }
            let (changed, platform) = try await Self.perform(
                action, input: input, on: complaint, expectedVersion: expectedVersion, by: actor, auditActor: context.auditActor, now: now,
                configuration: configuration, transaction)
            let evidence = try await transaction.evidenceKinds(complaintID: changed.id)
            return ComplaintResponse.view(
                changed, actor: actor, merchantFirst: platform?.merchantFirst ?? false, evidence: evidence, now: now, language: context.language)
        }
    }

    /// The action on a case already read, inside the caller's transaction: what a collective case does
    /// to each of its cases, as the single-case request does to one. Refusals (RedressError) come before
    /// anything is written.
    static func perform(
        _ action: ComplaintAction, input: ActionInput, on complaint: Complaint, expectedVersion: Int?, by actor: Actor, auditActor: AuditActor,
        now: Date, configuration: APIConfiguration, _ transaction: Transaction
    ) async throws -> (Complaint, PlatformRecord?) {
        let id = complaint.id
        let timeZone = configuration.timeZone
        let access = CaseAccess(actor, to: complaint, now: now)
        guard access.isParty else { throw actor.role == .auditor ? RedressError.forbidden : RedressError.notFound }
        if let expectedVersion, expectedVersion != complaint.version { throw RedressError(.preconditionFailed) }
        let rule = try Self.rule(for: action, input: input, access: access)
        // The authority's case number is recorded once (it is the consumer's text, kept as given).
        if case .referralRecord(let reference?, _) = input, complaint.referralReference != nil, reference != complaint.referralReference {
            throw RedressError.validation([.init(field: "reference", reason: "reference_recorded")])
        }
        if case .referralRecord(let reference, nil) = input, reference == complaint.referralReference {
            throw RedressError.validation([.init(field: "reference", reason: "nothing_new")])
        }
        // Before mediation, a referral goes to 12315 only: a court or the police come after it failed.
        if case .refer(let channel, _) = input, rule.from != .mediationFailed, channel != .twelve315 {
            throw RedressError.validation([.init(field: "channel", reason: "only_12315_before_mediation")])
        }
        try input.checkAmounts(amountPaid: complaint.order.amountPaid)
        let platform = try await transaction.platform(id: complaint.platformID)
        let effectiveInput = try await Self.resolve(
            input, for: rule, complaint: complaint, platformBody: platform?.defaultMediationBodyID,
            operatorBody: configuration.defaultMediationBodyID, transaction)
        let body: UUID? = switch effectiveInput {
        case .escalate(let body?, _), .disputeValidity(_, _, let body?): body
        default: complaint.mediationBodyID
        }
        let workflow = try await transaction.workflowContext(
            platformID: complaint.platformID, promise: complaint.promise, mediationBodyID: body, timeZone: timeZone,
            standard: configuration.standardDeadlines)
        let changed = ComplaintWorkflow.apply(rule, input: effectiveInput, to: complaint, relations: access.relations, context: workflow)
        try Self.checkBounds(action, from: complaint, to: changed)
        let stored = try await transaction.updateComplaint(
            changed, expectedVersion: complaint.version, action: "complaint.\(action.rawValue)",
            changes: ComplaintWorkflow.auditChanges(from: complaint, to: changed, input: effectiveInput), actor: auditActor)
        guard stored else {
            throw expectedVersion == nil ? RedressError(.conflict, detail: "Another change to this complaint won; reload it.") : RedressError(.preconditionFailed)
        }
        switch effectiveInput {
        case .acknowledge(let text):
            // The holding reply is shown in the thread; the action's audit event records it.
            let entry = MessageRecord(
                id: UUID(), complaintID: id, authorID: actor.accountID, authorRole: actor.role.rawValue,
                authorOrganizationID: actor.organizationID, visibility: .parties, body: text, createdAt: now, kind: .acknowledgement)
            try await transaction.insertThreadEntry(entry)
            try await transaction.raiseFlags(
                FlagRecognition.flags(in: [text], complaintID: id, source: .message, sourceID: entry.id, by: actor.accountID, at: now),
                actor: auditActor)
        case .respond(let answer):
            try await transaction.raiseFlags(
                FlagRecognition.flags(
                    in: [answer.reason, answer.proposal?.text], complaintID: id, source: .answer, sourceID: nil, by: actor.accountID, at: now),
                actor: auditActor)
        default:
            break
        }
        return (changed, platform)
    }

    /// The rule the lifecycle applies, or the refusal that says why not and what the caller may do.
    static func rule(for action: ComplaintAction, input: ActionInput, access: CaseAccess) throws(RedressError) -> TransitionRule {
        switch access.decide(action, decision: input.decision) {
        case .allowed(let rule): return rule
        case .notYours: throw RedressError.forbidden
        case .notNow(let allowed): throw RedressError(.invalidTransition, allowedActions: allowed.map(\.rawValue))
        case .conditionUnmet(let condition):
            if [.deadlinePassed, .answerRejected, .answeredByPlatform].contains(condition) && action == .escalate {
                throw RedressError(.platformFirst, allowedActions: access.allowedActions.map(\.rawValue))
            }
            throw RedressError(.invalidTransition, detail: "Not now: \(condition.rawValue).", allowedActions: access.allowedActions.map(\.rawValue))
        }
    }

    /// Holding replies on one case: past this many, the seller has been told enough times that it is
    /// looking into it.
    static let acknowledgementLimit = 20

    /// What an action may not do to a case: push an ultimatum back (it may be set, or brought forward:
    /// the time the seller was given stands), or add a holding reply past `acknowledgementLimit`.
    static func checkBounds(_ action: ComplaintAction, from before: Complaint, to after: Complaint) throws(RedressError) {
        if action == .setUltimatum, let earlier = before.ultimatumAt, let later = after.ultimatumAt, later >= earlier {
            throw RedressError.validation([.init(field: "ultimatum_days", reason: "not_earlier_than_current_ultimatum")])
        }
        if action == .acknowledge, after.acknowledgements > acknowledgementLimit {
            throw RedressError.validation([.init(field: "text", reason: "too_many_acknowledgements")])
        }
    }

    /// The input with what only the database knows filled in and checked: the body an escalation
    /// goes to (the one asked for, the case's, or the platform's default), the mediator assigned.
    static func resolve(
        _ input: ActionInput, for rule: TransitionRule, complaint: Complaint, platformBody: UUID?, operatorBody: UUID?, _ transaction: Transaction
    ) async throws -> ActionInput {
        let defaultBody = platformBody ?? operatorBody
        switch input {
        case .escalate(let requested, let reason) where rule.to == .escalated:
            guard let body = requested ?? complaint.mediationBodyID ?? defaultBody else {
                throw RedressError.validation([.init(field: "mediation_body_id", reason: "required")])
            }
            guard try await transaction.organization(id: body)?.kind == .mediationBody else {
                throw RedressError.validation([.init(field: "mediation_body_id", reason: "unknown_mediation_body")])
            }
            return .escalate(mediationBodyID: body, reason: reason)
        case .disputeValidity(let ground, let note, _):
            // The body that rules on a platform's dispute is the operator's default where there is
            // one (a platform could switch its own just before disputing), else the platform's.
            guard let body = operatorBody ?? platformBody,
                try await transaction.organization(id: body)?.kind == .mediationBody
            else {
                throw RedressError(.invalidTransition, detail: "No mediation body rules on this platform's complaints.")
            }
            return .disputeValidity(ground: ground, note: note, mediationBodyID: body)
        case .assign(let mediator):
            guard let body = complaint.mediationBodyID, try await transaction.isMediator(mediator, of: body) else {
                throw RedressError.validation([.init(field: "mediator_id", reason: "not_a_mediator_of_the_body")])
            }
            return input
        default:
            return input
        }
    }
}
