import Foundation
import Hummingbird
import RedressCore
import RedressStore

/// Search by text over the complaints the caller may see (Docs/search.md): Chinese and other text in
/// the title, the statement, the order number, the product and merchant names and the thread, with
/// the list's filters, an amount range, and ordering by relevance or deadline.
struct SearchController {
    let database: Database
    let configuration: APIConfiguration

    var endpoints: [Endpoint] {
        [Endpoint(.get, "/api/v1/search/complaints", search)]
    }

    /// A page of search results: at most 50, the ranking being the costly part.
    static let maximumLimit = 50

    struct Hit: Encodable, Sendable {
        let relevance: Int
        let complaint: ComplaintResponse
    }

    struct SearchResponse: Encodable, Sendable {
        let items: [Hit]
        let nextCursor: String?
        /// The query matched more cases than are ranked: narrow it with filters.
        let capped: Bool

        enum CodingKeys: String, CodingKey { case items, nextCursor, capped }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(items, forKey: .items)
            try container.encode(nextCursor, forKey: .nextCursor)
            try container.encode(capped, forKey: .capped)
        }
    }

    @Sendable func search(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<SearchResponse> {
        try Policy.authorize(context.principal, .searchComplaints)
        guard let actor = context.principal.actor else { throw RedressError.unauthenticated }
        var search = try Self.parse(request.uri.queryParameters)
        search.filter.scope = ComplaintListQuery.listScope(of: actor)
        let now = configuration.clock.now()
        let page = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.searchComplaints(search)
        }
        let next = page.more ? String(search.offset + search.limit) : nil
        return JSONResponse(body: SearchResponse(
            items: page.hits.map { hit in
                Hit(relevance: hit.relevance, complaint: ComplaintResponse(hit.complaint, access: CaseAccess(actor, to: hit.complaint, now: now), readiness: nil))
            },
            nextCursor: next, capped: page.capped))
    }

    static func parse(_ parameters: Parameters) throws(RedressError) -> ComplaintSearch {
        var fields = FieldValidator()
        var query: SearchText.Query?
        do {
            query = try SearchText.Query(parameters["q"].map(String.init) ?? "")
        } catch {
            fields.fail("q", error.rawValue)
        }
        var filter = ComplaintFilter()
        do {
            filter = try ComplaintListQuery.filter(parameters, text: false)
        } catch {
            for invalid in error.invalidFields { fields.fail(invalid.field, invalid.reason) }
        }
        func amount(_ name: Substring) -> Int? {
            guard let text = parameters[name].map(String.init) else { return nil }
            guard let value = Int(text), (0...Money.maximumFen).contains(value) else {
                fields.fail(String(name), "out_of_range")
                return nil
            }
            return value
        }
        let amountMin = amount("amount_min"), amountMax = amount("amount_max")
        if let amountMin, let amountMax, amountMin > amountMax { fields.fail("amount_max", "less_than_amount_min") }
        var order = ComplaintSearch.Order.relevance
        if let text = parameters["order"].map(String.init) {
            if let chosen = ComplaintSearch.Order(rawValue: text) { order = chosen } else { fields.fail("order", "unknown_value") }
        }
        var limit = PageRequest.defaultLimit
        if let text = parameters["limit"].map(String.init) {
            if let value = Int(text), (1...maximumLimit).contains(value) { limit = value } else { fields.fail("limit", "out_of_range") }
        }
        // The cursor is the position of the next page in the ranking (which holds at most the candidate limit).
        var offset = 0
        if let text = parameters["cursor"].map(String.init) {
            if let value = Int(text), (0...ComplaintSearch.candidateLimit).contains(value) { offset = value } else { fields.fail("cursor", "invalid_cursor") }
        }
        try fields.check()
        var search = ComplaintSearch(query: query!)
        search.filter = filter
        search.amountMin = amountMin
        search.amountMax = amountMax
        search.order = order
        search.limit = limit
        search.offset = offset
        return search
    }
}

extension SearchController.SearchResponse: DirectJSON {
    func write(to json: inout DirectJSONWriter) {
        json.beginObject()
        json.member("capped", capped)
        json.member("items", items)
        json.nullableMember("next_cursor", nextCursor)
        json.endObject()
    }
}

extension SearchController.Hit: DirectJSON {
    func write(to json: inout DirectJSONWriter) {
        json.beginObject()
        json.member("complaint", complaint)
        json.member("relevance", relevance)
        json.endObject()
    }
}
