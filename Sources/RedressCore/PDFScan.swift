import CZlib

/// Reads a PDF as PDF syntax — comments, literal and hex strings, dictionaries, names, stream data —
/// rather than as text, looking for the names that make a document act. A name is only a name where
/// the syntax says so: `% stream` in a comment does not start a stream, and `(/JS)` is a string. The
/// objects a PDF packs into compressed object streams (`/Type /ObjStm`) are inflated and read the
/// same way, within a bound on what inflating may produce.
struct PDFScan {
    enum Finding: Equatable {
        case clean
        case activeContent
        /// An object stream whose compression Redress does not read, or that does not inflate.
        case uninspectable
        /// An object stream that inflates beyond `inflateLimit`: a decompression bomb.
        case compressedTooLarge
        /// `N G obj` inside a stream's data: an object hidden from a scan that skips streams.
        case objectInsideStream
        /// A string, hex string or dictionary still open at the end of the file: what follows its
        /// opening was never read as syntax here, while a reader that finds objects by their offsets
        /// would read it.
        case unterminated
    }

    static let activeNames: Set<[UInt8]> = Set(EvidenceInspection.activePDFNames.map { Array($0.utf8) })
    /// Everything the object streams of one file may inflate to, together. Object streams hold only
    /// the small objects (pages, fonts, annotations): a few hundred kilobytes in a long document.
    static let inflateLimit = 8 * 1024 * 1024

    private var inflated = 0

    static func scan(_ bytes: [UInt8]) -> Finding {
        var scan = PDFScan()
        return scan.scan(bytes[...], insideObjectStream: false)
    }

    private static let whitespace: Set<UInt8> = [0x00, 0x09, 0x0A, 0x0C, 0x0D, 0x20]
    private static let delimiters: Set<UInt8> = Set(Array("()<>[]{}/%".utf8))

    /// The tokens of the dictionary that closed last at the outermost level, which is the dictionary
    /// of a stream when `stream` follows. Only what the scan reads is kept — the keys it looks up and
    /// the few words after each — so a dictionary of millions of words costs no more than a short one.
    private enum Token: Equatable {
        case name([UInt8])
        case word([UInt8])
        case other
    }

    /// The keys of a stream's dictionary that the scan reads. `N` and `First` make an object stream
    /// whatever its `/Type` says (a reader does not check it); `DecodeParms` would change the bytes
    /// after inflating, which the scan does not undo.
    private static let keys: Set<[UInt8]> = Set(["Length", "Type", "Filter", "N", "First", "DecodeParms"].map { Array($0.utf8) })
    /// Longer names cannot be one the scan looks for; longer words cannot be a length or a keyword.
    private static let longestName = (activeNames.union(keys)).map(\.count).max() ?? 0
    private static let longestWord = 16
    /// A dictionary that names its keys more often than this is not inspected.
    private static let maximumKeptTokens = 64

    /// A dictionary's kept tokens: keys, up to three names or short words after each, and one `.other`
    /// for any run of everything else.
    private struct KeptDictionary {
        var tokens: [Token] = []
        var overflowed = false
        /// A key named twice: readers disagree on which one counts.
        var repeatsAKey = false

        mutating func keep(_ token: Token) {
            // A key named again in a key's place (not as the value right after a key).
            if case .name(let name) = token, PDFScan.keys.contains(name), tokens.contains(token), !lastIsKey { repeatsAKey = true }
            let kept: Token
            switch token {
            case .name(let name) where PDFScan.keys.contains(name) || followsKey: kept = token
            case .word(let word) where word.count <= PDFScan.longestWord && followsKey: kept = token
            default: kept = .other
            }
            if kept == .other, tokens.last == .other { return }
            guard tokens.count < PDFScan.maximumKeptTokens else {
                overflowed = true
                return
            }
            tokens.append(kept)
        }

        private var lastIsKey: Bool {
            if case .name(let name)? = tokens.last { PDFScan.keys.contains(name) } else { false }
        }

