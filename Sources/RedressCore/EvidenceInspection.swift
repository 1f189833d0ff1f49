/// A look inside an evidence file whose signature was recognised: that its structure holds together
/// from the first byte to the last, that an image is not so large that opening it would exhaust a
/// reviewer's machine (a decompression bomb, a 20,000 × 20,000 header), that nothing is hidden after
/// the format's end (a PNG's IEND, a JPEG's EOI, a PDF's last %%EOF — a polyglot carries a ZIP or a
/// script there), and that a PDF carries no active content (JavaScript, launch actions, embedded files).
///
/// Redress never decodes the pixels; it only walks the container, so checking costs one pass over
/// the bytes. A PDF is read as PDF syntax (`PDFScan`), its compressed object streams inflated.
public enum EvidenceInspection {
    /// At most this many pixels, and this many on a side: a 50-megapixel phone photo passes.
    public static let maximumPixels = 50_000_000
    public static let maximumSide = 16_384

    /// PDF names that make a document do something when opened, rather than show something.
    static let activePDFNames: Set<String> = [
        "JavaScript", "JS", "Launch", "EmbeddedFile", "EmbeddedFiles", "RichMedia", "XFA", "SubmitForm", "ImportData",
        // Actions that open another document (a remote one leaks the reader's Windows credentials) or play media.
        "GoToR", "GoToE", "Rendition", "Movie", "Sound",
    ]

    /// Why the file is refused (`malformed_file`, `image_too_large`, `data_after_end`,
    /// `active_content`, `uninspectable_content`, `compressed_too_large`, `recording_too_long`), or `nil` when it may be kept.
    public static func problem(in bytes: [UInt8], as type: EvidenceFileType) -> String? {
        switch type {
        case .png: return png(bytes)
        case .jpeg: return jpeg(bytes)
        case .webp: return webp(bytes)
        case .pdf: return pdf(bytes)
        case .mp4: return mp4(bytes)
        case .text: return nil
        case .mp3, .aac, .m4a, .amr, .amrWideband:
            do {
                _ = try AudioInspection.duration(of: bytes, as: type)
                return nil
            } catch {
                return error.reason
            }
        }
    }

    static func bigEndian(_ bytes: [UInt8], _ offset: Int, _ count: Int) -> Int {
        bytes[offset..<offset + count].reduce(0) { $0 << 8 | Int($1) }
    }

    static func littleEndian(_ bytes: [UInt8], _ offset: Int, _ count: Int) -> Int {
        bytes[offset..<offset + count].reversed().reduce(0) { $0 << 8 | Int($1) }
    }

    /// `malformed_file` for an image of no pixels, `image_too_large` beyond the limits.
    static func dimensions(width: Int, height: Int) -> String? {
        if width <= 0 || height <= 0 { return "malformed_file" }
        return width > maximumSide || height > maximumSide || width * height > maximumPixels ? "image_too_large" : nil
    }

