/// Docs/lifecycle.md, written from the transition table (`redress lifecycle-doc`); a test fails
/// when the committed document and the table disagree.
public enum LifecycleDocument {
    public static func markdown() -> String {
        var lines: [String] = [
            "# The complaint lifecycle",
            "",
            "Generated from `Lifecycle.rules` in `Sources/RedressCore/Lifecycle.swift` by `redress lifecycle-doc`;",
            "do not edit by hand. The database refuses every change of state that is not listed here",
            "(`complaint_state_changes`), and a test holds the two together.",
            "",
            "```mermaid",
            "stateDiagram-v2",
        ]
        let first = Lifecycle.initialState(merchantFirst: true, merchantNamed: true), otherwise = Lifecycle.initialState(merchantFirst: false, merchantNamed: false)
        lines.append("    [*] --> \(first.rawValue): filed (merchant_first platform, merchant named)")
        if otherwise != first { lines.append("    [*] --> \(otherwise.rawValue): filed") }
        var edges: [String: [String]] = [:]
        var order: [String] = []
        for rule in Lifecycle.rules where rule.from != rule.to && rule.action != .withdraw {
            let key = "\(rule.from.rawValue) --> \(rule.to.rawValue)"
            if edges[key] == nil { order.append(key) }
            if !(edges[key] ?? []).contains(rule.action.rawValue) { edges[key, default: []].append(rule.action.rawValue) }
        }
        for key in order { lines.append("    \(key): \(edges[key]!.joined(separator: ", "))") }
        lines.append("    note left of withdrawn: withdraw, from every state that is not terminal")
        for state in ComplaintState.allCases where state.isTerminal { lines.append("    \(state.rawValue) --> [*]") }
        lines += ["```", "", "## Who may do what, when", "",
                  "| action | in state | by | only when | to |", "| --- | --- | --- | --- | --- |"]
        for rule in Lifecycle.rules {
            let actors = CaseRelation.allCases.filter(rule.actors.contains).map(\.rawValue).joined(separator: ", ")
            let conditions = TransitionCondition.allCases.filter(rule.conditions.contains).map(\.rawValue).joined(separator: ", ")
            lines.append("| `\(rule.action.rawValue)` | `\(rule.from.rawValue)` | \(actors) | \(conditions.isEmpty ? "—" : conditions) | `\(rule.to.rawValue)` |")
        }
        lines += [
            "",
            "## Terms",
            "",
            "- **by**: `consumer` who filed the case; `merchant` staff of the merchant it names; `platform` staff",
            "  of the platform it is against; `mediation_body` any mediator or lead of the body it was escalated",
            "  to; `mediation_lead` that body's lead; `assigned_mediator` the mediator assigned; `system` the",
            "  deadline job.",
            "- **deadline_passed**: the current stage's deadline (counted in working days) has passed.",
            "- A refused action answers 409 `invalid_transition` with the caller's `allowed_actions`; escalating",
            "  before the platform had its chance answers 409 `platform_first`; an action by someone who is a",
            "  party but not one of **by** answers 403; a caller who is no party to the case gets 404.",
            "- Stage deadlines: `awaiting_merchant` the platform's `merchant_response_days`; `awaiting_platform`",
            "  its `response_days`; `escalated` the body's `triage_days`; `in_mediation` its `mediation_days`;",
            "  `resolution_agreed` the platform's `fulfilment_days` — a platform's days are the promise it made",
            "  when the case was filed, never longer than the operator's standard. A stage that does not change",
            "  keeps its deadline.",
            "- **closing_time_reached**: nobody moved the case by its `closes_at`, and the deadline job (`system`)",
            "  ends it: an answer left unanswered for the consumer's reply window (`REDRESS_STANDARD_CONSUMER_REPLY_DAYS`,",
            "  counted from the ultimatum and its grace when there is one) closes `unresolved`; an agreed outcome",
            "  neither confirmed nor reported within the fulfilment deadline plus the confirmation window",
            "  (`REDRESS_STANDARD_CONFIRMATION_DAYS`) closes `unresolved` too (relief counts only once the consumer",
            "  confirms it); a failed mediation not referred within",
            "  `REDRESS_STANDARD_REFERRAL_DAYS` closes `unresolved`. Every state a case can wait in thus has a",
            "  deadline or a closing time (a test plays random cases to the end of time to hold it).",
            "- **answer_grace_over**: the answer on the table is at least 48 hours old, so that an ultimatum",
            "  never moves a case on before the consumer could accept an answer that came at the last moment.",
            "- **reports_left** / **no_reports_left**: a consumer may report an agreed outcome as not delivered",
            "  twice, and only after the fulfilment deadline; the third report ends the mediation as failed.",
            "- `acknowledge` is a holding reply (\"系统升级\", \"人工审核中\", \"正在核实\"): the side the case waits on",
            "  says it is looking into it. It is shown to every party, in the thread and on the case",
            "  (`acknowledgements`), but it is not an answer: the case keeps its state and its deadline, no first",
            "  response is recorded, and no figure counts it as a response. A `respond` that rejects with such a",
            "  phrase as its reason is refused (422 `holding_reply`). A case takes at most 20 of them.",
            "- `set_ultimatum` sets the consumer's ultimatum (1–60 working days from now), or brings an earlier one",
            "  forward (a later one is refused with 422 `not_earlier_than_current_ultimatum`), at any time in the",
            "  platform stage (`awaiting_platform`, or `proposal_made` with the platform's answer, whose closing time",
            "  then waits for the ultimatum and its grace). Platform first still holds: an ultimatum that runs out",
            "  before the platform's deadline acts once that deadline has passed too.",
            "- `record_finding` records where the mediator finds the fault lies (`platform`, `merchant`, `consumer` —",
            "  the consumer's own error —, `shared`, `undetermined`); it may be corrected while the case is in",
            "  mediation, agreed or failed. The consumer says where he thinks it lies when filing (`fault_claim`),",
            "  the seller in its answer (`fault`). Docs/metrics.md says how findings count.",
            "",
            "- `hand_to_merchant`: a platform whose rules have the merchant answer first hands a case that names",
            "  its merchant to it, once, before the case left the stage it was filed into and within the platform's",
            "  own deadline; the merchant's deadline is never later than the platform's was, and the first answer",
            "  is still owed by the standard deadline from filing. When the case comes back (the consumer takes it",
            "  back, the merchant misses its deadline, or the consumer rejects the merchant's answer) the platform",
            "  has its own deadline again, not a new one: overdue at once if it has passed.",
            "- `refer` from the platform stage goes to **12315** only (422 `only_12315_before_mediation`), once the",
            "  platform had its chance and failed: silent past its deadline, or its answer, once it is 48 hours old",
            "  (time for the platform to dispute the complaint's validity), rejected by the consumer or itself a",
            "  rejection. The dossier is the packet 12315 asks for (the platform's registered name,",
            "  credit code and address, the demands, the evidence with SHA-256 digests). `record_referral` records",
            "  the authority's case number (once) and then its outcome (`resolved`, `not_resolved`, `declined`):",
            "  the referral stays open until the outcome is recorded. The dossier recommends channels by the same",
            "  rule: 12315 always; once the case has been before a mediator or its mediation failed, also a court",
            "  when more than 5,000 CNY is in dispute or fraud is suspected, and the police when fraud is suspected",
            "  (goods never delivered, and no answer ever came after a missed deadline).",
            "- A **collective case** groups cases of one problem before one mediation body (Docs/search.md): the lead",
            "  assigns one mediator to every case (each case's own `assign`), the mediator makes one proposal (each",
            "  case's own `propose`, a share of its own amount paid), and each consumer accepts or rejects it for his",
            "  own case. Every case keeps its own lifecycle and audit chain.",
            "- An ultimatum says \"or I go to 12315\". When the system carries one out by sending the case to",
            "  mediation (`escalated_by` `system`), the consumer may still `refer` it to 12315 instead, until the",
            "  body takes it up at triage; a case the consumer or the platform sent to mediation stays there.",
            "- A case whose mediation failed (referred on or not), or whose agreed outcome never came (closed",
            "  unresolved), can be re-filed once, as a new complaint against the same platform that names it",
            "  (`refiles`) and carries the supplementary statement and evidence; both stay linked.",
            "",
            "## Flags: unfair terms and retaliation threats",
            "",
            "Besides its state, a case carries flags (`/complaints/{id}/flags`): an **unfair term** — a clause that",
            "excludes or restricts the consumer's main rights (\"虚拟商品一经售出，概不退换\", \"不退不换\",",
            "\"最终解释权归本平台\"), void under 消费者权益保护法 Art. 26 — or a **retaliation threat** (\"投诉将影响账户",
            "使用\", an account frozen after complaining). They are raised by catalogued wording in the platform's",
            "terms in force when the case was filed (`/platforms/{id}/terms`), in the platform's or merchant's answer,",
            "holding replies and messages to the parties (one flag of each kind per text), or reported by the consumer",
            "with evidence (at most 10 reports). Each shows its legal basis. Art. 25's exceptions for digital goods",
            "(online downloads and the like) only lift the seven-day return without reason: they never cover goods",
            "that were not delivered or not as described, which is what these complaints are about. The mediator",
            "assigned to the case, or its body's lead, confirms or dismisses each flag once, while the case is open",
            "after the body took it up; a confirmed flag counts its case against the platform (Docs/metrics.md).",
            "",
        ]
        return lines.joined(separator: "\n")
    }
}
