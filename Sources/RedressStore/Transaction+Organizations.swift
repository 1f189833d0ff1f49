import Foundation
import PostgresNIO
import RedressCore

public struct PlatformRecord: Sendable, Equatable {
    public var id: UUID
    public var name: String
    public var companyName: String
    public var creditCode: String
    public var registeredAddress: String
    public var website: String?
    public var responseDays: Int
    public var merchantFirst: Bool
    public var merchantResponseDays: Int
    public var defaultMediationBodyID: UUID?
    public var createdAt: Date

    public init(
        id: UUID = UUID(), name: String, companyName: String, creditCode: String, registeredAddress: String,
        website: String?, responseDays: Int, merchantFirst: Bool, merchantResponseDays: Int,
        defaultMediationBodyID: UUID?, createdAt: Date
    ) {
        self.id = id
        self.name = name
        self.companyName = companyName
        self.creditCode = creditCode
        self.registeredAddress = registeredAddress
        self.website = website
        self.responseDays = responseDays
        self.merchantFirst = merchantFirst
        self.merchantResponseDays = merchantResponseDays
        self.defaultMediationBodyID = defaultMediationBodyID
        self.createdAt = createdAt
    }
}

public struct MerchantRecord: Sendable, Equatable {
    public var id: UUID
    public var platformID: UUID
    public var name: String
    public var shopURL: String?
    /// Its registered unified social credit code, when the platform recorded it: one company's
    /// merchants on different platforms share it.
    public var creditCode: String?
    public var createdAt: Date

    public init(id: UUID = UUID(), platformID: UUID, name: String, shopURL: String?, creditCode: String? = nil, createdAt: Date) {
        self.id = id
        self.platformID = platformID
        self.name = name
        self.shopURL = shopURL
        self.creditCode = creditCode
        self.createdAt = createdAt
    }
}

public struct MediationBodyRecord: Sendable, Equatable {
    public var id: UUID
    public var name: String
    public var kind: MediationBodyKind
    public var region: String
    public var createdAt: Date

    public init(id: UUID = UUID(), name: String, kind: MediationBodyKind, region: String, createdAt: Date) {
        self.id = id
        self.name = name
        self.kind = kind
        self.region = region
        self.createdAt = createdAt
    }
}

/// The complaint policy fields a platform's administrator may change.
public struct PlatformPolicyChange: Sendable {
    public var website: String??
    public var responseDays: Int?
    public var merchantFirst: Bool?
    public var merchantResponseDays: Int?
    public var defaultMediationBodyID: UUID??

    public init(website: String??, responseDays: Int?, merchantFirst: Bool?, merchantResponseDays: Int?, defaultMediationBodyID: UUID??) {
        self.website = website
        self.responseDays = responseDays
        self.merchantFirst = merchantFirst
        self.merchantResponseDays = merchantResponseDays
        self.defaultMediationBodyID = defaultMediationBodyID
    }
}

extension Transaction {
    // MARK: Platforms

    public func insertPlatform(_ platform: PlatformRecord, actor: AuditActor) async throws {
        try await insertOrganization(id: platform.id, kind: .platform, name: platform.name, platformID: nil, createdAt: platform.createdAt)
        try await query(
            """
            INSERT INTO platforms (id, company_name, credit_code, registered_address, website, response_days,
                                   merchant_first, merchant_response_days, default_mediation_body_id)
            VALUES (\(platform.id), \(platform.companyName), \(platform.creditCode), \(platform.registeredAddress),
                    \(platform.website), \(platform.responseDays), \(platform.merchantFirst),
                    \(platform.merchantResponseDays), \(platform.defaultMediationBodyID))
            """)
        try await record(
            AuditEntry(
                chain: AuditChain.administration, action: "platform.create", entityType: "platform",
                entityID: platform.id, actor: actor,
                changes: [
                    "name": .init(after: .string(platform.name)),
                    "company_name": .init(after: .string(platform.companyName)),
                    "credit_code": .init(after: .string(platform.creditCode)),
                    "registered_address": .init(after: .string(platform.registeredAddress)),
                    "website": .init(after: platform.website.map(AuditValue.string) ?? .null),
                    "response_days": .init(after: .int(platform.responseDays)),
                    "merchant_first": .init(after: .bool(platform.merchantFirst)),
                    "merchant_response_days": .init(after: .int(platform.merchantResponseDays)),
                    "default_mediation_body_id": .init(after: Self.auditID(platform.defaultMediationBodyID)),
                ]))
    }

