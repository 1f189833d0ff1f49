import RedressCore

/// Reads the small JSON documents a complaint keeps (its demands, the seller's answer, a proposal) as
/// PostgreSQL gives them back, without Foundation's decoder: that decoder's setup and its conversion
/// of every key from snake case were a tenth of the service's time for a page of search results.
/// Anything this reader does not take exactly (a number that is not a plain integer, a missing or
/// unexpected value) is handed to Foundation's decoder, whose answer, or error, stands.
enum StoredJSON {
    indirect enum Value: Equatable {
        case null
        case bool(Bool)
        case integer(Int)
        case string(String)
        case array([Value])
        case object([String: Value])
    }

    static func demands(_ value: Value) -> [Demand]? {
        guard case .array(let items) = value else { return nil }
        var demands: [Demand] = []
        demands.reserveCapacity(items.count)
        for item in items {
            guard case .object(let fields) = item, case .string(let raw)? = fields["kind"], let kind = Demand.Kind(rawValue: raw),
                let amount = optionalInteger(fields["amount"]), let text = optionalString(fields["text"])
            else { return nil }
            demands.append(Demand(kind: kind, amount: amount, text: text))
        }
        return demands
    }

    static func proposal(_ value: Value) -> Proposal? {
        guard case .object(let fields) = value, case .bool(let reissue)? = fields["reissue"], case .bool(let apology)? = fields["apology"],
            let refund = optionalInteger(fields["refund"]), let compensation = optionalInteger(fields["compensation"]),
            let text = optionalString(fields["text"])
        else { return nil }
        return Proposal(refund: refund, reissue: reissue, apology: apology, compensation: compensation, text: text)
    }

    static func answer(_ value: Value) -> Answer? {
        guard case .object(let fields) = value, case .string(let raw)? = fields["decision"], let decision = Answer.Decision(rawValue: raw),
            let reason = optionalString(fields["reason"])
        else { return nil }
        var proposal: Proposal?
        switch fields["proposal"] {
        case nil, .null?: proposal = nil
        case let value?:
            guard let read = self.proposal(value) else { return nil }
            proposal = read
        }
        var fault: Fault?
        switch fields["fault"] {
        case nil, .null?: fault = nil
        case .string(let raw)?:
            guard let read = Fault(rawValue: raw) else { return nil }
            fault = read
        default: return nil
        }
        return Answer(decision: decision, proposal: proposal, reason: reason, fault: fault)
    }

    /// An optional field: `.some(nil)` when absent or null, nil when it holds a value of another type.
    private static func optionalInteger(_ value: Value?) -> Int?? {
        switch value {
        case nil, .null?: return .some(nil)
        case .integer(let number)?: return .some(number)
        default: return nil
        }
    }

    private static func optionalString(_ value: Value?) -> String?? {
        switch value {
        case nil, .null?: return .some(nil)
        case .string(let text)?: return .some(text)
        default: return nil
        }
    }

    /// The whole text as one value, or nil when it is not JSON this reader takes.
    static func parse(_ text: String) -> Value? {
        var text = text
        return text.withUTF8 { bytes in
            var reader = Reader(bytes: bytes)
            guard let value = reader.value(depth: 0) else { return nil }
            reader.skipSpace()
            return reader.position == bytes.count ? value : nil
        }
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        mutating func skipSpace() {
            while position < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[position]) { position += 1 }
        }

        mutating func take(_ literal: StaticString) -> Bool {
            let count = literal.utf8CodeUnitCount
            guard bytes.count - position >= count else { return false }
            for index in 0..<count where bytes[position + index] != literal.utf8Start[index] { return false }
            position += count
            return true
        }

