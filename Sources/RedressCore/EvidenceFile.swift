import Foundation

/// The file types accepted as evidence, recognised from the bytes' own signature.
public enum EvidenceFileType: String, Sendable, CaseIterable {
    case png = "image/png"
    case jpeg = "image/jpeg"
    case webp = "image/webp"
    case pdf = "application/pdf"
    case text = "text/plain"
    case mp4 = "video/mp4"

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
        if starts(Array("ftyp".utf8), at: 4) { return .mp4 }
        if isPlainText(bytes) { return .text }
        return nil
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
        }
    }
}
