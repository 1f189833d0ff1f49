import Foundation
import Hummingbird
import RedressCore
import RedressStore

/// The query of `GET /complaints`: filters from the query string, and the widest scope the caller's
/// role allows (row-level security decides within it).
enum ComplaintListQuery {
    /// The complaints a caller's list can hold at most (row-level security decides within it).
    static func listScope(of actor: Actor) -> ComplaintFilter.Scope {
        switch actor.role {
        case .consumer: return .consumer(actor.accountID)
        case .platformStaff, .platformAdmin: return actor.organizationID.map { .platform($0) } ?? .consumer(actor.accountID)
        case .merchantStaff: return actor.organizationID.map { .merchant($0) } ?? .consumer(actor.accountID)
        case .mediator, .mediationLead: return actor.organizationID.map { .mediationBody($0) } ?? .consumer(actor.accountID)
        case .auditor, .admin: return .everything
        }
    }

    /// With `text`, `q` filters by title (the list's own); search reads `q` itself.
    static func filter(_ query: Parameters, text: Bool = true) throws(RedressError) -> ComplaintFilter {
        var filter = ComplaintFilter()
        var fields = FieldValidator()
        if let states = query["state"] {
            let parsed = states.split(separator: ",").map { ComplaintState(rawValue: String($0)) }
            if parsed.contains(where: { $0 == nil }) { fields.fail("state", "unknown_value") }
            filter.states = parsed.compactMap { $0 }
        }
        if let category = query["category"] {
            filter.category = ComplaintCategory(rawValue: String(category))
            if filter.category == nil { fields.fail("category", "unknown_value") }
        }
        if let platform = query["platform_id"] {
            filter.platformID = UUID(uuidString: String(platform))
            if filter.platformID == nil { fields.fail("platform_id", "invalid_id") }
        }
        if let merchant = query["merchant_id"] {
            filter.merchantID = UUID(uuidString: String(merchant))
            if filter.merchantID == nil { fields.fail("merchant_id", "invalid_id") }
        }
        if let overdue = query["overdue"] {
            switch overdue {
            case "true": filter.overdue = true
            case "false": filter.overdue = false
            default: fields.fail("overdue", "invalid_boolean")
            }
        }
        if let from = query["submitted_from"] {
            filter.submittedFrom = APIJSON.parseRFC3339(String(from))
            if filter.submittedFrom == nil { fields.fail("submitted_from", "invalid_time") }
        }
        if let to = query["submitted_to"] {
            filter.submittedTo = APIJSON.parseRFC3339(String(to))
            if filter.submittedTo == nil { fields.fail("submitted_to", "invalid_time") }
        }
        if text, let text = query["q"] {
            if text.count > 100 { fields.fail("q", "too_long") } else { filter.titleContains = String(text) }
        }
        try fields.check()
        return filter
    }
}
