import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import RedressAPI
import RedressCore
import RedressStore
import StoreTestSupport

extension TestResponse {
    /// The body as JSON (`null` when it is not JSON).
    public var json: JSON { JSON(data: Data(body.readableBytesView)) ?? .null }

    public var text: String { String(buffer: body) }

    public var contentType: String? { headers[.contentType] }
}

/// A valid unified social credit code, different for every `seed`.
public func creditCode(_ seed: Int) -> String {
    CreditCode.complete(String(format: "91110000%09d", seed % 1_000_000_000))!
}

/// A world with one of each kind of organisation and an account for every role.
public struct World: Sendable {
    public struct Account: Sendable {
        public let id: String
        public let email: String
        public let token: String

        public init(id: String, email: String, token: String) {
            self.id = id
            self.email = email
            self.token = token
        }
    }

    public let platformA: String
    public let platformB: String
    public let merchantA: String
    public let merchantA2: String
    public let merchantB: String
    public let bodyA: String
    public let bodyB: String
    public var accounts: [String: Account]

    public func token(_ name: String) -> String? { accounts[name]?.token }
}

public let worldPassword = "Mediation-2026!"

extension TestApp {
    /// Creates the first admin the way `redress admin create` does, and logs in.
    public func bootstrapAdmin(email: String = "admin@redress.test") async throws -> World.Account {
        let hash = try await PasswordHasher(cost: 10).hash(worldPassword)
        let account = try await store.transaction(as: .commandLine, origin: .commandLine) { transaction in
            try await transaction.insertAccount(
                NewAccount(email: email, displayName: "Admin", phone: nil, passwordHash: hash, role: .admin, organizationID: nil),
                actor: .commandLine)
        }
        return World.Account(id: account.id.uuidString, email: email, token: try await login(email))
    }

    public func login(_ email: String, password: String = worldPassword) async throws -> String {
        let response = try await request(.post, "/api/v1/auth/login", json: ["email": email, "password": password])
        guard response.status == .ok, let token = response.json["token"].string else {
            throw WorldError.setupFailed("login \(email): \(response.status) \(response.text)")
        }
        return token
    }

    /// Registers as a person does: the registration, then the link of the verification mail it
    /// queued. The answer to the link (201 with the account), or the registration's own answer when
    /// it sent no link (a refusal, or a taken address: 202).
    public func register(_ json: [String: Any], headers: HTTPFields = [:]) async throws -> TestResponse {
        let registered = try await request(.post, "/api/v1/auth/register", json: json, headers: headers)
        guard registered.status == .accepted, let email = (json["email"] as? String).flatMap(EmailAddress.normalize),
            let token = try await verificationToken(for: email)
        else { return registered }
        return try await request(.post, "/api/v1/auth/register/confirm", json: ["token": token, "password": json["password"] ?? ""])
    }

    /// The token of the newest verification link mailed to `email` and not used yet.
    public func verificationToken(for email: String) async throws -> String? {
        let body = try await asOwner {
            try await $0.scalar(
                """
                SELECT m.body FROM mail_outbox m WHERE m.to_address = \(email) AND m.category = 'registration' AND m.account_id IS NULL
                  AND EXISTS (SELECT 1 FROM pending_registrations p WHERE p.email = m.to_address)
                ORDER BY m.created_at DESC LIMIT 1
                """, as: String.self)
        }
        return body?.components(separatedBy: .whitespacesAndNewlines).first { $0.contains("verify-email?token=") }?
            .components(separatedBy: "token=").last
    }

    /// Registers a consumer (verifying the address) and returns the account's id.
    public func createConsumer(_ json: [String: Any]) async throws -> String {
        let response = try await register(json)
        guard response.status == .created, let id = response.json["id"].string else {
            throw WorldError.setupFailed("register: \(response.status) \(response.text)")
        }
        return id
    }

    /// POSTs and returns the created resource's id, failing unless the answer is 201.
    public func create(_ path: String, token: String?, _ json: [String: Any]) async throws -> String {
        let response = try await request(.post, path, token: token, json: json)
        guard response.status == .created, let id = response.json["id"].string else {
            throw WorldError.setupFailed("POST \(path): \(response.status) \(response.text)")
        }
        return id
    }

    public func platformBody(_ name: String, seed: Int) -> [String: Any] {
        ["name": name, "company_name": "\(name) 网络科技有限公司", "credit_code": creditCode(seed),
         "registered_address": "\(name) 路 1 号"]
    }

    /// Two platforms (A with two merchants, B with one), two mediation bodies, and one account of
    /// every role, named as the matrix tests use them. On a database copied with the world
    /// (`withTestApp(world: .seeded)`), the world that is already there.
    public func makeWorld() async throws -> World {
        if let seededWorld { return seededWorld }
        return try await buildWorld()
    }

