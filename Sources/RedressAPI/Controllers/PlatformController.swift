import Foundation
import Hummingbird
import RedressCore
import RedressStore

/// Platforms and their merchants: a public directory; created by an admin; a platform's own
/// administrator manages its complaint policy and its merchants.
struct PlatformController {
    let database: Database
    let configuration: APIConfiguration

    var endpoints: [Endpoint] {
        [
            Endpoint(.get, "/api/v1/platforms", list),
            Endpoint(.post, "/api/v1/platforms", create),
            Endpoint(.get, "/api/v1/platforms/:id", read),
            Endpoint(.patch, "/api/v1/platforms/:id", updatePolicy),
            Endpoint(.get, "/api/v1/platforms/:id/merchants", listMerchants),
            Endpoint(.post, "/api/v1/platforms/:id/merchants", createMerchant),
            Endpoint(.patch, "/api/v1/platforms/:id/merchants/:merchantID", updateMerchant),
        ]
    }

    @Sendable func list(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<PageResponse<PlatformResponse>> {
        try Policy.authorize(context.principal, .listPlatforms)
        let pageRequest = try request.pageRequest()
        let page = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.platforms(page: pageRequest)
        }
        return JSONResponse(body: PageResponse(page, PlatformResponse.init))
    }

    @Sendable func read(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<PlatformResponse> {
        try Policy.authorize(context.principal, .readPlatform)
        let id = try context.parameters.id()
        let platform = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.platform(id: id)
        }
        guard let platform else { throw RedressError.notFound }
        return JSONResponse(body: PlatformResponse(platform))
    }

    @Sendable func create(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<PlatformResponse> {
        try Policy.authorize(context.principal, .createPlatform)
        let body = try await request.decodeJSON(CreatePlatformRequest.self, limit: configuration.maxJSONBodyBytes)
        let standard = configuration.standardDeadlines
        var fields = FieldValidator()
        let platform = PlatformRecord(
            name: fields.text(body.name, field: "name", maxLength: 200),
            companyName: fields.text(body.companyName, field: "company_name", maxLength: 200),
            creditCode: fields.creditCode(body.creditCode),
            registeredAddress: fields.text(body.registeredAddress, field: "registered_address", maxLength: 500),
            website: fields.webAddress(body.website, field: "website"),
            responseDays: fields.promisedDays(body.responseDays, field: "response_days", standard: standard.responseDays),
            merchantFirst: body.merchantFirst ?? false,
            merchantResponseDays: fields.promisedDays(
                body.merchantResponseDays, field: "merchant_response_days", standard: standard.merchantResponseDays),
            defaultMediationBodyID: body.defaultMediationBodyID, createdAt: configuration.clock.now())
        try fields.check()
        try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            if let body = platform.defaultMediationBodyID, try await transaction.organization(id: body)?.kind != .mediationBody {
                throw RedressError.validation([.init(field: "default_mediation_body_id", reason: "unknown_mediation_body")])
            }
            try await transaction.insertPlatform(platform, actor: context.auditActor)
        }
        return JSONResponse(status: .created, body: PlatformResponse(platform))
    }

    @Sendable func updatePolicy(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<PlatformResponse> {
        let id = try context.parameters.id()
        try Policy.authorize(context.principal, .updatePlatform(platformID: id))
        let body = try await request.decodeJSON(UpdatePolicyRequest.self, limit: configuration.maxJSONBodyBytes)
        var fields = FieldValidator()
        var change = PlatformPolicyChange(
            website: nil, responseDays: nil, merchantFirst: body.merchantFirst, merchantResponseDays: nil,
            defaultMediationBodyID: body.defaultMediationBodyID)
        if let website = body.website { change.website = .some(fields.webAddress(website, field: "website")) }
        let standard = configuration.standardDeadlines
        if let days = body.responseDays { change.responseDays = fields.promisedDays(days, field: "response_days", standard: standard.responseDays) }
        if let days = body.merchantResponseDays {
            change.merchantResponseDays = fields.promisedDays(days, field: "merchant_response_days", standard: standard.merchantResponseDays)
        }
        try fields.check()
        let platform = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            if case .some(.some(let body)) = change.defaultMediationBodyID, try await transaction.organization(id: body)?.kind != .mediationBody {
                throw RedressError.validation([.init(field: "default_mediation_body_id", reason: "unknown_mediation_body")])
            }
            return try await transaction.updatePlatform(id: id, change: change, actor: context.auditActor)
        }
        guard let platform else { throw RedressError.notFound }
        return JSONResponse(body: PlatformResponse(platform))
    }

    @Sendable func listMerchants(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<PageResponse<MerchantResponse>> {
        try Policy.authorize(context.principal, .listMerchants)
        let platformID = try context.parameters.id()
        let pageRequest = try request.pageRequest()
        let page = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            guard try await transaction.organization(id: platformID)?.kind == .platform else { throw RedressError.notFound }
            return try await transaction.merchants(platformID: platformID, page: pageRequest)
        }
        return JSONResponse(body: PageResponse(page, MerchantResponse.init))
    }

    @Sendable func createMerchant(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<MerchantResponse> {
        let platformID = try context.parameters.id()
        try Policy.authorize(context.principal, .createMerchant(platformID: platformID))
        let body = try await request.decodeJSON(CreateMerchantRequest.self, limit: configuration.maxJSONBodyBytes)
        var fields = FieldValidator()
        var merchant = MerchantRecord(
            platformID: platformID,
            name: fields.text(body.name, field: "name", maxLength: 200),
            shopURL: fields.webAddress(body.shopURL, field: "shop_url"), createdAt: configuration.clock.now())
        merchant.creditCode = body.creditCode.map { fields.creditCode($0) }
        try fields.check()
        // The operator checks a code against the business register, as it does a platform's: a platform
        // that named another company's code would add its merchant to that company's record.
        if merchant.creditCode != nil, context.principal.actor?.role != .admin {
            throw RedressError.validation([.init(field: "credit_code", reason: "recorded_by_the_operator")])
        }
        try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            guard try await transaction.organization(id: platformID)?.kind == .platform else { throw RedressError.notFound }
            try await transaction.insertMerchant(merchant, actor: context.auditActor)
        }
        return JSONResponse(status: .created, body: MerchantResponse(merchant))
    }

    /// The operator's administrator records (or corrects) a merchant's credit code, checked against the
    /// business register as a platform's is: the key that makes one company's merchants on different
    /// platforms one record (a platform could otherwise join its merchant to any company's record).
    @Sendable func updateMerchant(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<MerchantResponse> {
        let platformID = try context.parameters.id()
        let merchantID = try context.parameters.id("merchantID")
        try Policy.authorize(context.principal, .createPlatform)
        let body = try await request.decodeJSON(UpdateMerchantRequest.self, limit: configuration.maxJSONBodyBytes)
        var fields = FieldValidator()
        let code = fields.creditCode(body.creditCode)
        try fields.check()
        let merchant = try await database.transaction(as: context.identity, origin: context.origin) { transaction -> MerchantRecord in
            guard let merchant = try await transaction.merchant(id: merchantID), merchant.platformID == platformID else { throw RedressError.notFound }
            guard try await transaction.setMerchantCreditCode(merchantID: merchantID, creditCode: code, actor: context.auditActor) else {
                throw RedressError.notFound
            }
            var updated = merchant
            updated.creditCode = code
            return updated
        }
        return JSONResponse(body: MerchantResponse(merchant))
    }
}
