import Foundation
import PostgresNIO
import RedressCore

/// What one merchant's complaints add up to in a month (Docs/metrics.md, "A merchant's record").
public struct MerchantRecordCounts: Sendable, Equatable {
    /// Complaints naming the merchant, but those the mediation body found invalid (counted apart).
    public var complaints = 0
    public var invalid = 0
    public var open = 0
    public var unresolved = 0
    public var missedDeadline = 0
    public var amountRefunded = 0
    public var policeReferrals = 0

    public init() {}

    public static func + (lhs: Self, rhs: Self) -> Self {
        var sum = Self()
        sum.complaints = Money.saturatingAdd(lhs.complaints, rhs.complaints)
        sum.invalid = Money.saturatingAdd(lhs.invalid, rhs.invalid)
        sum.open = Money.saturatingAdd(lhs.open, rhs.open)
        sum.unresolved = Money.saturatingAdd(lhs.unresolved, rhs.unresolved)
        sum.missedDeadline = Money.saturatingAdd(lhs.missedDeadline, rhs.missedDeadline)
        sum.amountRefunded = Money.saturatingAdd(lhs.amountRefunded, rhs.amountRefunded)
        sum.policeReferrals = Money.saturatingAdd(lhs.policeReferrals, rhs.policeReferrals)
        return sum
    }
}

/// One row of the record: a merchant (of one platform) in one month.
public struct MerchantRecordRow: Sendable {
    public let merchantID: UUID
    public let merchantName: String
    public let platformID: UUID
    public let platformName: String
    /// The first day of the month.
    public let month: LocalDate
    public let counts: MerchantRecordCounts
}

extension Transaction {
    /// The record of a merchant and of every merchant with its credit code (one company, on any
    /// platform), month by month from `from` to `to` (first days of months): the rows the caller may
    /// read (row-level security decides: a platform sees its own merchants only).
    public func merchantRecord(merchantID: UUID, from: LocalDate, to: LocalDate) async throws -> [MerchantRecordRow] {
        let rows = try await query(
            """
            SELECT r.merchant_id, o.name, r.platform_id, p.name, to_char(r.month, 'YYYY-MM-DD'), r.complaints, r.invalid, r.open, r.unresolved,
                   r.missed_deadline, r.amount_refunded, r.police_referrals
            FROM merchant_monthly_record r
            JOIN organizations o ON o.id = r.merchant_id JOIN organizations p ON p.id = r.platform_id
            WHERE r.merchant_id IN (
                    SELECT m.id FROM merchants m, merchants named
                    WHERE named.id = \(merchantID) AND (m.id = named.id OR m.credit_code = named.credit_code))
              AND r.month BETWEEN \(from.description)::date AND \(to.description)::date
            ORDER BY r.month, p.name, o.name
            """)
        var record: [MerchantRecordRow] = []
        for try await (merchant, merchantName, platform, platformName, month, complaints, invalid, open, unresolved, missed, refunded, police)
            in rows.decode((UUID, String, UUID, String, String, Int64, Int64, Int64, Int64, Int64, Int64, Int64).self)
        {
            var counts = MerchantRecordCounts()
            counts.complaints = Int(complaints)
            counts.invalid = Int(invalid)
            counts.open = Int(open)
            counts.unresolved = Int(unresolved)
            counts.missedDeadline = Int(missed)
            counts.amountRefunded = Int(refunded)
            counts.policeReferrals = Int(police)
            guard let day = LocalDate(month) else { continue }
            record.append(
                MerchantRecordRow(
                    merchantID: merchant, merchantName: merchantName, platformID: platform, platformName: platformName, month: day, counts: counts))
        }
        return record
    }
}