    public func platform(id: UUID) async throws -> PlatformRecord? {
        let rows = try await execute(PlatformStatement(id: id))
        for try await row in rows { return try Self.decodePlatform(row) }
        return nil
    }

    public func platforms(page: PageRequest) async throws -> Page<PlatformRecord> {
        let after = page.after ?? .beginning
        let rows = try await query(
            """
            \(unescaped: Self.platformSelect)
            WHERE (o.created_at, o.id) > ('epoch'::timestamptz + \(after.microseconds) * interval '1 microsecond', \(after.id))
            ORDER BY o.created_at, o.id LIMIT \(page.limit + 1)
            """)
        var platforms: [PlatformRecord] = []
        for try await row in rows { platforms.append(try Self.decodePlatform(row)) }
        return Page(fetched: platforms, limit: page.limit) { PageCursor(createdAt: $0.createdAt, id: $0.id) }
    }

    /// Applies a policy change and records the fields that changed. Returns the platform after it.
    public func updatePlatform(id: UUID, change: PlatformPolicyChange, actor: AuditActor) async throws -> PlatformRecord? {
        let rows = try await query("\(unescaped: Self.platformSelect) WHERE o.id = \(id) FOR UPDATE OF p")
        var current: PlatformRecord? = nil
        for try await row in rows { current = try Self.decodePlatform(row) }
        guard let before = current else { return nil }
        var after = before
        if let website = change.website { after.website = website }
        if let days = change.responseDays { after.responseDays = days }
        if let first = change.merchantFirst { after.merchantFirst = first }
        if let days = change.merchantResponseDays { after.merchantResponseDays = days }
        if let body = change.defaultMediationBodyID { after.defaultMediationBodyID = body }
        var changes: [String: AuditFieldChange] = [:]
        if before.website != after.website {
            changes["website"] = .init(before: before.website.map(AuditValue.string) ?? .null, after: after.website.map(AuditValue.string) ?? .null)
        }
        if before.responseDays != after.responseDays {
            changes["response_days"] = .init(before: .int(before.responseDays), after: .int(after.responseDays))
        }
        if before.merchantFirst != after.merchantFirst {
            changes["merchant_first"] = .init(before: .bool(before.merchantFirst), after: .bool(after.merchantFirst))
        }
        if before.merchantResponseDays != after.merchantResponseDays {
            changes["merchant_response_days"] = .init(before: .int(before.merchantResponseDays), after: .int(after.merchantResponseDays))
        }
        if before.defaultMediationBodyID != after.defaultMediationBodyID {
            changes["default_mediation_body_id"] = .init(
                before: Self.auditID(before.defaultMediationBodyID), after: Self.auditID(after.defaultMediationBodyID))
        }
        guard !changes.isEmpty else { return after }
        try await query(
            """
            UPDATE platforms SET website = \(after.website), response_days = \(after.responseDays),
                merchant_first = \(after.merchantFirst), merchant_response_days = \(after.merchantResponseDays),
                default_mediation_body_id = \(after.defaultMediationBodyID)
            WHERE id = \(id)
            """)
        try await record(
            AuditEntry(
                chain: AuditChain.administration, action: "platform.update_policy", entityType: "platform",
                entityID: id, actor: actor, changes: changes))
        return after
    }

    // MARK: Merchants