    /// Signature, IHDR first, chunks whose lengths stay inside the file, and nothing after IEND.
    static func png(_ bytes: [UInt8]) -> String? {
        var offset = 8
        var sawHeader = false
        while offset + 12 <= bytes.count {
            let length = bigEndian(bytes, offset, 4)
            let type = String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self)
            guard length <= bytes.count - offset - 12 else { return "malformed_file" }
            if !sawHeader {
                guard type == "IHDR", length == 13 else { return "malformed_file" }
                sawHeader = true
                if let problem = dimensions(width: bigEndian(bytes, offset + 8, 4), height: bigEndian(bytes, offset + 12, 4)) { return problem }
            }
            offset += 12 + length
            if type == "IEND" { return offset == bytes.count ? nil : "data_after_end" }
        }
        return "malformed_file"
    }

    /// Segments up to the first scan, the frame's size, the scans' entropy-coded data (skipping
    /// stuffed bytes and restart markers) and later segments, up to EOI, which must be the end.
    static func jpeg(_ bytes: [UInt8]) -> String? {
        var offset = 2
        var sawFrame = false
        while offset + 4 <= bytes.count {
            guard bytes[offset] == 0xFF else { return "malformed_file" }
            let marker = bytes[offset + 1]
            if marker == 0xFF { offset += 1; continue }  // fill byte
            if marker == 0xD9 { return offset + 2 == bytes.count ? nil : "data_after_end" }
            if (0xD0...0xD7).contains(marker) || marker == 0x01 { offset += 2; continue }
            let length = bigEndian(bytes, offset + 2, 2)
            guard length >= 2, offset + 2 + length <= bytes.count else { return "malformed_file" }
            // SOF0 … SOF15, except DHT (C4), JPG (C8) and DAC (CC).
            if (0xC0...0xCF).contains(marker), ![0xC4, 0xC8, 0xCC].contains(marker) {
                guard length >= 8 else { return "malformed_file" }
                sawFrame = true
                if let problem = dimensions(width: bigEndian(bytes, offset + 7, 2), height: bigEndian(bytes, offset + 5, 2)) { return problem }
            }
            offset += 2 + length
            if marker == 0xDA {
                guard sawFrame else { return "malformed_file" }
                // Entropy-coded data: runs until a marker other than a stuffed zero or a restart.
                while offset + 1 < bytes.count {
                    if bytes[offset] == 0xFF, bytes[offset + 1] != 0x00, !(0xD0...0xD7).contains(bytes[offset + 1]) { break }
                    offset += 1
                }
            }
        }
        if offset + 2 == bytes.count, bytes[offset] == 0xFF, bytes[offset + 1] == 0xD9 { return nil }
        return "malformed_file"
    }

    /// RIFF's size is the file's, and the canvas of a VP8, VP8L or VP8X image is within the limits.
    static func webp(_ bytes: [UInt8]) -> String? {
        guard bytes.count >= 30 else { return "malformed_file" }
        let riffSize = littleEndian(bytes, 4, 4)
        if riffSize + 8 < bytes.count { return "data_after_end" }
        guard riffSize + 8 == bytes.count else { return "malformed_file" }
        let chunk = String(decoding: bytes[12..<16], as: UTF8.self)
        let width: Int, height: Int
        switch chunk {
        case "VP8X":
            width = littleEndian(bytes, 24, 3) + 1
            height = littleEndian(bytes, 27, 3) + 1
        case "VP8L":
            guard bytes[20] == 0x2F else { return "malformed_file" }
            let bits = littleEndian(bytes, 21, 4)
            width = (bits & 0x3FFF) + 1
            height = (bits >> 14 & 0x3FFF) + 1
        case "VP8 ":
            guard bytes[23] == 0x9D, bytes[24] == 0x01, bytes[25] == 0x2A else { return "malformed_file" }
            width = littleEndian(bytes, 26, 2) & 0x3FFF
            height = littleEndian(bytes, 28, 2) & 0x3FFF
        default:
            return "malformed_file"
        }
        return dimensions(width: width, height: height)
    }

    /// ISO base media boxes from `ftyp` that tile the file exactly.
    static func mp4(_ bytes: [UInt8]) -> String? {
        var offset = 0
        while offset < bytes.count {
            guard offset + 8 <= bytes.count else { return "malformed_file" }
            var size = bigEndian(bytes, offset, 4)
            if offset == 0, String(decoding: bytes[4..<8], as: UTF8.self) != "ftyp" { return "malformed_file" }
            if size == 1 {
                guard offset + 16 <= bytes.count else { return "malformed_file" }
                size = bigEndian(bytes, offset + 8, 8)
            } else if size == 0 {
                size = bytes.count - offset  // the last box runs to the end
            }
            guard size >= 8, size <= bytes.count - offset else { return "malformed_file" }
            offset += size
        }
        return nil
    }

    /// The last `%%EOF` ends the file (whitespace aside), and no name makes the document act.
    static func pdf(_ bytes: [UInt8]) -> String? {
        var end = bytes.count
        while end > 0, [0x09, 0x0A, 0x0D, 0x20, 0x00].contains(bytes[end - 1]) { end -= 1 }
        let marker = Array("%%EOF".utf8)
        if end < marker.count || Array(bytes[end - marker.count..<end]) != marker {
            return containsEOF(bytes) ? "data_after_end" : "malformed_file"
        }
        switch PDFScan.scan(bytes) {
        case .clean: return nil
        case .activeContent: return "active_content"
        case .uninspectable: return "uninspectable_content"
        case .compressedTooLarge: return "compressed_too_large"
        case .objectInsideStream, .unterminated: return "malformed_file"
        }
    }

    static func containsEOF(_ bytes: [UInt8]) -> Bool {
        let marker = Array("%%EOF".utf8)
        guard bytes.count >= marker.count else { return false }
        return (0...(bytes.count - marker.count)).contains { bytes[$0..<$0 + marker.count].elementsEqual(marker) }
    }
}
