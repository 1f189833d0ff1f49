/// Call recordings, walked frame by frame: MP3 (MPEG audio layer III, with an ID3v2 tag before and an
/// ID3v1 tag after), AAC in ADTS frames, AAC in an MPEG-4 container (M4A) and AMR (narrow- and
/// wideband, the format of many phones' call recorders). A file passes when its frames tile it from
/// the first byte to the last (nothing hidden after the end), and when its duration is within
/// `maximumSeconds`. Nothing is decoded.
public enum AudioInspection {
    /// The longest recording kept: a customer-service call of three hours is already exceptional.
    public static let maximumSeconds = 3 * 3600
    /// The largest ID3v2 tag: its frames are not walked, so a tag is where a polyglot would hide a file.
    /// A call recorder writes a few text frames; 64 KiB leaves room for a small cover image.
    public static let maximumTagBytes = 64 * 1024
    /// The highest average bit rate: far above any phone call (AMR is 12.2 kbit/s, MP3 calls 32 to
    /// 128). An M4A's length is what its movie header says, so its size is held to it instead.
    public static let maximumBytesPerSecond = 64 * 1024

    /// The recording's length in seconds (rounded up), or why it is refused: `malformed_file`,
    /// `data_after_end`, `recording_too_long`.
    public static func duration(of bytes: [UInt8], as type: EvidenceFileType) throws(Refusal) -> Int {
        let seconds: Double
        switch type {
        case .mp3: seconds = try mp3(bytes)
        case .aac: seconds = try adts(bytes)
        case .m4a: seconds = try m4a(bytes)
        case .amr: seconds = try amr(bytes, wideband: false)
        case .amrWideband: seconds = try amr(bytes, wideband: true)
        default: throw malformed
        }
        guard seconds > 0 else { throw malformed }
        guard seconds <= Double(maximumSeconds) else { throw Refusal("recording_too_long") }
        guard Double(bytes.count) <= (seconds + 1) * Double(maximumBytesPerSecond) else { throw malformed }
        return Int(seconds.rounded(.up))
    }

    /// Why a recording is refused, as the API's validation reason.
    public struct Refusal: Error, Equatable, Sendable {
        public let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    private static let malformed = Refusal("malformed_file")
    private static let trailing = Refusal("data_after_end")

    /// Bytes `offset ..< offset + count` as a big-endian number, or malformed when they run past the end.
    private static func bigEndian(_ bytes: [UInt8], _ offset: Int, _ count: Int) throws(Refusal) -> Int {
        guard offset >= 0, count <= bytes.count - offset else { throw malformed }
        return bytes[offset..<offset + count].reduce(0) { $0 << 8 | Int($1) }
    }

    private static func starts(_ bytes: [UInt8], with text: String, at offset: Int = 0) -> Bool {
        let signature = Array(text.utf8)
        return bytes.count - offset >= signature.count && bytes[offset..<offset + signature.count].elementsEqual(signature)
    }

    // MARK: MP3

    static let mp3Bitrates: [[Int]] = [
        [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],  // MPEG-1 layer III
        [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],  // MPEG-2 and 2.5 layer III
    ]
    static let mp3SampleRates: [Int: [Int]] = [3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000]]

    /// The size of an ID3v2 tag at `offset` (its header and footer included), or 0 when there is none.
    static func id3v2Size(_ bytes: [UInt8], at offset: Int) throws(Refusal) -> Int {
        guard starts(bytes, with: "ID3", at: offset) else { return 0 }
        guard bytes.count - offset >= 10 else { throw malformed }
        let size = bytes[offset + 6..<offset + 10]
        // A synchsafe integer: 7 bits a byte.
        guard size.allSatisfy({ $0 < 0x80 }) else { throw malformed }
        let length = size.reduce(0) { $0 << 7 | Int($1) }
        let total = 10 + length + (bytes[offset + 5] & 0x10 != 0 ? 10 : 0)
        guard total <= bytes.count - offset, total <= maximumTagBytes else { throw malformed }
        return total
    }

    /// Layer III frames after an optional ID3v2 tag, up to an optional 128-byte ID3v1 tag at the end.
    static func mp3(_ bytes: [UInt8]) throws(Refusal) -> Double {
        var offset = try id3v2Size(bytes, at: 0)
        var seconds = 0.0
        var frames = 0
        while offset < bytes.count {
            if bytes.count - offset == 128, starts(bytes, with: "TAG", at: offset) { break }
            guard bytes.count - offset >= 4, bytes[offset] == 0xFF, bytes[offset + 1] & 0xE0 == 0xE0 else {
                throw frames > 0 ? trailing : malformed
            }
            let version = Int(bytes[offset + 1] >> 3 & 3), layer = bytes[offset + 1] >> 1 & 3
            let bitrateIndex = Int(bytes[offset + 2] >> 4), rateIndex = Int(bytes[offset + 2] >> 2 & 3)
            let padding = Int(bytes[offset + 2] >> 1 & 1)
            // Layer III only; no reserved version, free or bad bitrate, or reserved sample rate.
            guard layer == 1, version != 1, (1...14).contains(bitrateIndex), rateIndex < 3, let rates = mp3SampleRates[version] else {
                throw frames > 0 ? trailing : malformed
            }
            let bitrate = mp3Bitrates[version == 3 ? 0 : 1][bitrateIndex] * 1000, rate = rates[rateIndex]
            let samples = version == 3 ? 1152 : 576
            let length = samples / 8 * bitrate / rate + padding
            guard length <= bytes.count - offset else { throw malformed }
            offset += length
            seconds += Double(samples) / Double(rate)
            frames += 1
        }
        guard frames > 0 else { throw malformed }
        return seconds
    }

