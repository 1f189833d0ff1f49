import Foundation
import RedressCore

#if canImport(Glibc)
import Glibc
#endif

/// How long encoding one page of complaints takes with each way of writing the API's JSON: the
/// figure that decides which one the service uses (`redress bench-encoding`, run by `make bench`).
public enum EncodingBenchmark {
    public struct Result: Sendable {
        public let name: String
        /// Microseconds of this thread's CPU time per page, the median of the rounds (CPU time, not
        /// wall time: a shared machine's other tenants move the one and not the other).
        public let microsecondsPerPage: Double
        public let bytes: Int
    }

    /// Encodes a page of `items` complaints, as their consumer sees them, `rounds` times with: the
    /// page's own writer (`DirectJSON`, what the service uses for cases); `SnakeCaseJSONWriter` (the
    /// service's writer for everything else); Foundation's `JSONEncoder` converting every key to
    /// snake case; and `JSONEncoder` with keys written as they are — what explicit snake_case
    /// `CodingKeys` would cost (the same encoding work, no conversion).
    public static func run(items: Int, rounds: Int) throws -> [Result] {
        let page = PageResponse(items: (0..<items).map { sample($0) }, nextCursor: "c2VxOjUw")
        let converting = APIJSON.encoder()
        let explicit = JSONEncoder()
        explicit.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(APIJSON.rfc3339(date))
        }
        explicit.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let ways: [(String, () throws -> Int)] = [
            ("direct_json", { page.jsonBytes.count }),
            ("snake_case_json_writer", { try SnakeCaseJSONWriter.encode(page).count }),
            ("foundation_convert_to_snake_case", { try converting.encode(page).count }),
            ("foundation_explicit_coding_keys", { try explicit.encode(page).count }),
        ]
        var bytes = Array(repeating: 0, count: ways.count)
        for _ in 0..<max(rounds / 10, 1) {  // warm up
            for (index, way) in ways.enumerated() { bytes[index] = try way.1() }
        }
        // Round-robin, so that whatever slows the machine for a while slows every way alike.
        var times = Array(repeating: [Double](), count: ways.count)
        for round in 0..<max(rounds, 1) {
            for offset in 0..<ways.count {
                let index = (round + offset) % ways.count
                let start = cpuMicroseconds()
                bytes[index] = try ways[index].1()
                times[index].append(cpuMicroseconds() - start)
            }
        }
        return ways.indices.map { index in
            let sorted = times[index].sorted()
            return Result(name: ways[index].0, microsecondsPerPage: sorted[sorted.count / 2], bytes: bytes[index])
        }
    }

    /// This thread's CPU time so far, in microseconds.
    static func cpuMicroseconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) * 1e6 + Double(now.tv_nsec) / 1e3
    }

    /// A complaint answered by its platform, with the readiness findings its consumer sees.
    static func sample(_ index: Int) -> ComplaintResponse {
        let consumer = UUID(), platform = UUID()
        let filed = Date(timeIntervalSince1970: 1_790_000_000 + Double(index) * 3_600)
        var complaint = Complaint(
            id: UUID(), consumerID: consumer, consumerName: "消费者\(index)", platformID: platform, merchantID: UUID(), category: .nonDelivery,
            title: "充值卡密未到账 \(index)", description: "2026年9月24日10时在平台购买面值500元的游戏点卡，付款成功后卡密一直未发放。",
            order: OrderFacts(
                orderNo: "KM2026092400\(index)", productName: "游戏点卡 500元", amountPaid: 50_000, currency: "CNY", orderedAt: filed,
                paymentChannel: "alipay", paymentRef: "2026092422001"),
            demands: [Demand(kind: .refund, amount: 50_000, text: nil), Demand(kind: .apology, amount: nil, text: "书面道歉")], ultimatumDays: 10,
            state: .proposalMade, submittedAt: filed)
        complaint.deadlineAt = filed.addingTimeInterval(7 * 86_400)
        complaint.standardDeadlineAt = complaint.deadlineAt
        complaint.firstResponseAt = filed.addingTimeInterval(86_400)
        complaint.firstResponseOnTime = true
        complaint.answeredBy = .platform
        complaint.answer = Answer(decision: .propose, proposal: Proposal(refund: 30_000, apology: true, text: "退还部分款项"), reason: nil)
        complaint.closesAt = filed.addingTimeInterval(20 * 86_400)
        let actor = Actor(accountID: consumer, role: .consumer, organizationID: nil, platformID: nil)
        return ComplaintResponse.view(
            complaint, actor: actor, merchantFirst: false, evidence: [.paymentProof, .orderRecord], now: filed.addingTimeInterval(2 * 86_400),
            language: .zhCN)
    }
}