        /// Nesting is bounded: these documents are two levels deep.
        mutating func value(depth: Int) -> Value? {
            guard depth < 8 else { return nil }
            skipSpace()
            guard position < bytes.count else { return nil }
            switch bytes[position] {
            case UInt8(ascii: "n"): return take("null") ? .null : nil
            case UInt8(ascii: "t"): return take("true") ? .bool(true) : nil
            case UInt8(ascii: "f"): return take("false") ? .bool(false) : nil
            case UInt8(ascii: "\""): return string().map(Value.string)
            case UInt8(ascii: "["):
                position += 1
                var items: [Value] = []
                skipSpace()
                if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                    position += 1
                    return .array(items)
                }
                while true {
                    guard let item = value(depth: depth + 1) else { return nil }
                    items.append(item)
                    skipSpace()
                    guard position < bytes.count else { return nil }
                    if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                    guard bytes[position] == UInt8(ascii: "]") else { return nil }
                    position += 1
                    return .array(items)
                }
            case UInt8(ascii: "{"):
                position += 1
                var fields: [String: Value] = [:]
                skipSpace()
                if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
                    position += 1
                    return .object(fields)
                }
                while true {
                    skipSpace()
                    guard position < bytes.count, bytes[position] == UInt8(ascii: "\""), let key = string() else { return nil }
                    skipSpace()
                    guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { return nil }
                    position += 1
                    // A key twice: not taken (Foundation decides which one counts).
                    guard let item = value(depth: depth + 1), fields.updateValue(item, forKey: key) == nil else { return nil }
                    skipSpace()
                    guard position < bytes.count else { return nil }
                    if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                    guard bytes[position] == UInt8(ascii: "}") else { return nil }
                    position += 1
                    return .object(fields)
                }
            default: return integer().map(Value.integer)
            }
        }

        /// A plain integer (an optional minus, digits, no leading zero) that fits an Int; else nil.
        mutating func integer() -> Int? {
            var negative = false
            if position < bytes.count, bytes[position] == UInt8(ascii: "-") {
                negative = true
                position += 1
            }
            let start = position
            // Accumulated with its sign, so that the smallest Int is read too.
            var number = 0
            while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 {
                let digit = Int(bytes[position] - 0x30)
                let (times, overflowed) = number.multipliedReportingOverflow(by: 10)
                let (sum, overflowedAgain) = times.addingReportingOverflow(negative ? -digit : digit)
                guard !overflowed, !overflowedAgain else { return nil }
                number = sum
                position += 1
            }
            let digits = position - start
            guard digits > 0, digits == 1 || bytes[start] != 0x30 else { return nil }
            // A fraction or an exponent: Foundation's to judge.
            if position < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[position]) { return nil }
            return number
        }

        /// A string at an opening quote, its escapes resolved; nil for anything malformed.
        mutating func string() -> String? {
            position += 1
            var output: [UInt8] = []
            while position < bytes.count {
                let byte = bytes[position]
                position += 1
                switch byte {
                case UInt8(ascii: "\""): return String(validating: output, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard position < bytes.count else { return nil }
                    let escape = bytes[position]
                    position += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): output.append(escape)
                    case UInt8(ascii: "b"): output.append(0x08)
                    case UInt8(ascii: "f"): output.append(0x0C)
                    case UInt8(ascii: "n"): output.append(0x0A)
                    case UInt8(ascii: "r"): output.append(0x0D)
                    case UInt8(ascii: "t"): output.append(0x09)
                    case UInt8(ascii: "u"):
                        guard var scalar = hex4() else { return nil }
                        if (0xD800..<0xDC00).contains(scalar) {
                            // A high surrogate must be followed by its low half.
                            guard take("\\u"), let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let unicode = Unicode.Scalar(scalar) else { return nil }
                        output.append(contentsOf: Array(String(Character(unicode)).utf8))
                    default: return nil
                    }
                case 0x00..<0x20: return nil
                default: output.append(byte)
                }
            }
            return nil
        }

        mutating func hex4() -> UInt32? {
            guard bytes.count - position >= 4 else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[position]
                let digit: UInt8
                switch byte {
                case 0x30...0x39: digit = byte - 0x30
                case 0x41...0x46: digit = byte - 0x41 + 10
                case 0x61...0x66: digit = byte - 0x61 + 10
                default: return nil
                }
                value = value << 4 | UInt32(digit)
                position += 1
            }
            return value
        }
    }
}
