import CZlib
/// The smallest well-formed file of each evidence type: what an honest upload looks like, and what
/// the hostile corpus (HostileUploadTests) is cut from.
public enum EvidenceSamples {
    /// A 1 × 1 grey PNG: signature, IHDR, IDAT, IEND (with their CRCs).
    public static let png: [UInt8] = [
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01,
        0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3A, 0x7E, 0x9B, 0x55, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41,
        0x54, 0x78, 0x9C, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x48, 0xAF, 0xA4, 0x71, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ]

    /// A PNG header claiming `width` × `height`, with a token IDAT and an IEND.
    public static func png(width: UInt32, height: UInt32) -> [UInt8] {
        func be(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
        var bytes = Array(png[0..<16]) + be(width) + be(height) + Array(png[24..<png.count])
        bytes.replaceSubrange(29..<33, with: [0, 0, 0, 0])  // the CRC no longer matches; Redress does not check it
        return bytes
    }

    /// A baseline JPEG's structure: SOI, APP0, SOF0 (`width` × `height`), SOS, entropy-coded bytes with a
    /// stuffed 0xFF, EOI.
    public static func jpeg(width: UInt16 = 1, height: UInt16 = 1) -> [UInt8] {
        [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8) + [0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]
            + [0xFF, 0xC0, 0x00, 0x0B, 0x08, UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF), 0x01, 0x01, 0x11, 0x00]
            + [0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]
            + [0x12, 0x34, 0xFF, 0x00, 0x56, 0xFF, 0xD0, 0x78]
            + [0xFF, 0xD9]
    }

    public static let jpeg: [UInt8] = jpeg()

    /// A lossless WebP (VP8L) of 1 × 1.
    public static let webp: [UInt8] =
        Array("RIFF".utf8) + [22, 0, 0, 0] + Array("WEBP".utf8) + Array("VP8L".utf8) + [10, 0, 0, 0] + [0x2F, 0, 0, 0, 0, 0, 0, 0, 0, 0]

    /// A WebP (VP8X) whose canvas is `width` × `height`.
    public static func webp(width: Int, height: Int) -> [UInt8] {
        func le24(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF)] }
        let payload: [UInt8] = [0, 0, 0, 0] + le24(width - 1) + le24(height - 1)
        return Array("RIFF".utf8) + [UInt8(4 + 8 + payload.count), 0, 0, 0] + Array("WEBP".utf8) + Array("VP8X".utf8)
            + [UInt8(payload.count), 0, 0, 0] + payload
    }

    /// A one-page-tree PDF ending in %%EOF; `extra` goes into the catalogue dictionary, `objects`
    /// (raw bytes: objects, streams) after the third object.
    public static func pdf(catalog extra: String = "", objects: [UInt8] = []) -> [UInt8] {
        let text = pdfText(catalog: extra)
        let split = text.range(of: "trailer")!.lowerBound
        return Array(text[..<split].utf8) + objects + Array(text[split...].utf8)
    }

    /// A PDF object whose stream's data is `data`, with `dictionary` beside its `/Length`.
    public static func pdfStream(number: Int, dictionary: String, data: [UInt8]) -> [UInt8] {
        Array("\(number) 0 obj\n<< \(dictionary) /Length \(data.count) >>\nstream\n".utf8) + data + Array("\nendstream\nendobj\n".utf8)
    }

    /// zlib's deflate (a PDF's FlateDecode).
    public static func deflate(_ bytes: [UInt8]) -> [UInt8] {
        var size = compressBound(uLong(bytes.count))
        var output = [UInt8](repeating: 0, count: Int(size))
        let status = output.withUnsafeMutableBufferPointer { target in
            bytes.withUnsafeBufferPointer { source in compress2(target.baseAddress, &size, source.baseAddress, uLong(source.count), 9) }
        }
        precondition(status == Z_OK)
        return Array(output.prefix(Int(size)))
    }

    static func pdfText(catalog extra: String) -> String {
        """
            %PDF-1.4
            1 0 obj
            << /Type /Catalog /Pages 2 0 R \(extra)>>
            endobj
            2 0 obj
            << /Type /Pages /Kids [] /Count 0 >>
            endobj
            3 0 obj
            << /Length 12 >>
            stream
            BT /JS ET 12
            endstream
            endobj
            trailer
            << /Root 1 0 R >>
            %%EOF

            """
    }

    public static let pdf: [UInt8] = pdf()

    /// An MP4's boxes: ftyp, then an empty `free` box.
    public static let mp4: [UInt8] =
        [0, 0, 0, 24] + Array("ftypisom".utf8) + [0, 0, 2, 0] + Array("isommp41".utf8) + [0, 0, 0, 8] + Array("free".utf8)

    // Call recordings: the frame structure the inspection walks (the speech bytes are silence).

    /// AMR (narrowband) storage: the header, then `frames` 12.2 kbit/s frames of 20 ms.
    public static func amr(frames: Int) -> [UInt8] {
        Array("#!AMR\n".utf8) + Array(repeating: [0x3C] + Array(repeating: 0, count: 31), count: frames).flatMap { $0 }
    }

    /// AMR-WB storage: `frames` 23.85 kbit/s frames of 20 ms.
    public static func amrWideband(frames: Int) -> [UInt8] {
        Array("#!AMR-WB\n".utf8) + Array(repeating: [0x44] + Array(repeating: 0, count: 60), count: frames).flatMap { $0 }
    }

    /// An ID3v2.3 tag with no frames in its 20 bytes of padding, then `frames` MPEG-1 layer III frames
    /// at 128 kbit/s and 44.1 kHz (417 bytes, 26 ms each), then an ID3v1 tag.
    public static func mp3(frames: Int) -> [UInt8] {
        let tag = Array("ID3".utf8) + [3, 0, 0, 0, 0, 0, 20] + Array(repeating: 0, count: 20)
        let frame: [UInt8] = [0xFF, 0xFB, 0x90, 0x00] + Array(repeating: 0, count: 413)
        return tag + Array(repeating: frame, count: frames).flatMap { $0 } + Array("TAG".utf8) + Array(repeating: 0x20, count: 125)
    }

    /// ADTS frames of AAC-LC at 44.1 kHz, stereo, 64 bytes each (1,024 samples).
    public static func aac(frames: Int) -> [UInt8] {
        let length = 64
        let frame: [UInt8] = [0xFF, 0xF1, 0x50, 0x80, UInt8(length >> 3), UInt8((length & 7) << 5 | 0x1F), 0xFC]
            + Array(repeating: 0, count: length - 7)
        return Array(repeating: frame, count: frames).flatMap { $0 }
    }

    /// An M4A: ftyp with the `M4A ` brand, and a movie header of `seconds` at a time scale of 1,000.
    public static func m4a(seconds: Int) -> [UInt8] {
        func box(_ type: String, _ body: [UInt8]) -> [UInt8] { bigEndian(8 + body.count, 4) + Array(type.utf8) + body }
        func bigEndian(_ value: Int, _ count: Int) -> [UInt8] { (0..<count).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) } }
        let header = [0, 0, 0, 0] + bigEndian(0, 4) + bigEndian(0, 4) + bigEndian(1000, 4) + bigEndian(seconds * 1000, 4)
            + bigEndian(0x0001_0000, 4) + [0x01, 0x00] + Array(repeating: 0, count: 70) + bigEndian(2, 4)
        return box("ftyp", Array("M4A ".utf8) + [0, 0, 0, 0] + Array("M4A isom".utf8)) + box("moov", box("mvhd", header))
    }
}