        private var followsKey: Bool {
            tokens.suffix(3).contains { if case .name = $0 { true } else { false } }
        }
    }

    private mutating func scan(_ bytes: ArraySlice<UInt8>, insideObjectStream: Bool) -> Finding {
        var index = bytes.startIndex
        let end = bytes.endIndex
        var depth = 0
        var current = KeptDictionary()
        var lastDictionary = KeptDictionary()
        func at(_ position: Int) -> UInt8? { position < end ? bytes[position] : nil }
        while index < end {
            let byte = bytes[index]
            if Self.whitespace.contains(byte) {
                index += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "%"):
                while index < end, bytes[index] != 0x0A, bytes[index] != 0x0D { index += 1 }
            case UInt8(ascii: "("):
                guard let after = Self.endOfLiteralString(bytes, from: index) else { return .unterminated }
                index = after
                if depth == 1 { current.keep(.other) }
            case UInt8(ascii: "<") where at(index + 1) == UInt8(ascii: "<"):
                depth += 1
                if depth == 1 { current = KeptDictionary() } else if depth == 2 { current.keep(.other) }
                index += 2
            case UInt8(ascii: ">") where at(index + 1) == UInt8(ascii: ">"):
                if depth == 1 { lastDictionary = current }
                depth = max(depth - 1, 0)
                index += 2
            case UInt8(ascii: "<"):
                while index < end, bytes[index] != UInt8(ascii: ">") { index += 1 }
                if index >= end { return .unterminated }
                index += 1
                if depth == 1 { current.keep(.other) }
            case UInt8(ascii: "/"):
                var name: [UInt8] = []
                var length = 0
                index += 1
                while index < end, !Self.whitespace.contains(bytes[index]), !Self.delimiters.contains(bytes[index]) {
                    var decoded = bytes[index]
                    if bytes[index] == UInt8(ascii: "#"), let high = at(index + 1).flatMap(Self.hex), let low = at(index + 2).flatMap(Self.hex) {
                        decoded = high << 4 | low
                        index += 3
                    } else {
                        index += 1
                    }
                    if length < Self.longestName { name.append(decoded) }
                    length += 1
                }
                if length <= Self.longestName {
                    if Self.activeNames.contains(name) { return .activeContent }
                    if depth == 1 { current.keep(.name(name)) }
                } else if depth == 1 {
                    current.keep(.other)
                }
            case UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: ")"), UInt8(ascii: ">"):
                if depth == 1 { current.keep(.other) }
                index += 1
            default:
                let start = index
                while index < end, !Self.whitespace.contains(bytes[index]), !Self.delimiters.contains(bytes[index]) { index += 1 }
                // Only a short word is kept: the scan compares words with keywords and reads lengths.
                let word = index - start <= Self.longestWord ? Array(bytes[start..<index]) : [UInt8(ascii: "?")]
                if word == Array("stream".utf8), !insideObjectStream {
                    let kept = lastDictionary
                    lastDictionary = KeptDictionary()
                    if kept.overflowed || kept.repeatsAKey { return .uninspectable }
                    let dictionary = kept.tokens
                    guard let (data, next) = Self.streamData(bytes, after: index, dictionary: dictionary) else { return .uninspectable }
                    index = next
                    // A reader finds objects by their offsets (or, repairing a file, by scanning for
                    // them), not by skipping streams as this scan does: an object inside a stream's
                    // data would be read by it and skipped here.
                    if Self.containsObjectHeader(data) { return .objectInsideStream }
                    if Self.isObjectStream(dictionary) {
                        let finding = inspectObjectStream(data, dictionary: dictionary)
                        if finding != .clean { return finding }
                    }
                } else if index == start {
                    index += 1
                } else if depth == 1 {
                    current.keep(.word(word))
                } else if depth == 0 {
                    // `endobj`, `obj` and numbers between objects end any pending dictionary.
                    if word == Array("endobj".utf8) { lastDictionary = KeptDictionary() }
                }
            }
        }
        return depth == 0 ? .clean : .unterminated
    }

    /// The stream's bytes, and where scanning goes on (after `endstream`). The length comes from a
    /// direct `/Length`, checked against the `endstream` that must follow it; otherwise from the first
    /// `endstream` after the data (a stream's data can hold any byte, so nothing in it is read as syntax).
    private static func streamData(_ bytes: ArraySlice<UInt8>, after keyword: Int, dictionary: [Token]) -> (ArraySlice<UInt8>, Int)? {
        var start = keyword
        if start < bytes.endIndex, bytes[start] == 0x0D { start += 1 }
        if start < bytes.endIndex, bytes[start] == 0x0A { start += 1 }
        let endWord = Array("endstream".utf8)
        if let length = directLength(dictionary), length >= 0, length <= bytes.endIndex - start {
            var after = start + length
            while after < bytes.endIndex, whitespace.contains(bytes[after]) { after += 1 }
            if after + endWord.count <= bytes.endIndex, bytes[after..<after + endWord.count].elementsEqual(endWord) {
                return (bytes[start..<start + length], after + endWord.count)
            }
        }
        var search = start
        while search + endWord.count <= bytes.endIndex {
            if bytes[search] == endWord[0], bytes[search..<search + endWord.count].elementsEqual(endWord) {
                var dataEnd = search
                if dataEnd > start, bytes[dataEnd - 1] == 0x0A { dataEnd -= 1 }
                if dataEnd > start, bytes[dataEnd - 1] == 0x0D { dataEnd -= 1 }
                return (bytes[start..<dataEnd], search + endWord.count)
            }
            search += 1
        }
        return nil
    }

    /// Whether `digits whitespace digits whitespace obj` occurs in the data.
    static func containsObjectHeader(_ data: ArraySlice<UInt8>) -> Bool {
        let keyword = Array("obj".utf8)
        var index = data.startIndex
        while index + keyword.count <= data.endIndex {
            defer { index += 1 }
            guard data[index] == keyword[0], data[index..<index + keyword.count].elementsEqual(keyword) else { continue }
            var cursor = index - 1
            var groups = 0
            while groups < 2 {
                var spaces = 0
                while cursor >= data.startIndex, whitespace.contains(data[cursor]) { cursor -= 1; spaces += 1 }
                var digits = 0
                while cursor >= data.startIndex, (0x30...0x39).contains(data[cursor]) { cursor -= 1; digits += 1 }
                guard spaces > 0, digits > 0 else { break }
                groups += 1
            }
            if groups == 2 { return true }
        }
        return false
    }

    private static func value(after key: String, in dictionary: [Token]) -> ArraySlice<Token>? {
        guard let position = dictionary.firstIndex(of: .name(Array(key.utf8))) else { return nil }
        return dictionary[(position + 1)...]
    }

    /// `/Length 1234`, not `/Length 12 0 R` (an indirect length is found by `endstream` instead).
    private static func directLength(_ dictionary: [Token]) -> Int? {
        guard let rest = value(after: "Length", in: dictionary), case .word(let digits)? = rest.first,
            digits.count <= 12, let length = Int(String(decoding: digits, as: UTF8.self))
        else { return nil }
        let following = Array(rest.dropFirst().prefix(2))
        if following.count == 2, case .word(let r) = following[1], r == Array("R".utf8) { return nil }
        return length
    }

    private static func isObjectStream(_ dictionary: [Token]) -> Bool {
        value(after: "Type", in: dictionary)?.first == .name(Array("ObjStm".utf8))
            || (value(after: "N", in: dictionary) != nil && value(after: "First", in: dictionary) != nil)
    }

    private mutating func inspectObjectStream(_ data: ArraySlice<UInt8>, dictionary: [Token]) -> Finding {
        guard let filters = Self.value(after: "Filter", in: dictionary) else {
            return scan(data, insideObjectStream: true)
        }
        // `/FlateDecode`, or the one-element array `[/FlateDecode]`; parameters only as `null`.
        let flate = Token.name(Array("FlateDecode".utf8))
        let single = filters.first == flate || Array(filters.prefix(3)) == [.other, flate, .other]
        let parameters = Self.value(after: "DecodeParms", in: dictionary)?.first
        guard single, parameters == nil || parameters == .word(Array("null".utf8)) else { return .uninspectable }
        let budget = Self.inflateLimit - inflated
        switch Inflate.zlib(data, limit: budget) {
        case .inflated(let objects):
            inflated += objects.count
            return scan(objects[...], insideObjectStream: true)
        case .tooLarge: return .compressedTooLarge
        case .invalid: return .uninspectable
        }
    }

    /// The index just after the literal string that opens at `start` (parentheses nest, and a
    /// backslash escapes the next byte), or `nil` when it never closes.
    private static func endOfLiteralString(_ bytes: ArraySlice<UInt8>, from start: Int) -> Int? {
        var depth = 0
        var index = start
        while index < bytes.endIndex {
            switch bytes[index] {
            case UInt8(ascii: "\\"): index += 1
            case UInt8(ascii: "("): depth += 1
            case UInt8(ascii: ")"):
                depth -= 1
                if depth == 0 { return index + 1 }
            default: break
            }
            index += 1
        }
        return nil
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}

