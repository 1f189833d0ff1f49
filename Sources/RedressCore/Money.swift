import Foundation

/// Money as Redress takes it: an integer number of fen (分) of Chinese yuan, the only currency.
///
/// Every amount a client sends is checked against these bounds before it reaches a complaint, so that
/// no sum the service or PostgreSQL forms can leave its type: at most `maximumFen` per order and per
/// demand, at most ten demands per complaint, so one complaint adds at most 2 × 10¹⁰ fen to a figure
/// and a platform would need 4 × 10⁸ such complaints before a 64-bit sum could overflow.
/// Figures are never formed over different currencies: a filing in another currency is refused.
public enum Money {
    public static let currency = "CNY"

    /// ¥10,000,000: far beyond any order of game top-ups, card keys or accounts, and small enough
    /// that sums stay exact in 64 bits (and in a JavaScript number, below 2⁵³).
    public static let maximumFen = 1_000_000_000

    /// The compensation a consumer may ask for or be offered: up to three times the price paid, and
    /// at least ¥500 — the rule of the Consumer Rights Protection Law (Art. 55) for fraudulent
    /// sales, which is also the most a consumer can claim beyond a refund without a court.
    public static func compensationLimit(amountPaid: Int) -> Int {
        min(maximumFen, max(3 * min(max(amountPaid, 0), maximumFen), 50_000))
    }

    /// Whether an amount is one Redress takes at all (1 fen to `maximumFen`).
    public static func isPositiveAmount(_ fen: Int) -> Bool {
        (1...maximumFen).contains(fen)
    }

    /// A sum that saturates instead of trapping: for figures read back from storage, where a value
    /// written before these bounds existed must not stop the service.
    public static func saturatingSum<S: Sequence>(_ amounts: S) -> Int where S.Element == Int {
        amounts.reduce(0) { saturatingAdd($0, $1) }
    }

    public static func saturatingAdd(_ lhs: Int, _ rhs: Int) -> Int {
        let (sum, overflow) = lhs.addingReportingOverflow(rhs)
        guard overflow else { return sum }
        return rhs > 0 ? Int.max : Int.min
    }
}

extension FieldValidator {
    /// The refunds and compensation a proposal or settlement offers, against the order the case is
    /// about: a refund of at most what was paid, compensation within `Money.compensationLimit`.
    public mutating func proposalAmounts(_ proposal: Proposal, amountPaid: Int, field: String) {
        if let refund = proposal.refund, refund > max(amountPaid, 0) { fail("\(field).refund", "exceeds_amount_paid") }
        if let compensation = proposal.compensation, compensation > Money.compensationLimit(amountPaid: amountPaid) {
            fail("\(field).compensation", "exceeds_compensation_limit")
        }
    }

    /// A positive amount of fen within `Money.maximumFen`; `nil` when absent or out of range.
    public mutating func positiveAmount(_ value: Int?, field: String) -> Int? {
        guard let value else { return nil }
        if value <= 0 {
            fail(field, "must_be_positive")
            return nil
        }
        if value > Money.maximumFen {
            fail(field, "out_of_range")
            return nil
        }
        return value
    }
}

extension ActionInput {
    /// The amounts an answer or a settlement offers, checked against the order the case is about.
    public func checkAmounts(amountPaid: Int) throws(RedressError) {
        var fields = FieldValidator()
        switch self {
        case .respond(let answer):
            if let proposal = answer.proposal { fields.proposalAmounts(proposal, amountPaid: amountPaid, field: "proposal") }
        case .propose(let terms):
            fields.proposalAmounts(terms, amountPaid: amountPaid, field: "terms")
        default:
            break
        }
        try fields.check()
    }
}
