/// The median of whole numbers, found by selection rather than by sorting: a platform's year of
/// response times is read as tens of thousands of values, and three groupings each need their middle.
public enum Median {
    /// The middle value, or the mean of the two middle values when their number is even; `nil` for no
    /// values. Reorders `values`.
    public static func of(_ values: inout [Int32]) -> Double? {
        guard !values.isEmpty else { return nil }
        let upper = values.count / 2
        select(&values, rank: upper)
        let high = Double(values[upper])
        guard values.count % 2 == 0 else { return high }
        // After selection every value left of `upper` is at most the value there: the lower middle is
        // their largest.
        let low = Double(values[..<upper].max()!)
        return (low + high) / 2
    }

    /// Hoare-style quickselect: afterwards `values[rank]` is the value a sort would put there, the
    /// values before it are not greater and the values after it not smaller. The pivot is the median
    /// of three, which keeps sorted and constant input (common here: many equal times) linear; a
    /// bound on the rounds keeps any input at n log n.
    static func select(_ values: inout [Int32], rank: Int, rounds: Int? = nil) {
        // On the array's buffer: each of the array's own accesses checked its bounds and each swap its
        // uniqueness, twice the selection's time (a tenth of a platform's statistics).
        values.withUnsafeMutableBufferPointer { select($0, rank: rank, rounds: rounds) }
    }

    private static func select(_ values: UnsafeMutableBufferPointer<Int32>, rank: Int, rounds: Int?) {
        precondition(values.isEmpty || values.indices.contains(rank), "rank \(rank) outside \(values.count) values")
        var low = 0, high = values.count - 1
        // Median-of-three can be led astray by input arranged against it (a platform chooses when it
        // answers): past a few rounds more than a balanced selection needs, the rest is sorted.
        var roundsLeft = rounds ?? 2 * (Int.bitWidth - values.count.leadingZeroBitCount) + 8
        while low < high {
            roundsLeft -= 1
            if roundsLeft < 0 {
                var rest = UnsafeMutableBufferPointer(rebasing: values[low...high])
                rest.sort()
                return
            }
            let middle = low + (high - low) / 2
            let a = values[low], b = values[middle], c = values[high]
            let pivot = max(min(a, b), min(max(a, b), c))
            var i = low, j = high
            while i <= j {
                while values[i] < pivot { i += 1 }
                while values[j] > pivot { j -= 1 }
                if i <= j {
                    values.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            // [low, j] ≤ pivot, [i, high] ≥ pivot, and anything between equals it.
            if rank <= j {
                high = j
            } else if rank >= i {
                low = i
            } else {
                return
            }
        }
    }
}
