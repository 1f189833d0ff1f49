import Foundation
import RedressAPI
import RedressCore
import StoreTestSupport
import Testing
import TestSupport

/// Search by text: Chinese queries find exactly the cases that hold them (bigrams find candidates,
/// every word is checked), within what the caller may see.
@Suite("Search")
struct SearchTests {
    /// Files a case on platform A with its own title, statement and order number; returns its id.
    static func file(_ app: TestApp, _ world: World, title: String, description: String, order: String, merchant: Bool = false, paid: Int = 50_000) async throws -> String {
        var body = app.complaintBody(world)
        body["title"] = title
        body["description"] = description
        body["order"] = ["order_no": order, "product_name": "游戏点卡 500元", "amount_paid": paid, "currency": "CNY"]
        body["demands"] = [["kind": "refund", "amount": paid]]
        if merchant { body["merchant_id"] = world.merchantA }
        return try await app.create("/api/v1/complaints", token: world.token("consumer"), body)
    }

    static func ids(_ app: TestApp, _ query: String, as token: String?) async throws -> Set<String> {
        let encoded = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let found = try await app.request(.get, "/api/v1/search/complaints?q=\(encoded)&limit=50", token: token)
        #expect(found.status == .ok, "\(query): \(found.text)")
        return Set(found.json["items"].array.compactMap { $0["complaint"]["id"].string })
    }

