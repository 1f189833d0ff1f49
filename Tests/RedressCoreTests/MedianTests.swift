@testable import RedressCore
import Testing

@Suite("Median by selection")
struct MedianTests {
    /// The median a sort gives: the middle value, or the mean of the two middle ones.
    static func sortedMedian(_ values: [Int32]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted(), upper = sorted.count / 2
        return sorted.count % 2 == 1 ? Double(sorted[upper]) : (Double(sorted[upper - 1]) + Double(sorted[upper])) / 2
    }

    @Test func selectionAgreesWithSortingOnRandomAndAwkwardInput() {
        var generator = SplitMix(seed: 20261207)
        var cases: [[Int32]] = [[], [7], [7, 3], [3, 7], [5, 5], [Int32.max, 0], [0, Int32.max, Int32.max]]
        cases.append(Array(repeating: 42, count: 1_001))
        cases.append((0..<1_000).map(Int32.init))
        cases.append((0..<1_001).reversed().map(Int32.init))
        for count in [2, 3, 4, 5, 10, 63, 64, 999, 4_096] {
            for spread in [2, 50, 1_000_000] {
                cases.append((0..<count).map { _ in Int32(generator.next() % UInt64(spread)) })
            }
        }
        for values in cases {
            var copy = values
            #expect(Median.of(&copy) == Self.sortedMedian(values), "\(values.prefix(12)) (\(values.count))")
            #expect(copy.sorted() == values.sorted(), "selection keeps the values")
        }
    }

    /// Past its bound on rounds, selection sorts what is left: the same value at the rank.
    @Test func selectionThatRunsOutOfRoundsSortsTheRest() {
        var generator = SplitMix(seed: 7)
        let values = (0..<999).map { _ in Int32(generator.next() % 500) }
        let sorted = values.sorted()
        for rounds in [0, 1, 2, 3] {
            for rank in [0, 1, 499, 998] {
                var copy = values
                Median.select(&copy, rank: rank, rounds: rounds)
                #expect(copy[rank] == sorted[rank], "rounds \(rounds), rank \(rank)")
                #expect(copy[..<rank].allSatisfy { $0 <= copy[rank] } && copy[(rank + 1)...].allSatisfy { $0 >= copy[rank] })
            }
        }
    }
}
