import Foundation

/// How complaint texts are indexed and searched. PostgreSQL's full-text search does not split Chinese
/// into words, and its trigram module ignores CJK characters under the C locale; so texts are indexed
/// by their character bigrams, which need no dictionary and no locale: each run of letters and digits
/// (after NFKC normalisation and lower-casing) gives its overlapping pairs of characters. A query's
/// bigrams find the candidates through a GIN index; each candidate is then checked to contain every
/// run of the query as written, so the bigrams decide speed, never precision (Docs/search.md).
public enum SearchText {
    /// The runs of `text` between white space and punctuation, normalised, as strings of Unicode
    /// scalars (the database splits texts by code point too): "卡密，未到账 KM-2026" → ["卡密", "未到账", "km", "2026"].
    public static func runs(_ text: String) -> [String] {
        var runs: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in normalised(text).unicodeScalars {
            if isSeparator(scalar) {
                if !current.isEmpty { runs.append(String(current)) }
                current = String.UnicodeScalarView()
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { runs.append(String(current)) }
        return runs
    }

    /// White space and punctuation, as the database's `redress_search_grams` sees them whatever its
    /// locale: ASCII white space and punctuation, general punctuation, CJK punctuation and the
    /// full-width forms that NFKC leaves.
    static func isSeparator(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x20, 0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E: true
        case 0x2000...0x206F, 0x3000...0x303F, 0xFF01...0xFF0F: true
        default: false
        }
    }

    /// NFKC (full-width letters and digits become ASCII), then ASCII letters lower-cased: exactly
    /// what the database does to the texts it checks (`redress_search_normalise`), whatever its locale.
    public static func normalised(_ text: String) -> String {
        String(String.UnicodeScalarView(text.precomposedStringWithCompatibilityMapping.unicodeScalars.map { scalar in
            (65...90).contains(scalar.value) ? Unicode.Scalar(scalar.value + 32)! : scalar
        }))
    }

    /// The distinct grams of the texts, sorted: each run's bigrams (a run of one scalar has none), and
    /// the 4-grams of the first `quadgramStretches` stretches of ASCII letters and digits that hold a
    /// digit and are 4 to 64 long (order numbers, dates, phone numbers). Their bigrams are few (ten
    /// digits make a hundred) and each is held by most cases; their 4-grams are rare, so such a stretch
    /// is looked up through them. The texts are taken as one, joined by spaces (as the database joins
    /// them), so that the bound holds for the whole case.
    public static func grams(_ texts: [String?]) -> [String] {
        var grams = Set<String>()
        let runs = runs(texts.compactMap { $0 }.joined(separator: " "))
        for run in runs { grams.formUnion(bigrams(of: run)) }
        for stretch in runs.flatMap(digitStretches).prefix(quadgramStretches) { grams.formUnion(quadgrams(of: stretch)) }
        return grams.sorted()
    }

    /// The stretches of one text indexed by their 4-grams, at most: a text cannot make its index row
    /// grow past a few thousand grams, however many numbers it holds.
    static let quadgramStretches = 100

    static func isASCIIAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        (0x30...0x39).contains(scalar.value) || (0x61...0x7A).contains(scalar.value)
    }

    /// The stretches of ASCII letters and digits in a (normalised) run that are 4 to 64 long and hold
    /// a digit, in order.
    static func digitStretches(of run: String) -> [ArraySlice<Unicode.Scalar>] {
        let scalars = Array(run.unicodeScalars)
        var stretches: [ArraySlice<Unicode.Scalar>] = []
        var start: Int?
        for index in 0...scalars.count {
            if index < scalars.count, isASCIIAlphanumeric(scalars[index]) {
                if start == nil { start = index }
            } else if let first = start {
                let stretch = scalars[first..<index]
                if (4...64).contains(stretch.count), stretch.contains(where: { (0x30...0x39).contains($0.value) }) { stretches.append(stretch) }
                start = nil
            }
        }
        return stretches
    }

    static func bigrams(of run: String) -> [String] {
        let scalars = Array(run.unicodeScalars)
        guard scalars.count >= 2 else { return [] }
        return (0..<(scalars.count - 1)).map { String(String.UnicodeScalarView([scalars[$0], scalars[$0 + 1]])) }
    }

    static func quadgrams(of stretch: ArraySlice<Unicode.Scalar>) -> [String] {
        (stretch.startIndex...(stretch.endIndex - 4)).map { String(String.UnicodeScalarView(stretch[$0..<($0 + 4)])) }
    }

    /// What a query looks up: the grams of its runs, without the bigrams inside a stretch that has
    /// 4-grams (a text holding the stretch holds them too; they would only make the index read the
    /// long lists of common digit pairs).
    static func queryGrams(_ runs: [String]) -> [String] {
        var grams = Set<String>()
        for run in runs {
            let scalars = Array(run.unicodeScalars)
            let stretches = digitStretches(of: run)
            for stretch in stretches { grams.formUnion(quadgrams(of: stretch)) }
            for index in scalars.indices.dropLast() {
                let inStretch = stretches.contains { $0.indices.contains(index) && $0.indices.contains(index + 1) }
                if !inStretch { grams.insert(String(String.UnicodeScalarView([scalars[index], scalars[index + 1]]))) }
            }
        }
        return grams.sorted()
    }

    /// A staff member's query: at most `maximumRuns` runs, each of two characters or more (one
    /// character would match nearly everything and has no bigram to find it by).
    public struct Query: Sendable, Equatable {
        public let runs: [String]
        public let grams: [String]

        public static let maximumLength = 100
        public static let maximumRuns = 5

        public enum Problem: String, Error, Sendable {
            case empty = "required"
            case tooLong = "too_long"
            case tooManyWords = "too_many_words"
            case tooShort = "too_short"
        }

        public init(_ text: String) throws(Problem) {
            // Counted in scalars, before and after normalisation: combining marks are characters too.
            guard text.unicodeScalars.count <= Self.maximumLength, normalised(text).unicodeScalars.count <= 2 * Self.maximumLength else {
                throw .tooLong
            }
            var seen = Set<String>()
            let runs = SearchText.runs(text).filter { seen.insert($0).inserted }
            guard !runs.isEmpty else { throw .empty }
            guard runs.count <= Self.maximumRuns else { throw .tooManyWords }
            guard runs.allSatisfy({ $0.unicodeScalars.count >= 2 }) else { throw .tooShort }
            self.runs = runs
            self.grams = SearchText.queryGrams(runs)
        }
    }
}