    @Test func chineseQueriesFindThePlantedCasesAndNoOthers() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let staff = world.token("platform_staff_a")
            let planted = [
                try await Self.file(app, world, title: "充值卡密未到账", description: "付款后卡密一直未发放。", order: "KM20261101"),
                try await Self.file(app, world, title: "点卡问题", description: "2026年11月购买的点卡，卡密未到账，客服称系统升级。", order: "KM20261102"),
                try await Self.file(app, world, title: "游戏币", description: "联系客服无果。", order: "KM20261103", merchant: true),
            ]
            // The same characters, but never the phrase: "卡密" and "到账" apart, "未到" elsewhere.
            let decoys = [
                try await Self.file(app, world, title: "卡密已被使用", description: "退款一直没有到账，未到期的会员也无法使用。", order: "ZX1"),
                try await Self.file(app, world, title: "账号被找回", description: "卡密未激活，款项未到，账户到账延迟。", order: "ZX2"),
            ]
            // The third holds the phrase only in the thread.
            _ = try await app.request(
                .post, "/api/v1/complaints/\(planted[2])/messages", token: world.token("consumer"),
                json: ["visibility": "parties", "body": "补充：卡密未到账已经三天。"])
            let queries: [(String, Set<String>)] = [
                ("卡密未到账", Set(planted)),
                ("卡密 到账", Set(planted + decoys)),
                ("未到账", Set(planted)),
                ("KM20261102", [planted[1]]),
                ("ｋｍ２０２６１１０３", [planted[2]]),
                ("商户A1", [planted[2]]),
                ("系统升级 点卡", [planted[1]]),
                ("找回账号", []),
            ]
            var relevant = 0, returned = 0, correct = 0
            for (query, expected) in queries {
                let found = try await Self.ids(app, query, as: staff)
                #expect(found == expected, "\(query)")
                relevant += expected.count
                returned += found.count
                correct += found.intersection(expected).count
            }
            // Precision and recall over the queries: every case returned holds the query, and every case that holds it is returned.
            #expect(returned > 0 && correct == returned && correct == relevant, "precision \(correct)/\(returned), recall \(correct)/\(relevant)")
            // The title ranks first: the case whose title holds the phrase, then the others.
            let ranked = try await app.request(.get, "/api/v1/search/complaints?q=%E5%8D%A1%E5%AF%86%E6%9C%AA%E5%88%B0%E8%B4%A6", token: staff)
            #expect(ranked.json["items"].array.first?["complaint"]["id"].string == planted[0])
            #expect(ranked.json["items"].array.first?["relevance"].int == 8)
            #expect(ranked.json["capped"].bool == false)
        }
    }

    @Test func searchSeesWhatTheCallerMaySeeAndNothingElse() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let id = try await Self.file(app, world, title: "代充超时未完成", description: "代充648元两天未到账。", order: "DC0001")
            _ = try await app.request(
                .post, "/api/v1/complaints/\(id)/messages", token: world.token("platform_staff_a"),
                json: ["visibility": "internal", "body": "内部备注：疑似黑卡洗钱"])
            #expect(try await Self.ids(app, "代充超时", as: world.token("platform_staff_a")) == [id])
            #expect(try await Self.ids(app, "代充超时", as: world.token("consumer")) == [id])
            // Another platform, a body the case never reached: nothing.
            #expect(try await Self.ids(app, "代充超时", as: world.token("platform_staff_b")).isEmpty)
            #expect(try await Self.ids(app, "代充超时", as: world.token("mediator_a")).isEmpty)
            // An internal note is its organisation's only.
            #expect(try await Self.ids(app, "黑卡洗钱", as: world.token("platform_staff_a")) == [id])
            #expect(try await Self.ids(app, "黑卡洗钱", as: world.token("consumer")).isEmpty)
            #expect(try await app.request(.get, "/api/v1/search/complaints?q=x", token: nil).status == .unauthorized)
        }
    }

    /// The index keeps each case's scope: when a case reaches a mediation body, the body finds it by its
    /// words and its thread, and another body still does not.
    @Test func aCaseIsFoundByTheBodyItReaches() async throws {
        let clock = ManualClock("2026-11-02T10:00:00+08:00")
        var configuration = testConfiguration()
        configuration.clock = clock
        try await withTestApp(configuration: configuration, world: .seeded) { app in
            var world = try await app.makeWorld()
            let id = try await Self.file(app, world, title: "代充超时未完成", description: "代充648元两天未到账。", order: "DC0002")
            _ = try await app.request(
                .post, "/api/v1/complaints/\(id)/messages", token: world.token("consumer"), json: ["body": "客服说已经补发三次"])
            #expect(try await Self.ids(app, "代充超时", as: world.token("mediator_a")).isEmpty)
            clock.set("2026-11-20T10:00:00+08:00")
            try await world.logInAgain(app)
            try await app.step(id, "escalate", as: world.token("consumer"), ["mediation_body_id": world.bodyA])
            #expect(try await Self.ids(app, "代充超时", as: world.token("mediator_a")) == [id])
            #expect(try await Self.ids(app, "补发三次", as: world.token("mediator_a")) == [id])
            #expect(try await Self.ids(app, "代充超时", as: world.token("mediator_b")).isEmpty)
            #expect(try await Self.ids(app, "代充超时", as: world.token("platform_staff_a")) == [id])
        }
    }

    @Test func filtersOrderAndBadQueries() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let staff = world.token("platform_staff_a")
            let small = try await Self.file(app, world, title: "会员卡密已被使用", description: "视频会员。", order: "VIP1", paid: 1_500)
            let large = try await Self.file(app, world, title: "会员账号被封", description: "视频会员年卡。", order: "VIP2", paid: 25_000)
            let path = "/api/v1/search/complaints?q=%E4%BC%9A%E5%91%98"
            let cheap = try await app.request(.get, path + "&amount_max=2000", token: staff)
            #expect(cheap.json["items"].array.compactMap { $0["complaint"]["id"].string } == [small])
            let pages = try await app.request(.get, path + "&limit=1&order=deadline", token: staff)
            #expect(pages.json["items"].array.count == 1)
            let next = try #require(pages.json["next_cursor"].string)
            let second = try await app.request(.get, path + "&limit=1&order=deadline&cursor=\(next)", token: staff)
            #expect(Set([pages, second].compactMap { $0.json["items"].array.first?["complaint"]["id"].string }) == [small, large])
            #expect(second.json["next_cursor"].isNull)
            for (query, field, reason) in [
                ("", "q", "required"), ("%E5%8D%A1", "q", "too_short"), ("a%20bc", "q", "too_short"),
                ("ab%20cd%20ef%20gh%20ij%20kl", "q", "too_many_words"), (String(repeating: "a", count: 101), "q", "too_long"),
                // One character to the eye, 201 scalars: counted in scalars.
                ("%E5%8D%A1" + String(repeating: "%CC%81", count: 200), "q", "too_long"),
                ("ab&amount_min=-1", "amount_min", "out_of_range"), ("ab&amount_min=5&amount_max=4", "amount_max", "less_than_amount_min"),
                ("ab&order=random", "order", "unknown_value"), ("ab&cursor=99999", "cursor", "invalid_cursor"),
                ("ab&limit=51", "limit", "out_of_range"), ("ab&state=nope", "state", "unknown_value"),
            ] {
                let refused = try await app.request(.get, "/api/v1/search/complaints?q=\(query)", token: staff)
                #expect(refused.status == .unprocessableContent, "\(query)")
                #expect(refused.json["invalid_fields"].array.first?["field"].string == field, "\(query): \(refused.text)")
                #expect(refused.json["invalid_fields"].array.first?["reason"].string == reason, "\(query): \(refused.text)")
            }
        }
    }

    @Test func erasedTextIsNoLongerFound() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let id = try await Self.file(app, world, title: "独特标题甲乙丙", description: "独特的陈述丁戊己。", order: "ERASE1")
            #expect(try await Self.ids(app, "甲乙丙", as: world.token("platform_staff_a")) == [id])
            let grams = try await app.asOwner { try await $0.scalar("SELECT count(*)::int FROM complaint_search WHERE complaint_id = \(UUID(uuidString: id)!)", as: Int.self) }
            #expect(grams == 1)
            try await app.asOwner {
                try await $0.query("SELECT set_config('redress.role', 'system', false), set_config('redress.erasing', 'on', false)")
                let updated = try await $0.query(
                    "UPDATE complaints SET title = '[erased]', description = '[erased]', version = version + 1, erased_at = now() WHERE id = \(UUID(uuidString: id)!) RETURNING 1",
                    logger: TestDatabase.logger
                ).collect().count
                #expect(updated == 1)
            }
            let left = try await app.asOwner { try await $0.scalar("SELECT count(*)::int FROM complaint_search WHERE complaint_id = \(UUID(uuidString: id)!)", as: Int.self) }
            #expect(left == 0)
        }
    }

    @Test func commonWordsAreWalkedAndRareOnesLookedUp() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            // Three older cases hold 旧案; the forty after them hold 卡密, so that a common word fills
            // the newest 32 cases of platform A's scope and a rare one is not among them.
            var older: [String] = []
            for index in 0..<3 {
                older.append(try await Self.file(app, world, title: "旧案\(index)", description: "历史订单。", order: "OLD\(100 + index)"))
            }
            for index in 0..<40 {
                _ = try await Self.file(app, world, title: "卡密未发放", description: "付款后没有收到。", order: "WK\(1000 + index)")
            }
            let platform = try #require(UUID(uuidString: world.platformA))
            /// The scope as the function takes it: one of platform, merchant and body.
            enum Scope { case platform(UUID), merchant(UUID), body(UUID) }
            func newest(_ query: String, most: Int, walk: Int, scope: UUID? = nil, kind: Scope? = nil) async throws -> [String] {
                let grams = try SearchText.Query(query).grams
                let kind = kind ?? .platform(scope ?? platform)
                let (platformID, merchantID, bodyID): (UUID?, UUID?, UUID?) =
                    switch kind {
                    case .platform(let id): (id, nil, nil)
                    case .merchant(let id): (nil, id, nil)
                    case .body(let id): (nil, nil, id)
                    }
                let organization = platformID == scope && scope != nil ? platform : (platformID ?? merchantID ?? bodyID)!
                return try await app.asOwner { connection in
                    // As a member of the scope's organisation: the function reads the caller's own scope only.
                    _ = try await connection.scalar("SELECT set_config('redress.organization_id', \(organization.uuidString), false)", as: String.self)
                    var ids: [String] = []
                    let rows = try await connection.query(
                        "SELECT complaint_id::text FROM redress_search_newest(\(grams), \(platformID)::uuid, \(merchantID)::uuid, \(bodyID)::uuid, \(most)::int, \(walk)::int)",
                        logger: TestDatabase.logger)
                    for try await id in rows.decode(String.self) { ids.append(id) }
                    return ids
                }
            }
            func expected(_ titleHolds: String, _ count: Int) async throws -> [String] {
                try await app.asOwner { connection in
                    var ids: [String] = []
                    let rows = try await connection.query(
                        """
                        SELECT id::text FROM complaints WHERE platform_id = \(platform) AND strpos(title, \(titleHolds)) > 0
                        ORDER BY submitted_at DESC, id DESC LIMIT \(count)
                        """, logger: TestDatabase.logger)
                    for try await id in rows.decode(String.self) { ids.append(id) }
                    return ids
                }
            }
            // A common word: the scope's newest cases are walked; the five newest that hold it, in order.
            #expect(try await newest("卡密", most: 5, walk: 32) == (try await expected("卡密", 5)))
            // A walk that reads its 32 cases without finding 100 gives way to the index: every match.
            let all = try await expected("卡密", 1000)
            #expect(all.count >= 40)
            #expect(Set(try await newest("卡密", most: 100, walk: 32)) == Set(all))
            // Without a walk (a narrowed search) the index answers alone, as completely.
            #expect(Set(try await newest("卡密", most: 100, walk: 0)) == Set(all))
            // A rare word is looked up through the index: every case that holds it.
            #expect(Set(try await newest("旧案", most: 100, walk: 32)) == Set(older))
            #expect(try await newest("WK1007", most: 100, walk: 32).count == 1)
            // A walk that reads the whole scope (43 cases, fewer than 64) answers with what it found.
            #expect(Set(try await newest("卡密", most: 100, walk: 64)) == Set(all))
            // The same cases in a merchant's and a mediation body's scope (the search table's copy of the
            // scope, which the walk reads): each kind of scope walks its own index, alike.
            let merchant = UUID(), body = UUID()
            try await app.asOwner { connection in
                _ = try await connection.query(
                    "UPDATE complaint_search SET merchant_id = \(merchant), mediation_body_id = \(body) WHERE platform_id = \(platform)",
                    logger: TestDatabase.logger)
            }
            for kind in [Scope.merchant(merchant), .body(body)] {
                #expect(try await newest("卡密", most: 5, walk: 32, kind: kind) == (try await expected("卡密", 5)))
                #expect(Set(try await newest("卡密", most: 100, walk: 32, kind: kind)) == Set(all))
                #expect(Set(try await newest("卡密", most: 100, walk: 64, kind: kind)) == Set(all))
                #expect(Set(try await newest("旧案", most: 100, walk: 32, kind: kind)) == Set(older))
            }
            // Bounds the service never passes are refused, not obeyed; so is a scope not the caller's.
            await #expect(throws: (any Error).self) { _ = try await newest("卡密", most: 0, walk: 32) }
            await #expect(throws: (any Error).self) { _ = try await newest("卡密", most: 5, walk: 1_000_000) }
            await #expect(throws: (any Error).self) { _ = try await newest("卡密", most: 5, walk: 31) }
            await #expect(throws: (any Error).self) { _ = try await newest("卡密", most: 5, walk: 32, scope: UUID()) }
            // Through the API: all 40 are found and ranked, nothing capped; the rare word's three, the
            // newest first. Asked again and again, so that the prepared statement's kept plan answers too.
            for round in 0..<8 {
                let common = try await app.request(.get, "/api/v1/search/complaints?q=%E5%8D%A1%E5%AF%86%E6%9C%AA%E5%8F%91&limit=50",
                                                   token: world.token("platform_staff_a"))
                #expect(common.json["items"].array.count == 40, "round \(round)")
                #expect(common.json["capped"].bool == false)
                let rare = try await app.request(.get, "/api/v1/search/complaints?q=%E6%97%A7%E6%A1%88&limit=50&order=deadline",
                                                 token: world.token("platform_staff_a"))
                #expect(Set(rare.json["items"].array.compactMap { $0["complaint"]["id"].string }) == Set(older), "round \(round)")
            }
        }
    }

    @Test func anotherOrganisationsInternalNoteIsNoMatch() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let noted = try await Self.file(app, world, title: "点卡未到账", description: "付款后没有收到。", order: "IN1", merchant: true)
            let note = try await app.request(
                .post, "/api/v1/complaints/\(noted)/messages", token: world.token("platform_staff_a"),
                json: ["visibility": "internal", "body": "内部核查：疑似黑卡洗钱。"])
            #expect(note.status == .created, "\(note.text)")
            // The platform that wrote it finds the case by its note; the merchant, who sees the case
            // but not the note, finds nothing, and no count tells him otherwise.
            #expect(try await Self.ids(app, "黑卡洗钱", as: world.token("platform_staff_a")) == [noted])
            let merchant = try await app.request(.get, "/api/v1/search/complaints?q=%E9%BB%91%E5%8D%A1%E6%B4%97%E9%92%B1", token: world.token("merchant_staff_a"))
            #expect(merchant.status == .ok, "\(merchant.text)")
            #expect(merchant.json["items"].array.isEmpty)
            #expect(merchant.json["capped"].bool == false)
            // Not even a candidate: the lookup itself leaves the note out for the merchant.
            let grams = try SearchText.Query("黑卡洗钱").grams
            for (organization, isPlatform, expected) in [(world.merchantA, false, 0), (world.platformA, true, 1)] {
                let id = try #require(UUID(uuidString: organization))
                let found = try await app.asOwner { connection in
                    _ = try await connection.scalar("SELECT set_config('redress.organization_id', \(id.uuidString), false)", as: String.self)
                    return try await connection.scalar(
                        """
                        SELECT count(*)::int FROM redress_search_newest(\(grams), \(isPlatform ? id : nil)::uuid, \(isPlatform ? nil : id)::uuid,
                                                                        NULL::uuid, 201, 4000)
                        """, as: Int.self)
                }
                #expect(found == expected, "\(organization)")
            }
        }
    }

    @Test func theBigramsAreTheDatabasesOwn() async throws {
        // The service writes bigrams the way the migration's function computes them for older texts.
        try await withTestApp(world: .seeded) { app in
            let manyNumbers = (1...120).map { "n\(1000 + $0)" }.joined(separator: " ")
            let longStretch = String(repeating: "ab12", count: 20) + " 订单DM1a2b3c4d，手机13800138000，ｎｏ９９９９"
            for text in ["2026年9月24日购买的点卡卡密未发放。订单号KM20261101，金额100元！", "ＡＢＣ－１２３ Steam 充值\u{3000}失败", "a", "",
                         manyNumbers, longStretch, "¥299 × 2 €5 ½"] {
                let fromDatabase = try await app.asOwner { try await $0.scalar("SELECT redress_search_grams(\(text))", as: [String].self) }
                #expect(Set(fromDatabase ?? ["?"]) == Set(SearchText.grams([text])), "\(text)")
            }
        }
    }
}
