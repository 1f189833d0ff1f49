import Crypto
import Foundation
import Logging
import NIOCore
import RedressCore
import RedressStore

/// How big a demo world is.
public struct DemoSize: Sendable, Equatable {
    public var platforms: Int
    public var merchants: Int
    public var consumers: Int
    public var complaints: Int
    /// Complaints are spread over this many months up to now.
    public var months: Int

    public init(platforms: Int, merchants: Int, consumers: Int, complaints: Int, months: Int) {
        self.platforms = platforms
        self.merchants = merchants
        self.consumers = consumers
        self.complaints = complaints
        self.months = months
    }

    /// What a newcomer's first page needs: a few of everything, in every state.
    public static let demo = DemoSize(platforms: 6, merchants: 30, consumers: 120, complaints: 600, months: 12)
    /// The volume of `make bench`.
    public static let volume = DemoSize(platforms: 100, merchants: 2_000, consumers: 200_000, complaints: 1_000_000, months: 12)
}

public struct DemoSummary: Sendable {
    public let platforms: Int
    public let merchants: Int
    public let consumers: Int
    public let complaints: Int
    public let events: Int
    public let complaintSeconds: Double
    /// `VACUUM (ANALYZE)` afterwards: visibility maps and planner statistics as autovacuum would
    /// leave them in steady state (index-only scans need the former).
    public let vacuumSeconds: Double
    public var complaintsPerSecond: Double { complaintSeconds > 0 ? Double(complaints) / complaintSeconds : 0 }
}

/// Fills a database with a realistic world: mediation bodies, platforms (every fourth merchant-first),
/// merchants, staff, consumers, and complaints that went through the lifecycle as the service would
/// have taken them — the same transition table, workflow, deadlines and audit events — written a
/// thousand complaints per statement.
///
/// It writes as the database's owner, which must be a superuser (as the private PostgreSQL of
/// `redress serve` and `make bench` are): complaints are filed in the consumers' names, which no other
/// identity may do, and the triggers are suspended while it does their work set-wise
/// (`Transaction+Bulk`); its tests verify every chain and recount the statistics.
public struct DemoGenerator: Sendable {
    public let database: Database
    public let timeZone: TimeZone
    public let now: Date
    /// The bcrypt hash every demo account logs in with (one hash: hashing 200,000 would take hours).
    public let passwordHash: String
    public var seed: UInt64 = 20_261_125
    /// Messages and evidence on some cases (for the small demo; the volume run does without).
    public var conversations = false
    /// Concurrent writers; each owns a disjoint set of platforms, so their rollup rows never meet.
    public var workers = 3
    public let logger: Logger

    public init(database: Database, timeZone: TimeZone, now: Date, passwordHash: String, logger: Logger) {
        self.database = database
        self.timeZone = timeZone
        self.now = now
        self.passwordHash = passwordHash
        self.logger = logger
    }

    static let batchSize = 1_000
    static let cli = AuditActor.commandLine

