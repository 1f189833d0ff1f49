import Foundation

/// The file types accepted as evidence, recognised from the bytes' own signature.
public enum EvidenceFileType: String, Sendable, CaseIterable {
    case png = "image/png"
    case jpeg = "image/jpeg"
    case webp = "image/webp"
    case pdf = "application/pdf"
    case text = "text/plain"
    case mp4 = "video/mp4"
    /// Call recordings (`AudioInspection`).
    case mp3 = "audio/mpeg"
    case aac = "audio/aac"
    case m4a = "audio/mp4"
    case amr = "audio/amr"
    case amrWideband = "audio/amr-wb"

    /// Whether it is a recording, inspected by `AudioInspection` and kept with its duration.
    public var isAudio: Bool { [.mp3, .aac, .m4a, .amr, .amrWideband].contains(self) }

    /// What the bytes are, whatever the upload said; `nil` for anything not accepted.
    public static func detect(_ bytes: some Collection<UInt8>) -> EvidenceFileType? {
        let head = Array(bytes.prefix(16))
        func starts(_ signature: [UInt8], at offset: Int = 0) -> Bool {
            head.count >= offset + signature.count && Array(head[offset..<offset + signature.count]) == signature
        }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8) { return .webp }
        if starts(Array("%PDF-".utf8)) { return .pdf }
        if starts(Array("ftyp".utf8), at: 4) { return isAudioContainer(bytes) ? .m4a : .mp4 }
        if starts(Array("#!AMR\n".utf8)) { return .amr }
        if starts(Array("#!AMR-WB\n".utf8)) { return .amrWideband }
        if let audio = mpegAudio(bytes) { return audio }
        if isPlainText(bytes) { return .text }
        return nil
    }

    /// An MPEG-4 file whose major or compatible brands say audio only (`M4A `, `M4B `): what phones
    /// and recorders write as .m4a.
    static func isAudioContainer(_ bytes: some Collection<UInt8>) -> Bool {
        let head = Array(bytes.prefix(64))
        guard head.count >= 16 else { return false }
        let size = min(head.count, head[0..<4].reduce(0) { $0 << 8 | Int($1) })
        let audioBrands: Set<String> = ["M4A ", "M4B "]
        // The major brand at 8, then the minor version, then compatible brands from 16.
        var brands = [String(decoding: head[8..<12], as: UTF8.self)]
        var offset = 16
        while offset + 4 <= size {
            brands.append(String(decoding: head[offset..<offset + 4], as: UTF8.self))
            offset += 4
        }
        return brands.contains(where: audioBrands.contains)
    }

    /// MP3 or ADTS AAC, after an optional ID3v2 tag: the first frame header's sync word and layer.
    static func mpegAudio(_ bytes: some Collection<UInt8>) -> EvidenceFileType? {
        var frame = Array(bytes.prefix(10))
        if frame.count == 10, frame.starts(with: Array("ID3".utf8)), frame[6..<10].allSatisfy({ $0 < 0x80 }) {
            let tag = 10 + frame[6..<10].reduce(0) { $0 << 7 | Int($1) } + (frame[5] & 0x10 != 0 ? 10 : 0)
            frame = Array(bytes.dropFirst(tag).prefix(2))
        }
        guard frame.count >= 2, frame[0] == 0xFF, frame[1] & 0xE0 == 0xE0 else { return nil }
        switch frame[1] >> 1 & 3 {
        case 0 where frame[1] & 0xF0 == 0xF0: return .aac
        case 1: return .mp3
        default: return nil
        }
    }

    /// UTF-8 without NUL or control characters other than tab, line feed, carriage return and form feed.
    static func isPlainText(_ bytes: some Collection<UInt8>) -> Bool {
        guard !bytes.isEmpty, let text = String(validating: Array(bytes), as: UTF8.self) else { return false }
        return !text.unicodeScalars.contains { scalar in
            scalar.value < 0x20 && ![0x09, 0x0A, 0x0D, 0x0C].contains(scalar.value) || scalar.value == 0x7F
        }
    }

    /// The media type an upload declared, without parameters; `text/plain; charset=utf-8` is `text/plain`.
    public static func declared(_ header: String?) -> String? {
        header?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    }
}

public enum EvidenceName {
    /// A file name fit to store and to send back in `Content-Disposition`, or the reason it is
    /// refused: a name with a folder (`../x`), a control character (NUL included), a quote, more than
    /// 255 characters, or nothing but dots is a hostile or broken upload, and is refused rather than
    /// quietly repaired.
    public static func validate(_ raw: String) -> (name: String?, reason: String?) {
        let name = raw.trimmingCharacters(in: .whitespaces)
        if name.isEmpty || name.allSatisfy({ $0 == "." }) { return (nil, "invalid_filename") }
        if name.contains("/") || name.contains("\\") { return (nil, "path_in_filename") }
        if name.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) {
            return (nil, "control_character_in_filename")
        }
        if name.contains("\"") { return (nil, "invalid_filename") }
        if name.count > 255 { return (nil, "filename_too_long") }
        return (name, nil)
    }

    /// Whether the name's extension, if it has one, is one of the detected type's: `report.jpg.php`
    /// holding a JPEG is refused, as is `photo.png` holding a PDF.
    public static func extensionMatches(_ name: String, _ type: EvidenceFileType) -> Bool {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return true }
        let fileExtension = name[name.index(after: dot)...].lowercased()
        switch type {
        case .png: return fileExtension == "png"
        case .jpeg: return ["jpg", "jpeg", "jpe"].contains(fileExtension)
        case .webp: return fileExtension == "webp"
        case .pdf: return fileExtension == "pdf"
        case .text: return ["txt", "text", "log", "csv", "md"].contains(fileExtension)
        case .mp4: return ["mp4", "m4v"].contains(fileExtension)
        case .mp3: return fileExtension == "mp3"
        case .aac: return fileExtension == "aac"
        case .m4a: return ["m4a", "mp4"].contains(fileExtension)
        case .amr: return fileExtension == "amr"
        case .amrWideband: return ["awb", "amr"].contains(fileExtension)
        }
    }
}
