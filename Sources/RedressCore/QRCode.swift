/// A QR Code symbol (ISO/IEC 18004), made here so that an enrolment page can show an `otpauth://` secret
/// without a third-party library or a request to anyone else. Byte mode only: a URI is just bytes, and the
/// other modes would save a few modules at the cost of a segmenting step nobody needs here.
public struct QRCode: Sendable, Equatable {
    /// How much of the symbol may be lost and still read (about 7, 15, 25, 30 %): more, bigger symbol.
    public enum ErrorCorrection: Sendable {
        case low, medium, quartile, high

        /// The row of the block tables.
        var row: Int {
            switch self {
            case .low: 0
            case .medium: 1
            case .quartile: 2
            case .high: 3
            }
        }
    }

    /// Modules on a side: 17 + 4 × version, without the quiet zone.
    public let size: Int
    /// 1…40: the smallest that holds the data at the requested level.
    public let version: Int
    /// The data mask applied, 0…7.
    public let mask: Int
    /// Row after row, `true` for dark.
    private let modules: [Bool]

    /// Whether the module in column `x`, row `y` (from the top left, 0-based) is dark; outside, light.
    public func isDark(x: Int, y: Int) -> Bool {
        guard x >= 0, y >= 0, x < size, y < size else { return false }
        return modules[y * size + x]
    }

    /// The smallest symbol holding `bytes` in byte mode at `correction`, or nil when even version 40 is
    /// too small (or `mask` is given but not 0…7). Without `mask`, the mask with the lowest penalty is
    /// chosen, as the standard asks, so that no area of the symbol looks like a finder or is all one colour.
    public static func encode(_ bytes: [UInt8], correction: ErrorCorrection = .medium, mask: Int? = nil) -> QRCode? {
        if let mask, !(0...7).contains(mask) { return nil }
        let level = correction.row
        // Mode indicator (4 bits) and character count (8 bits up to version 9, 16 after), then the bytes;
        // divided rather than multiplied so that no count can overflow.
        guard
            let version = (1...40).first(where: { candidate in
                let free = dataCodewords(version: candidate, level: level) * 8 - 4 - (candidate <= 9 ? 8 : 16)
                return bytes.count <= free / 8
            })
        else { return nil }

        let capacity = dataCodewords(version: version, level: level) * 8
        var bits: [Bool] = []
        bits.reserveCapacity(capacity)
        func append(_ value: Int, width: Int) {
            for shift in stride(from: width - 1, through: 0, by: -1) { bits.append((value >> shift) & 1 == 1) }
        }
        append(0b0100, width: 4)
        append(bytes.count, width: version <= 9 ? 8 : 16)
        for byte in bytes { append(Int(byte), width: 8) }
        append(0, width: min(4, capacity - bits.count))  // terminator, shortened when the symbol is full
        append(0, width: (8 - bits.count % 8) % 8)
        var data: [UInt8] = stride(from: 0, to: bits.count, by: 8).map { start in
            bits[start..<start + 8].reduce(UInt8(0)) { ($0 << 1) | ($1 ? 1 : 0) }
        }
        var pad: UInt8 = 0xEC  // the standard's filler, alternating 0xEC and 0x11
        while data.count < capacity / 8 {
            data.append(pad)
            pad ^= 0xEC ^ 0x11
        }

        var grid = functionPatterns(version: version)
        place(withErrorCorrection(data, version: version, level: level), in: &grid)

        var best: (score: Int, mask: Int, modules: [Bool])?
        for candidate in mask.map({ [$0] }) ?? Array(0...7) {
            var trial = grid
            for index in trial.dark.indices where !trial.reserved[index] {
                if maskFlips(candidate, x: index % trial.size, y: index / trial.size) { trial.dark[index].toggle() }
            }
            drawFormat(&trial, correction: correction, mask: candidate)
            let score = mask == nil ? penalty(trial.dark, size: trial.size) : 0
            if best.map({ score < $0.score }) ?? true { best = (score, candidate, trial.dark) }
        }
        guard let chosen = best else { return nil }
        return QRCode(size: grid.size, version: version, mask: chosen.mask, modules: chosen.modules)
    }

