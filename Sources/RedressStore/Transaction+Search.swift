import Foundation
import PostgresNIO
import RedressCore

/// A search of the complaints a caller may see: the query's words, the list's filters, an amount range
/// and an order (Docs/search.md).
public struct ComplaintSearch: Sendable {
    public enum Order: String, Sendable, CaseIterable {
        /// Where the words were found (the title first), then the newest.
        case relevance
        /// The nearest deadline first (cases without one last).
        case deadline
    }

    public var query: SearchText.Query
    public var filter = ComplaintFilter()
    public var amountMin: Int?
    public var amountMax: Int?
    public var order = Order.relevance
    public var offset = 0
    public var limit = PageRequest.defaultLimit

    /// The candidates ranked at most: a query that matches more within its filters ranks the newest
    /// this many of the matches found and says so (narrow it). Ranking reads each candidate's texts.
    public static let candidateLimit = 200
    /// The matches looked for at most when filters other than the scope narrow the search (they apply
    /// to the matches): a query that reaches it says it was capped.
    public static let hitLimit = 2000
    /// The newest cases of the scope read at most when a word is common enough to be found by walking
    /// them rather than through the index (Docs/search.md): about 25 ms at most. A walk that ends
    /// there without enough matches gives way to the index.
    public static let walkLimit = 4000
    /// A consumer's own cases are all read (filings are limited per day): at most this many.
    public static let ownCasesLimit = 2000

    /// Whether a filter other than the caller's scope narrows the search.
    var isNarrowed: Bool {
        filter.states != nil || filter.category != nil || filter.platformID != nil || filter.merchantID != nil
            || filter.overdue != nil || filter.submittedFrom != nil || filter.submittedTo != nil || amountMin != nil || amountMax != nil
    }

    public init(query: SearchText.Query) { self.query = query }
}

/// One page of a search.
public struct ComplaintSearchPage: Sendable {
    public var hits: [(complaint: Complaint, relevance: Int)]
    /// Whether another page follows.
    public var more: Bool
    /// Whether the query may match more than the cases ranked: more than `ComplaintSearch.candidateLimit`
    /// passed the filters, or the matches looked for reached their bound.
    public var capped: Bool
}

extension Transaction {
    /// Indexes a complaint's own texts as it is filed (the merchant's name with them).
    public func indexComplaintText(_ complaint: Complaint, merchantName: String?) async throws {
        let grams = SearchText.grams([complaint.title, complaint.description, complaint.order.orderNo, complaint.order.productName, merchantName])
        for try await _ in try await query("SELECT redress_index_complaint(\(complaint.id), \(grams))") {}
    }

