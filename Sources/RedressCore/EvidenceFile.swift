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
    /// A file name fit to store and to send back in `Content-Disposition`: no folders, no control
    /// characters, at most 255 characters. `nil` when nothing is left.
    public static func sanitize(_ raw: String) -> String? {
        let base = raw.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let cleaned = String(String.UnicodeScalarView(base.unicodeScalars.filter { !CharacterSet.controlCharacters.contains($0) && $0 != "\"" }))
            .trimmingCharacters(in: .whitespaces)
        guard !cleaned.isEmpty, cleaned != ".", cleaned != "..", cleaned.count <= 255 else { return nil }
        return cleaned
    }
}