    public func insertMerchant(_ merchant: MerchantRecord, actor: AuditActor) async throws {
        try await insertOrganization(id: merchant.id, kind: .merchant, name: merchant.name, platformID: merchant.platformID, createdAt: merchant.createdAt)
        try await query(
            """
            INSERT INTO merchants (id, platform_id, shop_url, credit_code)
            VALUES (\(merchant.id), \(merchant.platformID), \(merchant.shopURL), \(merchant.creditCode))
            """)
        try await record(
            AuditEntry(
                chain: AuditChain.administration, action: "merchant.create", entityType: "merchant",
                entityID: merchant.id, actor: actor,
                changes: [
                    "name": .init(after: .string(merchant.name)),
                    "platform_id": .init(after: Self.auditID(merchant.platformID)),
                    "shop_url": .init(after: merchant.shopURL.map(AuditValue.string) ?? .null),
                    "credit_code": .init(after: merchant.creditCode.map(AuditValue.string) ?? .null),
                ]))
    }

    /// Records a merchant's credit code (its platform's administrator, or an administrator); false when
    /// the caller may not see or change it.
    public func setMerchantCreditCode(merchantID: UUID, creditCode: String?, actor: AuditActor) async throws -> Bool {
        var before: String??
        for try await code in try await query("SELECT credit_code FROM merchants WHERE id = \(merchantID) FOR UPDATE").decode(String?.self) {
            before = .some(code)
        }
        guard let previous = before else { return false }
        let updated = try await query("UPDATE merchants SET credit_code = \(creditCode) WHERE id = \(merchantID) RETURNING 1").collect()
        guard !updated.isEmpty else { return false }
        try await record(
            AuditEntry(
                chain: AuditChain.administration, action: "merchant.update", entityType: "merchant", entityID: merchantID, actor: actor,
                changes: [
                    "credit_code": .init(
                        before: previous.map(AuditValue.string) ?? .null, after: creditCode.map(AuditValue.string) ?? .null)
                ]))
        return true
    }

    /// One merchant as the directory shows it.
    public func merchant(id: UUID) async throws -> MerchantRecord? {
        let rows = try await query(
            """
            SELECT o.id, m.platform_id, o.name, m.shop_url, m.credit_code, o.created_at
            FROM organizations o JOIN merchants m ON m.id = o.id WHERE o.id = \(id)
            """)
        for try await (id, platform, name, shopURL, code, createdAt) in rows.decode((UUID, UUID, String, String?, String?, Date).self) {
            return MerchantRecord(id: id, platformID: platform, name: name, shopURL: shopURL, creditCode: code, createdAt: createdAt)
        }
        return nil
    }

    public func merchants(platformID: UUID, page: PageRequest) async throws -> Page<MerchantRecord> {
        let after = page.after ?? .beginning
        let rows = try await query(
            """
            SELECT o.id, m.platform_id, o.name, m.shop_url, m.credit_code, o.created_at
            FROM organizations o JOIN merchants m ON m.id = o.id
            WHERE o.kind = 'merchant' AND o.platform_id = \(platformID)
              AND (o.created_at, o.id) > ('epoch'::timestamptz + \(after.microseconds) * interval '1 microsecond', \(after.id))
            ORDER BY o.created_at, o.id LIMIT \(page.limit + 1)
            """)
        var merchants: [MerchantRecord] = []
        for try await (id, platform, name, shopURL, code, createdAt) in rows.decode((UUID, UUID, String, String?, String?, Date).self) {
            merchants.append(MerchantRecord(id: id, platformID: platform, name: name, shopURL: shopURL, creditCode: code, createdAt: createdAt))
        }
        return Page(fetched: merchants, limit: page.limit) { PageCursor(createdAt: $0.createdAt, id: $0.id) }
    }

    // MARK: Mediation bodies

