import Foundation
import Hummingbird
import RedressCore
import RedressStore

/// A platform's user agreement, its after-sales clauses recorded by the platform in versions, each in
/// force from its date. Clauses that take the consumer's main rights away are recognised and shown
/// with the legal basis; cases filed while they are in force are flagged (`FlagController`).
struct TermsController {
    let database: Database
    let configuration: APIConfiguration

    var endpoints: [Endpoint] {
        [
            Endpoint(.get, "/api/v1/platforms/:id/terms", list),
            Endpoint(.post, "/api/v1/platforms/:id/terms", record),
        ]
    }

    static let maximumClauses = 50
    static let maximumClauseLength = 2000
    /// Terms change rarely; a platform recording versions by the hundred is filling the database.
    static let maximumVersionsPerDay = 10

    struct RecordRequest: Decodable {
        let effectiveFrom: String?
        let clauses: [String]?
    }

    struct TermsResponse: Encodable, Sendable {
        struct Clause: Encodable, Sendable {
            let text: String
            /// What the clause is recognised as (`unfair_term`), with the wording and the legal basis.
            let flags: [Recognised]
        }
        struct Recognised: Encodable, Sendable {
            let kind: FlagKind
            let phrase: String
            let legalBasis: String
        }
        let id: ResourceID
        let platformID: ResourceID
        let version: Int
        let effectiveFrom: String
        /// The version in force today (complaints filed today are flagged from it).
        let inForce: Bool
        let clauses: [Clause]
        let createdAt: Date

        init(_ terms: PlatformTerms, inForce: Bool, language: Language) {
            self.inForce = inForce
            id = ResourceID(terms.id)
            platformID = ResourceID(terms.platformID)
            version = terms.version
            effectiveFrom = terms.effectiveFrom.description
            clauses = terms.clauses.map { text in
                Clause(
                    text: text,
                    flags: FlagKind.recognise(text).filter { $0.kind == .unfairTerm }.map {
                        Recognised(kind: $0.kind, phrase: $0.phrase, legalBasis: $0.kind.legalBasis(in: language))
                    })
            }
            createdAt = terms.createdAt
        }
    }

    @Sendable func list(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<PageResponse<TermsResponse>> {
        try Policy.authorize(context.principal, .readPlatformTerms)
        let id = try context.parameters.id()
        let today = configuration.calendarDay(of: configuration.clock.now())
        let terms = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            guard try await transaction.platform(id: id) != nil else { throw RedressError.notFound }
            return try await transaction.platformTerms(platformID: id, inForceOn: today)
        }
        let inForce = terms.filter { $0.effectiveFrom <= today }.max { ($0.effectiveFrom, $0.version) < ($1.effectiveFrom, $1.version) }?.id
        let language = context.language
        return JSONResponse(body: PageResponse(items: terms.map { TermsResponse($0, inForce: $0.id == inForce, language: language) }, nextCursor: nil))
    }

    @Sendable func record(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<TermsResponse> {
        let id = try context.parameters.id()
        try Policy.authorize(context.principal, .recordPlatformTerms(platformID: id))
        let body = try await request.decodeJSON(RecordRequest.self, limit: configuration.maxJSONBodyBytes)
        var fields = FieldValidator()
        let from = body.effectiveFrom.flatMap(LocalDate.init)
        if from == nil || !LocalDate.supported.contains(from!) {
            fields.fail("effective_from", body.effectiveFrom == nil ? "required" : "invalid_date")
        }
        let clauses = (body.clauses ?? []).enumerated().map { index, clause in
            fields.paragraph(clause, field: "clauses[\(index)]", maxLength: Self.maximumClauseLength)
        }
        if body.clauses == nil || clauses.isEmpty { fields.fail("clauses", "required") }
        if clauses.count > Self.maximumClauses { fields.fail("clauses", "too_many") }
        try fields.check()
        let today = configuration.calendarDay(of: configuration.clock.now())
        let (terms, inForce) = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.requireTermsQuota(
                platformID: id, limit: Self.maximumVersionsPerDay, window: .seconds(24 * 3600), lockWait: configuration.quotaLockWait)
            let terms = try await transaction.recordPlatformTerms(platformID: id, effectiveFrom: from!, clauses: clauses, actor: context.auditActor)
            return (terms, try await transaction.platformClauses(platformID: id, inForceOn: today)?.id == terms.id)
        }
        return JSONResponse(status: .created, body: TermsResponse(terms, inForce: inForce, language: context.language))
    }
}
