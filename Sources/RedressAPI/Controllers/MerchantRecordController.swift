import Foundation
import Hummingbird
import RedressCore
import RedressStore

/// A merchant's record across platforms (Docs/metrics.md): its company's merchants on every platform
/// (one credit code), with complaints, open and unresolved cases, missed deadlines, refunds and police
/// referrals, by platform and by month. Mediation bodies and auditors see every platform's figures; a
/// platform only its own merchants'; a merchant its own.
struct MerchantRecordController {
    let database: Database
    let configuration: APIConfiguration

    var endpoints: [Endpoint] {
        [Endpoint(.get, "/api/v1/merchants/:id/record", read)]
    }

    /// The longest window one request sums: ten years of months.
    static let maximumMonths = 120

    struct Counts: Encodable, Sendable {
        let complaints: Int
        let invalid: Int
        let open: Int
        let unresolved: Int
        let missedDeadline: Int
        let amountRefunded: Int
        let policeReferrals: Int
        let currency = "CNY"

        init(_ counts: MerchantRecordCounts) {
            complaints = counts.complaints
            invalid = counts.invalid
            open = counts.open
            unresolved = counts.unresolved
            missedDeadline = counts.missedDeadline
            amountRefunded = counts.amountRefunded
            policeReferrals = counts.policeReferrals
        }
    }

    struct MerchantOnPlatform: Encodable, Sendable {
        let merchantID: ResourceID
        let merchantName: String
        let platformID: ResourceID
        let platformName: String
        let totals: Counts
    }

    struct Month: Encodable, Sendable {
        let month: String
        let totals: Counts
    }

    struct RecordResponse: Encodable, Sendable {
        let merchant: MerchantResponse
        let from: String
        let to: String
        /// The merchants of the same company (credit code) whose figures the caller may see, this one included.
        let platforms: [MerchantOnPlatform]
        let totals: Counts
        let months: [Month]
    }

    @Sendable func read(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<RecordResponse> {
        // Who asks comes first: a stranger learns nothing, not even what the window may be.
        guard context.principal.actor != nil else { throw RedressError.unauthenticated }
        return JSONResponse(body: try await record(try context.parameters.id(), parameters: request.uri.queryParameters, context: context))
    }

    /// The record of a merchant as the caller may see it (for the API and the console).
    func record(_ id: UUID, parameters: Parameters, context: RedressRequestContext) async throws -> RecordResponse {
        guard context.principal.actor != nil else { throw RedressError.unauthenticated }
        let (from, to) = try Self.window(parameters, today: configuration.calendarDay(of: configuration.clock.now()))
        return try await database.transaction(as: context.identity, origin: context.origin) { transaction -> RecordResponse in
            guard let merchant = try await transaction.merchant(id: id) else { throw RedressError.notFound }
            let reference = OrganizationRef(id: merchant.id, kind: .merchant, platformID: merchant.platformID)
            // Not another platform's merchant, not even its existence in the record: 404, as for a case.
            guard Policy.isAllowed(context.principal, .readMerchantRecord(merchant: reference)) else {
                throw context.principal.actor == nil ? RedressError.unauthenticated
                    : [.platformStaff, .platformAdmin, .merchantStaff].contains(context.principal.actor!.role) ? RedressError.notFound : RedressError.forbidden
            }
            let rows = try await transaction.merchantRecord(merchantID: id, from: from, to: to)
            return Self.summarise(rows, merchant: merchant, from: from, to: to)
        }
    }

    static func summarise(_ rows: [MerchantRecordRow], merchant: MerchantRecord, from: LocalDate, to: LocalDate) -> RecordResponse {
        var byMerchant: [UUID: (row: MerchantRecordRow, counts: MerchantRecordCounts)] = [:]
        var byMonth: [String: MerchantRecordCounts] = [:]
        var totals = MerchantRecordCounts()
        for row in rows {
            byMerchant[row.merchantID, default: (row, MerchantRecordCounts())].counts = (byMerchant[row.merchantID]?.counts ?? MerchantRecordCounts()) + row.counts
            let month = String(row.month.description.prefix(7))
            byMonth[month] = (byMonth[month] ?? MerchantRecordCounts()) + row.counts
            totals = totals + row.counts
        }
        let platforms = byMerchant.values.sorted { ($0.row.platformName, $0.row.merchantName) < ($1.row.platformName, $1.row.merchantName) }.map {
            MerchantOnPlatform(
                merchantID: ResourceID($0.row.merchantID), merchantName: $0.row.merchantName, platformID: ResourceID($0.row.platformID),
                platformName: $0.row.platformName, totals: Counts($0.counts))
        }
        return RecordResponse(
            merchant: MerchantResponse(merchant), from: String(from.description.prefix(7)), to: String(to.description.prefix(7)),
            platforms: platforms, totals: Counts(totals),
            months: byMonth.keys.sorted().map { Month(month: $0, totals: Counts(byMonth[$0]!)) })
    }

    /// `from` and `to` as `YYYY-MM` (first days of those months); by default the twelve months up to this one.
    static func window(_ parameters: Parameters, today: LocalDate) throws(RedressError) -> (LocalDate, LocalDate) {
        var fields = FieldValidator()
        func month(_ name: Substring) -> LocalDate? {
            guard let text = parameters[name].map(String.init) else { return nil }
            guard text.count == 7, let day = LocalDate(text + "-01"), LocalDate.supported.contains(day) else {
                fields.fail(String(name), "invalid_month")
                return nil
            }
            return day
        }
        let end = month("to") ?? LocalDate(year: today.year, month: today.month, day: 1)
        let start = month("from") ?? {
            let index = end.year * 12 + end.month - 1 - 11
            return LocalDate(year: index / 12, month: index % 12 + 1, day: 1)
        }()
        try fields.check()
        let span = (end.year * 12 + end.month) - (start.year * 12 + start.month) + 1
        if span < 1 { throw RedressError.validation([.init(field: "to", reason: "before_from")]) }
        if span > maximumMonths { throw RedressError.validation([.init(field: "from", reason: "window_too_long")]) }
        return (start, end)
    }
}