    /// The world, built through the API.
    func buildWorld() async throws -> World {
        let admin = try await bootstrapAdmin()
        let token = admin.token
        let bodyA = try await create("/api/v1/mediation-bodies", token: token, ["name": "消协A", "kind": "consumer_association", "region": "北京"])
        let bodyB = try await create("/api/v1/mediation-bodies", token: token, ["name": "行业协会B", "kind": "industry_association", "region": "上海"])
        let platformA = try await create("/api/v1/platforms", token: token, platformBody("平台A", seed: 1))
        let platformB = try await create("/api/v1/platforms", token: token, platformBody("平台B", seed: 2))
        let merchantA = try await create("/api/v1/platforms/\(platformA)/merchants", token: token, ["name": "商户A1"])
        let merchantA2 = try await create("/api/v1/platforms/\(platformA)/merchants", token: token, ["name": "商户A2"])
        let merchantB = try await create("/api/v1/platforms/\(platformB)/merchants", token: token, ["name": "商户B1"])
        var accounts: [String: World.Account] = ["admin": admin]
        let staff: [(String, String, String?)] = [
            ("platform_admin_a", "platform_admin", platformA), ("platform_staff_a", "platform_staff", platformA),
            ("platform_admin_b", "platform_admin", platformB), ("platform_staff_b", "platform_staff", platformB),
            ("merchant_staff_a", "merchant_staff", merchantA), ("merchant_staff_b", "merchant_staff", merchantB),
            ("mediator_a", "mediator", bodyA), ("mediation_lead_a", "mediation_lead", bodyA),
            ("mediator_b", "mediator", bodyB), ("auditor", "auditor", nil),
        ]
        for (name, role, organization) in staff {
            var json: [String: Any] = ["email": "\(name)@redress.test", "password": worldPassword, "display_name": name, "role": role]
            if let organization { json["organization_id"] = organization }
            let id = try await create("/api/v1/staff", token: token, json)
            accounts[name] = World.Account(id: id, email: "\(name)@redress.test", token: try await login("\(name)@redress.test"))
        }
        let consumerID = try await createConsumer(
            ["email": "consumer@redress.test", "password": worldPassword, "display_name": "消费者", "phone": "+86 138 0000 0000"])
        accounts["consumer"] = World.Account(id: consumerID, email: "consumer@redress.test", token: try await login("consumer@redress.test"))
        return World(
            platformA: platformA, platformB: platformB, merchantA: merchantA, merchantA2: merchantA2, merchantB: merchantB,
            bodyA: bodyA, bodyB: bodyB, accounts: accounts)
    }
}

public enum WorldError: Error {
    case setupFailed(String)
}

extension World {
    /// Fresh tokens for everyone: after a test moves the clock past the tokens' lifetime.
    public mutating func logInAgain(_ app: TestApp) async throws {
        for (name, account) in accounts {
            accounts[name] = Account(id: account.id, email: account.email, token: try await app.login(account.email))
        }
    }
}

extension TestApp {
    /// A complaint against platform A, as the seed's first example: a card key never delivered.
    public func complaintBody(_ world: World) -> [String: Any] {
        [
            "platform_id": world.platformA,
            "category": "non_delivery",
            "title": "充值卡密未到账",
            "description": "2026年9月24日10时在平台购买面值500元的游戏点卡，付款成功后卡密一直未发放。",
            "order": ["order_no": "KM20260924001", "product_name": "游戏点卡 500元", "amount_paid": 50_000, "currency": "CNY"],
            "demands": [["kind": "refund", "amount": 50_000]],
        ]
    }
}

extension TestApp {
    /// A lifecycle action on a case, as `POST /complaints/{id}/actions/{action}`.
    public func act(_ id: String, _ action: String, as token: String?, _ body: [String: Any]? = nil) async throws -> TestResponse {
        try await request(.post, "/api/v1/complaints/\(id)/actions/\(action)", token: token, json: body)
    }

    /// An action a test sets its scene with: anything but 200 stops the test, saying which step failed.
    public func step(_ id: String, _ action: String, as token: String?, _ body: [String: Any]? = nil) async throws {
        let response = try await act(id, action, as: token, body)
        guard response.status == .ok else { throw WorldError.setupFailed("\(action): \(response.status) \(response.text)") }
    }
}

extension World {
    /// The clock the seeded world is built at, before any test's: its events come first in every chain.
    static let seedTime = "2026-01-01T09:00:00+08:00"

    /// Builds the world through the API into `copy` (the world template), with tokens that outlive
    /// any test's clock, and closes every connection to it.
    static func seed(into copy: TestDatabase.Copy) async throws -> World {
        var configuration = testConfiguration(clock: ShiftedClock(startingAt: seedTime))
        configuration.sessionLifetime = .seconds(10 * 365 * 24 * 3600)
        return try await withTestApp(on: copy, configuration: configuration) { app in try await app.buildWorld() }
    }
}
