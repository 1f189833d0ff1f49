import Foundation
@testable import RedressAPI
import RedressCore
import Testing

/// The fast response writer must write what Foundation's JSONEncoder, configured as the API's, writes.
/// (Debug builds also compare the two on every response the other API tests receive.)
@Suite("Response encoder")
struct SnakeCaseJSONWriterTests {
    struct Inner: Encodable {
        let accountID: UUID
        let evidenceURL: URL
        let ratio: Double
        let note: String?
    }

    struct Sample: Encodable {
        let title: String
        let amountPaid: Int
        let myURLProperty: String
        let isOK: Bool
        let p50Seconds: Double
        let sha256Digest: String
        let createdAt: Date
        let missing: String?
        let explicitNull: Nullable<Int>
        let items: [Inner]
        let byCategory: [String: Int]
        let nestedArrays: [[Int]]
        let empty: [String: String]
        let _leading: Int
    }

    @Test func writesWhatJSONEncoderWrites() throws {
        let strings = ["plain", "quote \" backslash \\ slash /", "control \u{01}\u{08}\u{0C}\n\r\t\u{1F}", "中文 投诉", "emoji 🧾", ""]
        let doubles = [0.0, -0.0, 0.5, 1.0, 0.1, 1.0 / 3.0, 123_456_789.125, 1e21, 1e-7, -42.0]
        for (index, text) in strings.enumerated() {
            let sample = Sample(
                title: text, amountPaid: -index * 1_000_001, myURLProperty: text, isOK: index % 2 == 0,
                p50Seconds: doubles[index % doubles.count], sha256Digest: "ab", createdAt: Date(timeIntervalSince1970: 1_760_284_799.9996),
                missing: index % 2 == 0 ? nil : text, explicitNull: Nullable(index % 2 == 0 ? nil : index),
                items: doubles.map {
                    Inner(
                        accountID: UUID(), evidenceURL: URL(string: "https://example.test/a/b?c=\(index)")!, ratio: $0,
                        note: $0 > 1 ? text : nil)
                },
                byCategory: ["non_delivery": 3, "camelCaseKey": 4, "Zed": 1, "2026-01-01": index, "中文": 5, "émoji": 6, "e": 7, "é": 8], nestedArrays: [[1, 2], [], [index]],
                empty: [:], _leading: 7)
            let fast = String(decoding: try SnakeCaseJSONWriter.encode(sample), as: UTF8.self)
            let reference = String(decoding: try APIJSON.encoder().encode(sample), as: UTF8.self)
            #expect(fast == reference)
        }
    }