    /// Indexes complaints written in bulk (their own texts; the demo names no merchant in them).
    public func indexComplaintTextsInBulk(_ complaints: [Complaint]) async throws {
        let entries = complaints.map { complaint -> [String: Any] in
            ["id": complaint.id.uuidString.lowercased(),
             "grams": SearchText.grams([complaint.title, complaint.description, complaint.order.orderNo, complaint.order.productName])]
        }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: entries), as: UTF8.self)
        try await query(
            """
            INSERT INTO complaint_search (complaint_id, grams, platform_id, merchant_id, mediation_body_id, submitted_at)
            SELECT c.id, ARRAY(SELECT jsonb_array_elements_text(e->'grams')), c.platform_id, c.merchant_id, c.mediation_body_id, c.submitted_at
            FROM jsonb_array_elements(\(json)::jsonb) e JOIN complaints c ON c.id = (e->>'id')::uuid
            """)
    }

    /// Indexes a thread entry's text as it is written.
    func indexMessageText(_ message: MessageRecord) async throws {
        for try await _ in try await query("SELECT redress_index_message(\(message.id), \(SearchText.grams([message.body])))") {}
    }

    /// The complaints the caller may see (row-level security decides) that hold every word of the query:
    /// in the title, the statement, the order number, the product or merchant name, or a thread entry
    /// the caller may read. Candidates are the newest cases whose bigrams hold the query's (each word
    /// whole in one text, or the whole query in one thread entry), found through the bigram indexes or,
    /// for a common word, by walking the scope's newest cases; each is then checked word by word.
    public func searchComplaints(_ search: ComplaintSearch) async throws -> ComplaintSearchPage {
        let bounds = SearchBounds(search)
        let statement = SearchStatement(query: Self.searchQuery(search, bounds))
        var hits: [(complaint: Complaint, relevance: Int)] = []
        var found = 0, hitCount = 0
        func read(_ row: PostgresRow) throws {
            let columns = row.makeRandomAccess()
            found = try columns["found"].decode(Int.self)
            hitCount = try columns["hit_count"].decode(Int.self)
            // A page past the end is one row of counts alone.
            if try columns["id"].decode(UUID?.self) != nil {
                hits.append((try Self.decodeComplaint(columns), try columns["relevance"].decode(Int.self)))
            }
        }
        // Prepared on the connection, so that its plan is kept (planning it took longer than running it);
        // as an ordinary query should its text ever differ from the prepared one.
        if statement.query.sql == SearchStatement.sql {
            for try await row in try await execute(statement) { try read(row) }
        } else {
            for try await row in try await query(statement.query) { try read(row) }
        }
        let more = hits.count > search.limit
        return ComplaintSearchPage(
            hits: Array(hits.prefix(search.limit)), more: more,
            capped: found > bounds.candidates || (!bounds.ownOnly && hitCount >= bounds.matches))
    }

    /// The search's statement: its text is the same for every search (every value is bound).
    static func searchQuery(_ search: ComplaintSearch, _ bounds: SearchBounds) -> PostgresQuery {
        let filter = search.filter
        let states = filter.states?.map(\.rawValue)
        let (consumer, platform, merchant, body) = filter.scope.columns
        let grams = search.query.grams, runs = search.query.runs
        let byDeadline = search.order == .deadline
        let ownOnly = bounds.ownOnly, candidateLimit = bounds.candidates, most = bounds.matches, walk = bounds.walk
        return
            """
            WITH hits AS MATERIALIZED (
                -- A case matched by its own texts and by a thread entry comes twice.
                SELECT DISTINCT h.complaint_id, h.submitted_at
                FROM redress_search_newest(\(grams), \(platform)::uuid, \(merchant)::uuid, \(body)::uuid, \(most)::int, \(walk)::int) h
                WHERE NOT \(ownOnly)
                UNION ALL
                SELECT id, submitted_at FROM complaints WHERE \(ownOnly) AND consumer_id = \(consumer ?? UUID())
            ), candidates AS MATERIALIZED (
                -- Each match is looked up by its id, the newest first, until enough pass the filters (as
                -- a join, the planner, which cannot know how few matches the function gives, may prefer
                -- to scan every complaint under row-level security), with what ranking reads; the page's
                -- cases are read whole afterwards (in the same statement, so the same rows).
                SELECT c.* FROM hits h
                CROSS JOIN LATERAL (
                  SELECT c.id, c.submitted_at, c.deadline_at, c.title, c.order_no, c.product_name, c.merchant_id, c.description
                  FROM complaints c
                  WHERE c.id = h.complaint_id
                  AND (\(consumer == nil) OR c.consumer_id = \(consumer ?? UUID()))
                  AND (\(platform == nil) OR c.platform_id = \(platform ?? UUID()))
                  AND (\(merchant == nil) OR c.merchant_id = \(merchant ?? UUID()))
                  AND (\(body == nil) OR c.mediation_body_id = \(body ?? UUID()))
                  AND (\(states == nil) OR c.state = ANY(\(states ?? [])))
                  AND (\(filter.category == nil) OR c.category = \(filter.category?.rawValue ?? ""))
                  AND (\(filter.platformID == nil) OR c.platform_id = \(filter.platformID ?? UUID()))
                  AND (\(filter.merchantID == nil) OR c.merchant_id = \(filter.merchantID ?? UUID()))
                  AND (\(filter.overdue == nil) OR c.overdue = \(filter.overdue ?? false))
                  AND (\(filter.submittedFrom == nil) OR c.submitted_at >= \(filter.submittedFrom ?? .distantPast))
                  AND (\(filter.submittedTo == nil) OR c.submitted_at < \(filter.submittedTo ?? .distantFuture))
                  AND (\(search.amountMin == nil) OR c.amount_paid >= \(search.amountMin ?? 0))
                  AND (\(search.amountMax == nil) OR c.amount_paid <= \(search.amountMax ?? 0))
                  LIMIT 1
                ) c
                ORDER BY h.submitted_at DESC, h.complaint_id DESC
                LIMIT \(candidateLimit + 1)
            ), ranked AS (
                SELECT k.*, m.relevance FROM candidates k
                CROSS JOIN LATERAL (
                    -- Where each word is found, best place first (each text normalised only when the
                    -- places before it lack the word); a word found nowhere rules the case out.
                    SELECT sum(CASE
                        WHEN strpos(redress_search_normalise(k.title), r) > 0 THEN 8
                        WHEN strpos(redress_search_normalise(k.order_no), r) > 0 THEN 6
                        WHEN strpos(redress_search_normalise(concat_ws(' ', k.product_name,
                            (SELECT o.name FROM organizations o WHERE o.id = k.merchant_id))), r) > 0 THEN 4
                        WHEN strpos(redress_search_normalise(k.description), r) > 0 THEN 2
                        WHEN EXISTS (SELECT 1 FROM complaint_messages cm
                                     WHERE cm.complaint_id = k.id AND strpos(redress_search_normalise(cm.body), r) > 0) THEN 1
                        ELSE -1000 END)::int AS relevance
                    FROM unnest(\(runs)::text[]) r
                ) m
                WHERE m.relevance > 0
            )
            -- The counts come on a row of their own when the page is empty.
            SELECT counts.found, counts.hit_count, page.* FROM (
                SELECT (SELECT count(*) FROM candidates) AS found, (SELECT count(*) FROM hits) AS hit_count
            ) counts
            LEFT JOIN LATERAL (
                SELECT c.*, r.relevance FROM (
                    SELECT r.id, r.relevance FROM ranked r
                    ORDER BY CASE WHEN \(byDeadline) THEN 0 ELSE -r.relevance END, CASE WHEN \(byDeadline) THEN r.deadline_at END NULLS LAST,
                             r.submitted_at DESC, r.id
                    OFFSET \(search.offset) LIMIT \(search.limit + 1)
                ) r
                CROSS JOIN LATERAL (SELECT \(unescaped: Self.complaintColumns) FROM complaints c WHERE c.id = r.id) c
            ) page ON true
            ORDER BY CASE WHEN \(byDeadline) THEN 0 ELSE -page.relevance END, CASE WHEN \(byDeadline) THEN page.deadline_at END NULLS LAST,
                     page.submitted_at DESC, page.id
            """
    }
}