    public func insertMediationBody(_ body: MediationBodyRecord, actor: AuditActor) async throws {
        try await insertOrganization(id: body.id, kind: .mediationBody, name: body.name, platformID: nil, createdAt: body.createdAt)
        try await query(
            "INSERT INTO mediation_bodies (id, kind, region) VALUES (\(body.id), \(body.kind.rawValue), \(body.region))")
        try await record(
            AuditEntry(
                chain: AuditChain.administration, action: "mediation_body.create", entityType: "mediation_body",
                entityID: body.id, actor: actor,
                changes: [
                    "name": .init(after: .string(body.name)),
                    "kind": .init(after: .string(body.kind.rawValue)),
                    "region": .init(after: .string(body.region)),
                ]))
    }

    public func mediationBodies(page: PageRequest) async throws -> Page<MediationBodyRecord> {
        let after = page.after ?? .beginning
        let rows = try await query(
            """
            SELECT o.id, o.name, b.kind, b.region, o.created_at
            FROM organizations o JOIN mediation_bodies b ON b.id = o.id
            WHERE (o.created_at, o.id) > ('epoch'::timestamptz + \(after.microseconds) * interval '1 microsecond', \(after.id))
            ORDER BY o.created_at, o.id LIMIT \(page.limit + 1)
            """)
        var bodies: [MediationBodyRecord] = []
        for try await (id, name, kind, region, createdAt) in rows.decode((UUID, String, String, String, Date).self) {
            bodies.append(
                MediationBodyRecord(id: id, name: name, kind: MediationBodyKind(rawValue: kind) ?? .consumerAssociation, region: region, createdAt: createdAt))
        }
        return Page(fetched: bodies, limit: page.limit) { PageCursor(createdAt: $0.createdAt, id: $0.id) }
    }

    // MARK: Organisations in general

    public func organization(id: UUID) async throws -> OrganizationRef? {
        let rows = try await query("SELECT kind, platform_id, name FROM organizations WHERE id = \(id)")
        for try await (kindName, merchantPlatform, name) in rows.decode((String, UUID?, String).self) {
            guard let kind = OrganizationKind(rawValue: kindName) else { return nil }
            var organization = OrganizationRef(id: id, kind: kind, platformID: kind == .platform ? id : merchantPlatform)
            organization.name = name
            return organization
        }
        return nil
    }

    /// The ids of a platform's merchants, for scoping what its administrator sees.
    public func merchantIDs(platformID: UUID) async throws -> [UUID] {
        let rows = try await query("SELECT id FROM organizations WHERE kind = 'merchant' AND platform_id = \(platformID)")
        var ids: [UUID] = []
        for try await id in rows.decode(UUID.self) { ids.append(id) }
        return ids
    }

    /// The creation time comes from the caller, so that the answer shows exactly what is stored.
    private func insertOrganization(id: UUID, kind: OrganizationKind, name: String, platformID: UUID?, createdAt: Date) async throws {
        try await query(
            """
            INSERT INTO organizations (id, kind, name, platform_id, created_at)
            VALUES (\(id), \(kind.rawValue), \(name), \(platformID), \(createdAt))
            """)
    }

    static func auditID(_ id: UUID?) -> AuditValue {
        id.map { .string($0.uuidString.lowercased()) } ?? .null
    }

    static let platformSelect = """
        SELECT o.id, o.name, p.company_name, p.credit_code, p.registered_address, p.website, p.response_days,
               p.merchant_first, p.merchant_response_days, p.default_mediation_body_id, o.created_at
        FROM organizations o JOIN platforms p ON p.id = o.id
        """

    static func decodePlatform(_ row: PostgresRow) throws -> PlatformRecord {
        let (id, name, company, code, address, website, days, first, merchantDays, body, createdAt) = try row.decode(
            (UUID, String, String, String, String, String?, Int, Bool, Int, UUID?, Date).self)
        return PlatformRecord(
            id: id, name: name, companyName: company, creditCode: code, registeredAddress: address, website: website,
            responseDays: days, merchantFirst: first, merchantResponseDays: merchantDays, defaultMediationBodyID: body,
            createdAt: createdAt)
    }
}

extension PageCursor {
    /// Before every row: the start of a list.
    static let beginning = PageCursor(microseconds: -62_135_596_800_000_000, id: UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)))
}