    @Test(arguments: [
        "accountID", "myURLProperty", "isOK", "p50Seconds", "sha256Digest", "_leading", "trailing_", "ABC", "aB", "a", "evidenceURLs",
        "nextCursor", "firstResponseDeadlineAt", "platformIDs", "x1Y2z3", "already_snake",
    ])
    func convertsKeysAsFoundationDoes(key: String) throws {
        struct One: Encodable {
            let key: String
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: APIJSON.AnyKey.self)
                try container.encode(1, forKey: APIJSON.AnyKey(key))
            }
        }
        let reference = String(decoding: try APIJSON.encoder().encode(One(key: key)), as: UTF8.self)
        #expect(reference == "{\"\(SnakeCaseJSONWriter.convertToSnakeCase(key))\":1}")
    }

    /// A key encoded twice keeps its last value, in its sorted place.
    @Test func aKeyEncodedTwiceKeepsItsLastValue() throws {
        struct Twice: Encodable {
            enum Key: String, CodingKey { case zeta, alphaBeta }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Key.self)
                try container.encode(1, forKey: .zeta)
                try container.encode("first", forKey: .alphaBeta)
                try container.encode(2, forKey: .zeta)
            }
        }
        let fast = String(decoding: try SnakeCaseJSONWriter.encode(Twice()), as: UTF8.self)
        #expect(fast == String(decoding: try APIJSON.encoder().encode(Twice()), as: UTF8.self))
        #expect(fast == #"{"alpha_beta":"first","zeta":2}"#)
    }

    @Test func refusesNonFiniteNumbers() {
        #expect(throws: EncodingError.self) { try SnakeCaseJSONWriter.encode([Double.nan]) }
        #expect(throws: EncodingError.self) { try SnakeCaseJSONWriter.encode(["x": Double.infinity]) }
        // The error names where the value was, as Foundation's does.
        struct Deep: Encodable {
            let items: [Inner]
            struct Inner: Encodable { let ratio: Nullable<Double> }
        }
        let deep = Deep(items: [Deep.Inner(ratio: Nullable(1)), Deep.Inner(ratio: Nullable(.nan))])
        func path(_ encode: () throws -> Void) -> [String] {
            do { try encode() } catch EncodingError.invalidValue(_, let context) { return context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue } } catch {}
            return []
        }
        let fast = path { _ = try SnakeCaseJSONWriter.encode(deep) }
        #expect(fast == ["items", "1", "ratio"])
        #expect(fast == path { _ = try APIJSON.encoder().encode(deep) })
    }

    /// The benchmark's four ways write the same page: the page's own writer, the tree writer and
    /// Foundation byte for byte, and Foundation with unconverted keys the same document but for the
    /// keys' spelling.
    @Test func theEncodingBenchmarkComparesLikeWithLike() throws {
        let results = try EncodingBenchmark.run(items: 3, rounds: 2)
        #expect(results.map(\.name) == ["direct_json", "snake_case_json_writer", "foundation_convert_to_snake_case", "foundation_explicit_coding_keys"])
        #expect(results[0].bytes == results[1].bytes && results[1].bytes == results[2].bytes && results[0].bytes > 3 * 1_000)
        #expect(abs(results[3].bytes - results[0].bytes) < results[0].bytes / 10)
        #expect(results.allSatisfy { $0.microsecondsPerPage > 0 })
    }

    /// Cases written by their own writer (`DirectJSON`), as each kind of reader sees them, alone, in a
    /// page and among search hits: what Foundation's encoder writes, byte for byte.
    @Test func casesWriteThemselvesAsJSONEncoderWrites() throws {
        let reference = APIJSON.encoder()
        for index in 0..<20 {
            let complaint = EncodingBenchmark.sample(index)
            #expect(complaint.jsonBytes == Array(try reference.encode(complaint)), "sample \(index)")
        }
        let page = PageResponse(items: (0..<5).map(EncodingBenchmark.sample), nextCursor: index(7))
        #expect(page.jsonBytes == Array(try reference.encode(page)))
        let last = PageResponse(items: [EncodingBenchmark.sample(1)], nextCursor: nil)
        #expect(last.jsonBytes == Array(try reference.encode(last)))
        let hits = SearchController.SearchResponse(
            items: [SearchController.Hit(relevance: 87, complaint: EncodingBenchmark.sample(2))], nextCursor: nil, capped: true)
        #expect(hits.jsonBytes == Array(try reference.encode(hits)))
        #expect(PageResponse<ComplaintResponse>(items: [], nextCursor: nil).jsonBytes == Array("{\"items\":[],\"next_cursor\":null}".utf8))
    }

    /// The public report's rates, scores and means are written as Foundation writes a `Double`, across
    /// magnitudes and fractions, and an absent one as `null`.
    @Test func ratesWriteThemselvesAsJSONEncoderWrites() throws {
        let reference = APIJSON.encoder()
        let values: [Double?] = [0, 1, 5, 0.5, 0.1, 1.0 / 3.0, 2.0 / 3.0, 0.9999, 1e-7, 4.25e-5, 123_456_789.125, 5e20, 1e16, -0.0, nil]
        for value in values {
            var json = DirectJSONWriter()
            json.nullable(value) { $0.double($1) }
            #expect(json.bytes == Array(try reference.encode(Nullable(value))), "\(String(describing: value))")
        }
        let rate = RateResponse(Rate(1, of: 3))
        #expect(rate.jsonBytes == Array(try reference.encode(rate)))
    }

    /// Every member the sample leaves out, set: a mediator's view of a case settled, rated, referred,
    /// erased and re-filed, with the consumer's contact, and texts that need escaping.
    @Test func aCaseWithEveryMemberWritesItselfAsJSONEncoderWrites() throws {
        let body = UUID(), mediator = UUID(), at = Date(timeIntervalSince1970: 1_790_000_000.123)
        var complaint = Complaint(
            id: UUID(), consumerID: UUID(), consumerName: "名字 \"quoted\" \\ /\u{2028}\u{1}", platformID: UUID(), merchantID: UUID(),
            category: .nonDelivery, title: "🧾 卡密\n未到账", description: "<script>\t</script>",
            order: OrderFacts(orderNo: "A/1", productName: "点卡", amountPaid: 1, currency: "CNY", orderedAt: nil, paymentChannel: nil, paymentRef: nil),
            demands: [Demand(kind: .refund, amount: 1, text: "退款")], ultimatumDays: nil, state: .closed, submittedAt: at)
        complaint.mediationBodyID = body
        complaint.mediatorID = mediator
        complaint.escalatedAt = at
        complaint.escalatedBy = .consumer
        complaint.faultClaim = .merchant
        complaint.faultFinding = .shared
        complaint.answeredBy = .merchant
        complaint.answer = Answer(decision: .reject, proposal: nil, reason: "已发货", fault: .consumer)
        complaint.answerRejected = true
        complaint.settlement = Proposal(refund: 100, reissue: true, apology: true, compensation: 5, text: "和解")
        complaint.consumerAcceptedSettlement = true
        complaint.agreedOutcome = Proposal(refund: 100)
        complaint.rating = 4
        complaint.ratingComment = "ok"
        complaint.referralChannel = .twelve315
        complaint.referralReference = "12315-1"
        complaint.referralOutcome = .notResolved
        complaint.referralClosedAt = at
        complaint.closedAt = at
        complaint.outcome = .monetaryRelief
        complaint.invalidReason = .noSuchOrder
        complaint.erasedAt = at
        complaint.anonymisedAt = at
        complaint.refiles = UUID()
        complaint.collectiveID = UUID()
        complaint.acknowledgements = 2
        complaint.lastAcknowledgedAt = at
        let actor = RedressCore.Actor(accountID: mediator, role: .mediator, organizationID: body, platformID: nil)
        var view = ComplaintResponse.view(complaint, actor: actor, merchantFirst: true, evidence: [], now: at, language: .en)
        view.consumerContact = ["phone": "+86 138", "email": "a@b.cn"]
        let written = String(decoding: view.jsonBytes, as: UTF8.self)
        #expect(written == String(decoding: try APIJSON.encoder().encode(view), as: UTF8.self))
        for key in ["settlement", "agreed_outcome", "rating_comment", "referral_outcome", "erased_at", "refiles", "collective_id", "consumer_contact", "fault_finding", "escalated_by", "readiness"] {
            #expect(written.contains("\"\(key)\":"), "\(key) is written")
        }
    }

    private func index(_ value: Int) -> String { "c2VxOj\(value)" }
}