/// zlib's inflate (a PDF's FlateDecode), bounded in what it may produce.
enum Inflate {
    enum Result {
        case inflated([UInt8])
        case tooLarge
        case invalid
    }

    /// Inflates twice: first only to measure (into one small chunk, over and over), then into a
    /// buffer of exactly that size. A bomb is refused having cost 64 KiB, and what is accepted never
    /// takes more memory than its own size (a growing array would take up to twice as much).
    static func zlib(_ input: ArraySlice<UInt8>, limit: Int) -> Result {
        guard !input.isEmpty else { return .invalid }
        guard limit > 0 else { return .tooLarge }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let measured = chunk.withUnsafeMutableBufferPointer { target in
            run(input, limit: limit) { stream in
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                return target.count
            }
        }
        guard case .success(let size) = measured else { return measured.failure! }
        var failure: Result?
        // One byte of room beyond the size, so that inflate reaches the stream's end in one call.
        let output = [UInt8](unsafeUninitializedCapacity: size + 1) { buffer, initialized in
            var offered = false
            let again = run(input, limit: size) { stream in
                // The whole buffer once; a second call means more output than the first pass measured.
                guard !offered else { return 0 }
                offered = true
                stream.next_out = buffer.baseAddress
                stream.avail_out = UInt32(buffer.count)
                return buffer.count
            }
            if case .success(let produced) = again, produced == size { initialized = size } else { failure = .invalid; initialized = 0 }
        }
        return failure ?? .inflated(output)
    }

    private enum Pass {
        case success(Int)
        case failure(Result)
        var failure: Result? { if case .failure(let result) = self { result } else { nil } }
    }

    /// Runs inflate over `input`; `offer` points the stream at room for output and says how much.
    /// Returns how many bytes were produced in all, or why not.
    private static func run(_ input: ArraySlice<UInt8>, limit: Int, offer: (inout z_stream) -> Int) -> Pass {
        var stream = z_stream()
        guard inflateInit_(&stream, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return .failure(.invalid) }
        defer { inflateEnd(&stream) }
        return input.withUnsafeBufferPointer { source -> Pass in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = UInt32(source.count)
            var total = 0
            while true {
                let room = offer(&stream)
                if room == 0 { return .failure(.tooLarge) }
                let status = inflate(&stream, Z_NO_FLUSH)
                let produced = room - Int(stream.avail_out)
                total += produced
                if total > limit { return .failure(.tooLarge) }
                if status == Z_STREAM_END { return .success(total) }
                if status != Z_OK || (produced == 0 && stream.avail_in == 0) { return .failure(.invalid) }
            }
        }
    }
}