    /// Builds the world. Refuses a database that already has complaints.
    public func run(_ size: DemoSize, progress: @escaping @Sendable (Int, Double) -> Void = { _, _ in }) async throws -> DemoSummary {
        let existing = try await database.transaction(as: .commandLine, origin: .commandLine) { transaction in
            try await transaction.complaintCount()
        }
        guard existing == 0 else { throw DemoError.notEmpty(existing) }
        var random = SplitMix(seed: seed)
        let world = try await makeOrganizations(size, &random)
        let consumers = try await makeConsumers(size.consumers, &random)
        let calendar = try await database.transaction(as: .commandLine, origin: .commandLine) { transaction in
            let start = WorkingCalendar(days: [], timeZone: timeZone).localDate(of: now.addingTimeInterval(-Double(size.months + 1) * 31 * 86_400))
            return WorkingCalendar(days: try await transaction.calendarDays(from: start, through: start.adding(days: 800)), timeZone: timeZone)
        }
        let started = ContinuousClock.now
        let counter = Counter()
        let workers = max(1, min(workers, world.platforms.count))
        let events = try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<workers {
                let platforms = world.platforms.enumerated().filter { $0.offset % workers == worker }.map(\.element)
                let share = size.complaints / workers + (worker < size.complaints % workers ? 1 : 0)
                let seed = self.seed &+ UInt64(worker + 1) &* 0x9E37_79B9
                group.addTask {
                    try await writeComplaints(
                        share, platforms: platforms, world: world, consumers: consumers, calendar: calendar, months: size.months,
                        seed: seed
                    ) { written in
                        let total = await counter.add(written)
                        progress(total, (ContinuousClock.now - started).seconds)
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        let complaintSeconds = (ContinuousClock.now - started).seconds
        let vacuumStarted = ContinuousClock.now
        try await database.vacuumAnalyze()
        return DemoSummary(
            platforms: world.platforms.count, merchants: world.merchantCount, consumers: consumers.count, complaints: size.complaints,
            events: events, complaintSeconds: complaintSeconds, vacuumSeconds: (ContinuousClock.now - vacuumStarted).seconds)
    }

    // MARK: - Organisations and people

    struct Platform: Sendable {
        let record: PlatformRecord
        let merchants: [UUID]
        let merchantStaff: [UUID: UUID]
        let staff: UUID
        let body: Body
        /// How often it is complained about, relative to the others.
        let weight: Double
    }

    struct Body: Sendable {
        let id: UUID
        let lead: UUID
        let mediators: [UUID]
    }

    struct World: Sendable {
        let platforms: [Platform]
        let bodies: [Body]
        var merchantCount: Int { platforms.map(\.merchants.count).reduce(0, +) }
    }

    struct Consumer: Sendable {
        let id: UUID
        let name: String
    }

    func staffAccount(_ email: String, _ name: String, _ role: Role, _ organization: UUID?, _ random: inout SplitMix) -> NewAccount {
        NewAccount(id: random.uuid(), email: email, displayName: name, phone: nil, passwordHash: passwordHash, role: role, organizationID: organization)
    }

    func makeOrganizations(_ size: DemoSize, _ random: inout SplitMix) async throws -> World {
        var random2 = random
        let world = try await database.transaction(as: .commandLine, origin: .commandLine) { transaction -> World in
            var staff: [NewAccount] = [
                staffAccount("admin@demo.redress.test", "演示管理员", .admin, nil, &random2),
                staffAccount("auditor@demo.redress.test", "演示审计员", .auditor, nil, &random2),
            ]
            var bodies: [Body] = []
            for (index, (name, kind, region)) in [
                ("浙江省消费者权益保护委员会", MediationBodyKind.consumerAssociation, "浙江省"),
                ("网络游戏行业协会调解中心", MediationBodyKind.industryAssociation, "全国"),
            ].enumerated() {
                let body = MediationBodyRecord(id: random2.uuid(), name: name, kind: kind, region: region, createdAt: transaction.now)
                try await transaction.insertMediationBody(body, actor: Self.cli)
                let lead = staffAccount("body\(index + 1)-lead@demo.redress.test", "调解组长\(index + 1)", .mediationLead, body.id, &random2)
                let mediators = (1...3).map { number in
                    staffAccount("body\(index + 1)-mediator\(number)@demo.redress.test", "调解员\(index + 1)-\(number)", .mediator, body.id, &random2)
                }
                staff += [lead] + mediators
                bodies.append(Body(id: body.id, lead: lead.id, mediators: mediators.map(\.id)))
            }
            var platforms: [Platform] = []
            let merchantsPerPlatform = max(1, size.merchants / max(size.platforms, 1))
            for index in 0..<size.platforms {
                let stem = DemoWords.platformStems[index % DemoWords.platformStems.count]
                let suffix = DemoWords.platformSuffixes[(index / DemoWords.platformStems.count) % DemoWords.platformSuffixes.count]
                let round = index / (DemoWords.platformStems.count * DemoWords.platformSuffixes.count)
                let name = stem + suffix + (round > 0 ? "\(round + 1)" : "")
                let body = bodies[index % bodies.count]
                let record = PlatformRecord(
                    id: random2.uuid(), name: name, companyName: "\(DemoWords.cities[index % DemoWords.cities.count].prefix(2))\(stem)网络科技有限公司",
                    creditCode: CreditCode.complete(String(format: "91330100%09d", index + 1))!,
                    registeredAddress: "\(DemoWords.cities[index % DemoWords.cities.count])科技路\(index + 1)号", website: nil,
                    responseDays: [7, 7, 5, 3][index % 4], merchantFirst: index % 4 == 3, merchantResponseDays: 3,
                    defaultMediationBodyID: body.id, createdAt: transaction.now)
                try await transaction.insertPlatform(record, actor: Self.cli)
                var merchants: [UUID] = []
                var merchantStaff: [UUID: UUID] = [:]
                for number in 0..<merchantsPerPlatform {
                    let merchantName = DemoWords.merchantStems[number % DemoWords.merchantStems.count]
                        + DemoWords.merchantSuffixes[(number / DemoWords.merchantStems.count) % DemoWords.merchantSuffixes.count] + "\(number + 1)号"
                    let merchant = MerchantRecord(id: random2.uuid(), platformID: record.id, name: merchantName, shopURL: nil, createdAt: transaction.now)
                    try await transaction.insertMerchant(merchant, actor: Self.cli)
                    merchants.append(merchant.id)
                    let account = staffAccount("p\(index + 1)-m\(number + 1)@demo.redress.test", "\(merchantName)客服", .merchantStaff, merchant.id, &random2)
                    staff.append(account)
                    merchantStaff[merchant.id] = account.id
                }
                let admin = staffAccount("p\(index + 1)-admin@demo.redress.test", "\(name)管理员", .platformAdmin, record.id, &random2)
                let worker = staffAccount("p\(index + 1)-staff@demo.redress.test", "\(name)客服", .platformStaff, record.id, &random2)
                staff += [admin, worker]
                // A few platforms draw most complaints, as in life (a Zipf-like share).
                platforms.append(
                    Platform(record: record, merchants: merchants, merchantStaff: merchantStaff, staff: worker.id, body: body,
                             weight: 1 / Double(index + 1).squareRoot()))
            }
            for chunk in staff.chunked(2_000) {
                try await transaction.insertAccountsInBulk(chunk)
                try await transaction.recordInBulk(chunk.map { account in
                    (AuditEntry(
                        chain: AuditChain.administration, action: "staff.create", entityType: "account", entityID: account.id, actor: Self.cli,
                        changes: [
                            "email": .init(after: .personal(account.email)), "display_name": .init(after: .personal(account.displayName)),
                            "role": .init(after: .string(account.role.rawValue)),
                            "organization_id": .init(after: account.organizationID.map { .string($0.uuidString.lowercased()) } ?? .null),
                        ]), transaction.now)
                })
            }
            return World(platforms: platforms, bodies: bodies)
        }
        random = random2
        return world
    }

    func makeConsumers(_ count: Int, _ random: inout SplitMix) async throws -> [Consumer] {
        var consumers: [Consumer] = []
        var accounts: [NewAccount] = []
        for number in 1...max(count, 1) {
            let name = DemoWords.surnames[random.below(DemoWords.surnames.count)] + DemoWords.givenNames[random.below(DemoWords.givenNames.count)]
            let phone = "+86 13\(random.below(10)) \(String(format: "%04d", random.below(10_000))) \(String(format: "%04d", random.below(10_000)))"
            let account = NewAccount(
                id: random.uuid(), email: "consumer\(number)@demo.redress.test", displayName: name, phone: phone,
                passwordHash: passwordHash, role: .consumer, organizationID: nil)
            accounts.append(account)
            consumers.append(Consumer(id: account.id, name: name))
        }
        for chunk in accounts.chunked(5_000) {
            try await database.transaction(as: .commandLine, origin: .commandLine) { transaction in
                try await transaction.suspendTriggers()
                try await transaction.insertAccountsInBulk(chunk)
                try await transaction.insertNewChainsInBulk(chunk.map { account in
                    [(AuditEntry(
                        chain: AuditChain.account(account.id), action: "account.register", entityType: "account", entityID: account.id,
                        actor: AuditActor(accountID: account.id, role: "consumer", organizationID: nil),
                        changes: [
                            "email": .init(after: .personal(account.email)), "display_name": .init(after: .personal(account.displayName)),
                            "role": .init(after: .string("consumer")), "organization_id": .init(after: .null),
                            "phone": .init(after: .personal(account.phone ?? "")),
                        ]), transaction.now)]
                })
            }
        }
        return consumers
    }

    // MARK: - Complaints

    func writeComplaints(
        _ count: Int, platforms: [Platform], world: World, consumers: [Consumer], calendar: WorkingCalendar, months: Int, seed: UInt64,
        progress: @Sendable (Int) async -> Void
    ) async throws -> Int {
        guard count > 0, !platforms.isEmpty else { return 0 }
        var random = SplitMix(seed: seed)
        let totalWeight = platforms.map(\.weight).reduce(0, +)
        let span = Double(months) * 30.44 * 86_400
        var events = 0
        var remaining = count
        while remaining > 0 {
            let size = min(Self.batchSize, remaining)
            var stories: [CaseStory] = []
            for _ in 0..<size {
                var pick = random.unit() * totalWeight
                var platform = platforms[0]
                for candidate in platforms {
                    pick -= candidate.weight
                    if pick <= 0 { platform = candidate; break }
                }
                let consumer = consumers[random.below(consumers.count)]
                let submittedAt = now.addingTimeInterval(-span * random.unit() - 1_800)
                var story = CaseStory(
                    platform: platform, consumer: consumer, submittedAt: submittedAt, calendar: calendar, now: now, random: &random)
                story.play(&random)
                stories.append(story)
            }
            events += try await store(stories)
            remaining -= size
            await progress(size)
        }
        return events
    }

    /// Writes a batch: the complaints as they stand, their chains (numbered, linked and hashed as the
    /// linking trigger would), their statistics — with the triggers suspended, which is what makes a
    /// million complaints take minutes, not an hour — then, triggers back on, their conversations.
    func store(_ stories: [CaseStory]) async throws -> Int {
        try await database.transaction(as: .commandLine, origin: .commandLine) { transaction in
            try await transaction.suspendTriggers()
            try await transaction.insertComplaintsAsTheyStandInBulk(stories.map { ($0.final, $0.submittedOn) })
            try await transaction.indexComplaintTextsInBulk(stories.map(\.final))
            try await transaction.insertNewChainsInBulk(stories.map(\.events))
            try await transaction.addToStatisticsInBulk(complaintIDs: stories.map(\.final.id))
            var events = stories.map(\.events.count).reduce(0, +)
            if conversations {
                try await transaction.resumeTriggers()
                events += try await converse(stories, transaction)
            }
            return events
        }
    }

    /// A message from the consumer on every third case, and a text file of evidence on every fifth.
    func converse(_ stories: [CaseStory], _ transaction: Transaction) async throws -> Int {
        var events = 0
        for (index, story) in stories.enumerated() {
            let complaint = story.final
            let consumer = AuditActor(accountID: complaint.consumerID, role: "consumer", organizationID: nil)
            if index % 3 == 0 {
                try await transaction.insertMessage(
                    MessageRecord(
                        id: UUID(), complaintID: complaint.id, authorID: complaint.consumerID, authorRole: "consumer", authorOrganizationID: nil,
                        visibility: .parties, body: DemoWords.messages[index % DemoWords.messages.count],
                        createdAt: complaint.submittedAt.addingTimeInterval(600)),
                    actor: consumer)
                events += 1
            }
            if index % 5 == 0 {
                let text = "订单号 \(complaint.order.orderNo)，付款 \(complaint.order.amountPaid / 100) 元，付款时间 \(complaint.submittedAt)。"
                var bytes = ByteBuffer()
                bytes.writeString(text)
                try await transaction.insertEvidence(
                    EvidenceRecord(
                        id: UUID(), complaintID: complaint.id, kind: .orderRecord, filename: "订单记录.txt", contentType: EvidenceFileType.text.rawValue,
                        size: bytes.readableBytes, sha256: Array(SHA256.hash(data: Data(text.utf8))), uploadedBy: complaint.consumerID,
                        uploaderRole: "consumer", uploadedAt: complaint.submittedAt.addingTimeInterval(300)),
                    bytes: bytes, actor: consumer)
                events += 1
            }
        }
        return events
    }
}

public enum DemoError: Error, CustomStringConvertible {
    case notEmpty(Int)
    case lostUpdate(step: Int, expected: Int, stored: Int)

    public var description: String {
        switch self {
        case .notEmpty(let count): "the database already holds \(count) complaints: the demo fills an empty one"
        case .lostUpdate(let step, let expected, let stored): "step \(step): \(stored) of \(expected) complaints stored"
        }
    }
}

actor Counter {
    private var total = 0
    func add(_ count: Int) -> Int {
        total += count
        return total
    }
}

extension Array {
    func chunked(_ size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// The demo's draws from the seeded generator: the same seed, the same world.
extension SplitMix {
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(bound, 1))) }
    mutating func chance(_ probability: Double) -> Bool { unit() < probability }
    mutating func hours(_ range: ClosedRange<Double>) -> TimeInterval { (range.lowerBound + (range.upperBound - range.lowerBound) * unit()) * 3600 }
    mutating func uuid() -> UUID {
        let a = next(), b = next()
        var bytes = withUnsafeBytes(of: a.bigEndian) { Array($0) } + withUnsafeBytes(of: b.bigEndian) { Array($0) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10],
                           bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }
}