    // MARK: AAC

    static let aacSampleRates = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350]

    /// ADTS frames, each with its own header, after an optional ID3v2 tag.
    static func adts(_ bytes: [UInt8]) throws(Refusal) -> Double {
        var offset = try id3v2Size(bytes, at: 0)
        var seconds = 0.0
        var frames = 0
        while offset < bytes.count {
            guard bytes.count - offset >= 7, bytes[offset] == 0xFF, bytes[offset + 1] & 0xF6 == 0xF0 else {
                throw frames > 0 ? trailing : malformed
            }
            let rateIndex = Int(bytes[offset + 2] >> 2 & 0xF)
            guard rateIndex < aacSampleRates.count else { throw malformed }
            let headerLength = bytes[offset + 1] & 1 == 1 ? 7 : 9
            let length = Int(bytes[offset + 3] & 3) << 11 | Int(bytes[offset + 4]) << 3 | Int(bytes[offset + 5] >> 5)
            guard length > headerLength, length <= bytes.count - offset else { throw malformed }
            let blocks = Int(bytes[offset + 6] & 3) + 1
            offset += length
            seconds += Double(1024 * blocks) / Double(aacSampleRates[rateIndex])
            frames += 1
        }
        guard frames > 0 else { throw malformed }
        return seconds
    }

    /// An MPEG-4 container whose boxes tile the file (`EvidenceInspection.mp4`), its length from
    /// the movie header (`moov`/`mvhd`).
    static func m4a(_ bytes: [UInt8]) throws(Refusal) -> Double {
        if let problem = EvidenceInspection.mp4(bytes) { throw Refusal(problem) }
        var offset = 0
        while offset + 8 <= bytes.count {
            var size = try bigEndian(bytes, offset, 4), header = 8
            if size == 1 { size = try bigEndian(bytes, offset + 8, 8); header = 16 } else if size == 0 { size = bytes.count - offset }
            if starts(bytes, with: "moov", at: offset + 4) {
                return try movieHeaderSeconds(bytes, from: offset + header, to: offset + size)
            }
            offset += size
        }
        throw malformed
    }

    /// The duration in the `mvhd` box among the children of `moov` in `start ..< end`.
    static func movieHeaderSeconds(_ bytes: [UInt8], from start: Int, to end: Int) throws(Refusal) -> Double {
        var offset = start
        while offset + 8 <= end {
            let size = try bigEndian(bytes, offset, 4)
            guard size >= 8, size <= end - offset else { throw malformed }
            if starts(bytes, with: "mvhd", at: offset + 4) {
                let body = offset + 8
                let version = try bigEndian(bytes, body, 1)
                let (timescale, duration) = version == 1
                    ? (try bigEndian(bytes, body + 20, 4), try bigEndian(bytes, body + 24, 8))
                    : (try bigEndian(bytes, body + 12, 4), try bigEndian(bytes, body + 16, 4))
                guard body + (version == 1 ? 32 : 20) <= offset + size, timescale > 0, duration >= 0 else { throw malformed }
                return Double(duration) / Double(timescale)
            }
            offset += size
        }
        throw malformed
    }

    // MARK: AMR

    /// Speech bytes after the table-of-contents byte, by frame type; `nil` for the types that do not exist.
    static let amrFrameBytes: [Int?] = [12, 13, 15, 17, 19, 20, 26, 31, 5, nil, nil, nil, nil, nil, nil, 0]
    static let amrWidebandFrameBytes: [Int?] = [17, 23, 32, 36, 40, 46, 50, 58, 60, 5, nil, nil, nil, nil, 0, 0]

    /// The single-channel storage format: `#!AMR\n` (or `#!AMR-WB\n`), then 20 ms frames, each a
    /// table-of-contents byte (padding bits zero) and the speech bytes its frame type says.
    static func amr(_ bytes: [UInt8], wideband: Bool) throws(Refusal) -> Double {
        let magic = wideband ? "#!AMR-WB\n" : "#!AMR\n"
        guard starts(bytes, with: magic) else { throw malformed }
        let sizes = wideband ? amrWidebandFrameBytes : amrFrameBytes
        var offset = magic.utf8.count
        var frames = 0
        while offset < bytes.count {
            let header = bytes[offset]
            guard header & 0x83 == 0, let size = sizes[Int(header >> 3 & 0xF)] else { throw frames > 0 ? trailing : malformed }
            guard size < bytes.count - offset else { throw malformed }
            offset += 1 + size
            frames += 1
        }
        return Double(frames) / 50
    }
}
