import Foundation
import PostgresNIO
import RedressCore
import StoreTestSupport
import Testing

@testable import RedressStore

/// The complaint's JSON columns are read without Foundation's decoder where the text is plain enough;
/// whatever that reader takes must read exactly as Foundation's decoder reads it, and whatever it
/// does not take goes to Foundation.
@Suite("Stored JSON")
struct StoredJSONTests {
    static let texts: [String?] = [
        nil, "", "退款", "\"quoted\" \\ back/slash", "line\nbreak\ttab\r\u{8}\u{c}", "\u{1}\u{1f}\u{7f}", "emoji 🧾👍🏽", "\u{2028}\u{2029}",
        "é composed e\u{301}", String(repeating: "卡密", count: 500),
    ]
    static let amounts: [Int?] = [nil, 0, 1, -1, 9_999_999_999, Int.max, Int.min]

    static func demands(_ seed: Int) -> [Demand] {
        (0..<(seed % 4)).map { index in
            Demand(
                kind: Demand.Kind.allCases[(seed + index) % Demand.Kind.allCases.count], amount: amounts[(seed + index) % amounts.count],
                text: texts[(seed * 3 + index) % texts.count])
        }
    }

    static func proposal(_ seed: Int) -> Proposal {
        Proposal(
            refund: amounts[seed % amounts.count], reissue: seed % 2 == 0, apology: seed % 3 == 0,
            compensation: amounts[(seed / 2) % amounts.count], text: texts[seed % texts.count])
    }

    static func answer(_ seed: Int) -> Answer {
        Answer(
            decision: seed % 2 == 0 ? .propose : .reject, proposal: seed % 3 == 0 ? nil : proposal(seed),
            reason: texts[(seed + 1) % texts.count], fault: seed % 5 == 0 ? nil : Fault.allCases[seed % Fault.allCases.count])
    }

    /// As PostgreSQL gives a stored column back: the service's JSON through jsonb and out as text.
    static func stored(_ json: String, _ connection: PostgresConnection) async throws -> String {
        try #require(try await connection.scalar("SELECT \(json)::jsonb::text", as: String.self))
    }

    @Test func whatTheReaderTakesReadsAsFoundationReadsIt() async throws {
        try await withTestDatabase { copy in
            try await TestDatabase.connect(copy.ownerURL) { connection in
                for seed in 0..<60 {
                    let demands = try await Self.stored(try #require(Transaction.json(Self.demands(seed))), connection)
                    let proposal = try await Self.stored(try #require(Transaction.json(Self.proposal(seed))), connection)
                    let answer = try await Self.stored(try #require(Transaction.json(Self.answer(seed))), connection)
                    // The stored forms are all plain: the reader takes each one, and reads what was written.
                    #expect(StoredJSON.parse(demands).flatMap(StoredJSON.demands) == Self.demands(seed), "\(demands)")
                    #expect(StoredJSON.parse(proposal).flatMap(StoredJSON.proposal) == Self.proposal(seed), "\(proposal)")
                    #expect(StoredJSON.parse(answer).flatMap(StoredJSON.answer) == Self.answer(seed), "\(answer)")
                    #expect(try Transaction.fromJSON([Demand].self, demands) == Self.demands(seed))
                    #expect(try Transaction.fromJSON(Answer.self, answer) == Self.answer(seed))
                }
            }
        }
    }

    /// Texts the service never writes: the reader takes none it would read differently.
    @Test func whatTheReaderDoesNotTakeIsLeftToFoundation() throws {
        let proposals = [
            #"{"apology": false, "reissue": true, "refund": 1e2}"#, #"{"apology": false, "reissue": true, "refund": 100.0}"#,
            #"{"apology": false, "reissue": true, "refund": 007}"#, #"{"apology": false, "reissue": true, "refund": 99999999999999999999}"#,
            #"{"apology": false}"#, #"{"apology": false, "reissue": null}"#, #"{"apology": false, "reissue": 1}"#,
            #"{"apology": false, "reissue": true, "reissue": false}"#, #"{"apology": false, "reissue": true, "text": "\ud800"}"#,
            #"{"apology": false, "reissue": true, "text": "bad \q escape"}"#, #"{"apology": false, "reissue": true} trailing"#,
            #"{"apology": false, "reissue": true, "unknown": [[[[[[[[[1]]]]]]]]]}"#, #"[]"#, #"null"#, "",
            #"{"apology": false, "reissue": true, "text": "\ud83e\uddfe"}"#, #"{"apology":false,"reissue":true,"refund":-5,"extra":{}}"#,
        ]
        for text in proposals {
            let foundation = Result { try Transaction.fromJSON(Proposal.self, text) }
            let mixed = Result { try Transaction.fromJSON(Proposal.self, text, read: StoredJSON.proposal) }
            switch (foundation, mixed) {
            case (.success(let expected), .success(let read)): #expect(expected == read, "\(text)")
            case (.failure, .failure): break
            default: Issue.record("\(text): Foundation \(foundation), with the reader \(mixed)")
            }
        }
    }
}