/// How much a search reads.
struct SearchBounds {
    /// A consumer searches his own cases: read directly, never through the index of everyone's texts
    /// (whose candidates a consumer registered a minute ago could otherwise make the database collect,
    /// query after query).
    let ownOnly: Bool
    /// The candidates ranked at most.
    let candidates: Int
    /// The matches looked for: as many as are ranked, unless other filters will drop some.
    let matches: Int
    /// The newest cases of the scope walked at most for a common word: none when other filters narrow
    /// the search (they apply to the matches, and the newest cases may hold none that pass them).
    let walk: Int

    init(_ search: ComplaintSearch) {
        ownOnly = search.filter.scope.columns.consumer != nil
        candidates = ownOnly ? ComplaintSearch.ownCasesLimit : ComplaintSearch.candidateLimit
        matches = search.isNarrowed ? ComplaintSearch.hitLimit : candidates + 1
        walk = search.isNarrowed ? 0 : ComplaintSearch.walkLimit
    }
}

/// The search, prepared once per pooled connection.
struct SearchStatement: FixedStatement {
    /// The text of every search (built from a query whose values do not matter: only bindings vary).
    static let sql: String = {
        guard let query = try? SearchText.Query("ab") else { return "" }
        let search = ComplaintSearch(query: query)
        return Transaction.searchQuery(search, SearchBounds(search)).sql
    }()
    let query: PostgresQuery

    func makeBindings() -> PostgresBindings { query.binds }
}