    /// A standalone SVG document: a white background and one path of unit squares, one per dark module,
    /// drawn in module units so that the viewBox scales it; `moduleSize` only sets the intrinsic size.
    /// `moduleSize` is clamped to 1…1000 and `quietZone` (light modules around, 4 by the standard) to 0…1000.
    public func svg(moduleSize: Int = 4, quietZone: Int = 4) -> String {
        let scale = min(max(moduleSize, 1), 1000)
        let margin = min(max(quietZone, 0), 1000)
        let side = size + 2 * margin
        var path = ""
        for y in 0..<size {
            for x in 0..<size where isDark(x: x, y: y) {
                path += "M\(x + margin),\(y + margin)h1v1h-1z"
            }
        }
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(side) \(side)\" width=\"\(side * scale)\""
            + " height=\"\(side * scale)\" shape-rendering=\"crispEdges\">"
            + "<rect width=\"\(side)\" height=\"\(side)\" fill=\"#fff\"/>"
            + "<path d=\"\(path)\" fill=\"#000\"/></svg>\n"
    }

    // MARK: - Capacity

    /// Error-correction codewords per block, by level (L, M, Q, H) then version − 1 (ISO/IEC 18004 table 9).
    private static let eccPerBlock: [[Int]] = [
        [7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28,
         28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
        [10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26,
         26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28],
        [13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30,
         28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
        [17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28,
         30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
    ]

    /// Error-correction blocks, same layout as `eccPerBlock`.
    private static let blockCount: [[Int]] = [
        [1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8,
         8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25],
        [1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16,
         17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49],
        [1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20,
         23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68],
        [1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25,
         25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81],
    ]

    /// Spacing of the alignment patterns after the first, for versions 7…40 (from table E.1); below 7
    /// there is only one pattern besides those hidden under the finders, so no spacing is needed.
    private static let alignmentSpacing: [Int] = [
        16, 18, 20, 22, 24, 26, 28, 20, 22, 24, 24, 26, 28, 28, 22, 24, 24,
        26, 26, 28, 28, 24, 24, 26, 26, 26, 28, 28, 24, 26, 26, 26, 28, 28,
    ]

    /// Alignment pattern centres, on both axes: 6 first, size − 7 last, the others evenly spaced before it.
    private static func alignmentCentres(version: Int) -> [Int] {
        if version == 1 { return [] }
        let count = version / 7 + 2
        let last = version * 4 + 10
        if count == 2 { return [6, last] }
        let spacing = alignmentSpacing[version - 7]
        return [6] + (0..<count - 1).map { last - spacing * (count - 2 - $0) }
    }

    /// Modules left for codewords once the function patterns are drawn: finders with their separators
    /// (3 × 64), both copies of the format information with the dark module (31), the timing patterns
    /// between the finders, the alignment patterns less what they share with the timing patterns, and
    /// from version 7 the two version blocks (2 × 18).
    private static func rawModules(version: Int) -> Int {
        let size = version * 4 + 17
        var count = size * size - 3 * 64 - 31 - 2 * (size - 16)
        if version >= 2 {
            let perAxis = version / 7 + 2
            count -= 25 * (perAxis * perAxis - 3) - 10 * (perAxis - 2)
        }
        if version >= 7 { count -= 36 }
        return count
    }

    private static func dataCodewords(version: Int, level: Int) -> Int {
        rawModules(version: version) / 8 - eccPerBlock[level][version - 1] * blockCount[level][version - 1]
    }

    // MARK: - Reed–Solomon

    /// Product in GF(2⁸) modulo x⁸ + x⁴ + x³ + x² + 1 (0x11D), by shifting and adding.
    private static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        var product: UInt8 = 0
        var a = a
        var b = b
        while b != 0 {
            if b & 1 != 0 { product ^= a }
            a = (a << 1) ^ (a & 0x80 != 0 ? 0x1D : 0)
            b >>= 1
        }
        return product
    }

    /// The generator (x − α⁰)(x − α¹)…(x − α^(degree−1)), highest power first, its leading 1 left out.
    private static func generator(degree: Int) -> [UInt8] {
        var coefficients: [UInt8] = [1]  // lowest power first while multiplying
        var root: UInt8 = 1
        for _ in 0..<degree {
            var product = [UInt8](repeating: 0, count: coefficients.count + 1)
            for (power, coefficient) in coefficients.enumerated() {
                product[power + 1] ^= coefficient
                product[power] ^= multiply(coefficient, root)
            }
            coefficients = product
            root = multiply(root, 2)
        }
        return Array(coefficients.dropLast().reversed())
    }

    /// The block's check codewords: the remainder of data × x^degree divided by the generator.
    private static func remainder(of block: ArraySlice<UInt8>, divisor: [UInt8]) -> [UInt8] {
        var register = [UInt8](repeating: 0, count: divisor.count)
        for byte in block {
            let factor = byte ^ register.removeFirst()
            register.append(0)
            for index in register.indices { register[index] ^= multiply(divisor[index], factor) }
        }
        return register
    }

    /// Splits the data into the version's blocks (the shorter ones first, the others one codeword
    /// longer), adds each block's check codewords, and interleaves: a burst of damage then spreads over
    /// many blocks instead of exhausting one.
    private static func withErrorCorrection(_ data: [UInt8], version: Int, level: Int) -> [UInt8] {
        let blocks = blockCount[level][version - 1]
        let checkLength = eccPerBlock[level][version - 1]
        let total = rawModules(version: version) / 8
        let shortLength = total / blocks - checkLength
        let longBlocks = total % blocks
        let divisor = generator(degree: checkLength)
        var dataBlocks: [ArraySlice<UInt8>] = []
        var checkBlocks: [[UInt8]] = []
        var start = 0
        for index in 0..<blocks {
            let length = shortLength + (index >= blocks - longBlocks ? 1 : 0)
            let block = data[start..<start + length]
            dataBlocks.append(block)
            checkBlocks.append(remainder(of: block, divisor: divisor))
            start += length
        }
        var result: [UInt8] = []
        result.reserveCapacity(total)
        for offset in 0...shortLength {
            for block in dataBlocks where offset < block.count { result.append(block[block.startIndex + offset]) }
        }
        for offset in 0..<checkLength {
            for block in checkBlocks { result.append(block[offset]) }
        }
        return result
    }

    // MARK: - Drawing

    /// A symbol being drawn: the colours, and which modules belong to function patterns (which neither
    /// data nor the mask may touch).
    private struct Grid {
        let size: Int
        var dark: [Bool]
        var reserved: [Bool]

        init(size: Int) {
            self.size = size
            dark = Array(repeating: false, count: size * size)
            reserved = Array(repeating: false, count: size * size)
        }

        mutating func set(x: Int, y: Int, dark isDark: Bool) {
            dark[y * size + x] = isDark
            reserved[y * size + x] = true
        }
    }

    /// Finders, separators, timing, alignment and version patterns, with the format areas reserved.
    private static func functionPatterns(version: Int) -> Grid {
        let size = version * 4 + 17
        var grid = Grid(size: size)
        for index in 0..<size {
            grid.set(x: 6, y: index, dark: index % 2 == 0)
            grid.set(x: index, y: 6, dark: index % 2 == 0)
        }
        // Each finder is concentric squares (dark 7×7, light 5×5, dark 3×3) in a light separator ring,
        // which falls outside the symbol on two sides.
        for (centreX, centreY) in [(3, 3), (size - 4, 3), (3, size - 4)] {
            for dy in -4...4 {
                for dx in -4...4 where (0..<size).contains(centreX + dx) && (0..<size).contains(centreY + dy) {
                    let ring = max(abs(dx), abs(dy))
                    grid.set(x: centreX + dx, y: centreY + dy, dark: ring != 2 && ring != 4)
                }
            }
        }
        // Alignment patterns sit on every pair of centres except the three corners taken by finders.
        let centres = alignmentCentres(version: version)
        let last = centres.count - 1
        for (row, centreY) in centres.enumerated() {
            for (column, centreX) in centres.enumerated() {
                let corner = (row == 0 || row == last) && (column == 0 || column == last) && row + column != 2 * last
                if corner { continue }
                for dy in -2...2 {
                    for dx in -2...2 { grid.set(x: centreX + dx, y: centreY + dy, dark: max(abs(dx), abs(dy)) != 1) }
                }
            }
        }
        drawFormat(&grid, correction: .medium, mask: 0)  // reserves the areas; redrawn once the mask is known
        if version >= 7 {
            // Version number and its BCH(18,6) check, in a 6×3 block beside each of the other two finders.
            let bits = version << 12 | bchRemainder(version << 12, generator: 0x1F25)
            for index in 0..<18 {
                let isDark = (bits >> index) & 1 == 1
                grid.set(x: size - 11 + index % 3, y: index / 3, dark: isDark)
                grid.set(x: index / 3, y: size - 11 + index % 3, dark: isDark)
            }
        }
        return grid
    }

    /// The level and mask with their BCH(15,5) check, XORed with 0x5412 so that the bits are never all
    /// light; drawn twice (around the top-left finder, and split between the other two) with the dark
    /// module that is always beside the bottom-left finder.
    private static func drawFormat(_ grid: inout Grid, correction: ErrorCorrection, mask: Int) {
        let data = [1, 0, 3, 2][correction.row] << 3 | mask  // the standard numbers the levels out of order
        let bits = (data << 10 | bchRemainder(data << 10, generator: 0x537)) ^ 0x5412
        let size = grid.size
        for index in 0..<15 {
            let isDark = (bits >> index) & 1 == 1
            if index < 8 {
                grid.set(x: 8, y: index < 6 ? index : index + 1, dark: isDark)  // stepping over the timing row
                grid.set(x: size - 1 - index, y: 8, dark: isDark)
            } else {
                grid.set(x: index == 8 ? 7 : 14 - index, y: 8, dark: isDark)  // stepping over the timing column
                grid.set(x: 8, y: size - 15 + index, dark: isDark)
            }
        }
        grid.set(x: 8, y: size - 8, dark: true)
    }

    /// The remainder of `value` divided by `generator`, both read as polynomials over GF(2).
    private static func bchRemainder(_ value: Int, generator: Int) -> Int {
        func degree(_ polynomial: Int) -> Int { Int.bitWidth - polynomial.leadingZeroBitCount - 1 }
        var remainder = value
        while degree(remainder) >= degree(generator) {
            remainder ^= generator << (degree(remainder) - degree(generator))
        }
        return remainder
    }

    /// Codeword bits, most significant first, up and down column pairs from the right (the vertical
    /// timing column skipped), into every module no function pattern holds; remainder bits stay light.
    private static func place(_ codewords: [UInt8], in grid: inout Grid) {
        let size = grid.size
        var bit = 0
        var right = size - 1
        var upward = true
        while right > 0 {
            if right == 6 { right = 5 }
            for step in 0..<size {
                let y = upward ? size - 1 - step : step
                for x in [right, right - 1] where !grid.reserved[y * size + x] {
                    if bit < codewords.count * 8 {
                        grid.dark[y * size + x] = (codewords[bit / 8] >> (7 - bit % 8)) & 1 == 1
                    }
                    bit += 1
                }
            }
            upward.toggle()
            right -= 2
        }
    }

    /// Whether mask `mask` inverts the module in column `x`, row `y`.
    private static func maskFlips(_ mask: Int, x: Int, y: Int) -> Bool {
        switch mask {
        case 0: (x + y) % 2 == 0
        case 1: y % 2 == 0
        case 2: x % 3 == 0
        case 3: (x + y) % 3 == 0
        case 4: (x / 3 + y / 2) % 2 == 0
        case 5: x * y % 2 + x * y % 3 == 0
        case 6: (x * y % 2 + x * y % 3) % 2 == 0
        default: ((x + y) % 2 + x * y % 3) % 2 == 0
        }
    }

    // MARK: - Penalty

    /// The standard's four penalties; the lowest wins. Rules 1 and 3 go along rows and columns, rule 2
    /// counts 2×2 squares of one colour, rule 4 how far the share of dark modules is from half.
    private static func penalty(_ dark: [Bool], size: Int) -> Int {
        var score = 0
        for line in 0..<size {
            score += linePenalty((0..<size).map { dark[line * size + $0] })
            score += linePenalty((0..<size).map { dark[$0 * size + line] })
        }
        for y in 0..<size - 1 {
            for x in 0..<size - 1 {
                let colour = dark[y * size + x]
                if dark[y * size + x + 1] == colour && dark[(y + 1) * size + x] == colour
                    && dark[(y + 1) * size + x + 1] == colour
                {
                    score += 3
                }
            }
        }
        // 10 for each full 5 % step the dark share lies beyond 45…55 % (the module count is odd, so never
        // exactly half).
        let darkCount = dark.reduce(0) { $0 + ($1 ? 1 : 0) }
        let total = size * size
        score += max(0, (abs(darkCount * 20 - total * 10) + total - 1) / total - 1) * 10
        return score
    }

    /// Rule 1 (3 for a run of five of one colour, 1 more per module beyond) and rule 3 (40 for a dark
    /// 1:1:3:1:1 run, of any width, with four widths of light on one side and at least one on the other;
    /// outside the symbol counts as light).
    private static func linePenalty(_ line: [Bool]) -> Int {
        var runs: [Int] = []  // alternating lengths, light first (zero when the line starts dark)
        var colour = false
        var length = 0
        for module in line {
            if module == colour {
                length += 1
            } else {
                runs.append(length)
                colour = module
                length = 1
            }
        }
        runs.append(length)
        var score = 0
        for run in runs where run >= 5 { score += run - 2 }
        if colour { runs.append(0) }  // so the line ends on a light run
        runs[0] += line.count
        runs[runs.count - 1] += line.count
        for start in stride(from: 0, to: runs.count - 6, by: 2) {
            let unit = runs[start + 1]
            guard runs[start + 2] == unit, runs[start + 3] == 3 * unit, runs[start + 4] == unit,
                runs[start + 5] == unit
            else { continue }
            if runs[start] >= 4 * unit && runs[start + 6] >= unit { score += 40 }
            if runs[start + 6] >= 4 * unit && runs[start] >= unit { score += 40 }
        }
        return score
    }
}
