import Foundation

/// One e-mail as Redress sends it: plain text in UTF-8, rendered to RFC 5322 with MIME (RFC 2045)
/// headers; the body in base64, so that no line of it can end the SMTP data early or run too long.
public struct MailMessage: Sendable, Equatable {
    public let id: UUID
    public let from: String
    public let to: String
    public let subject: String
    public let body: String
    /// An unsubscribe address for a mail that is optional (RFC 2369, one-click per RFC 8058).
    public let unsubscribeURL: String?

    public init(id: UUID = UUID(), from: String, to: String, subject: String, body: String, unsubscribeURL: String? = nil) {
        self.id = id
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
        self.unsubscribeURL = unsubscribeURL
    }

    /// The message as sent: CRLF line ends throughout.
    public func rendered(at date: Date, domain: String) -> String {
        var headers = [
            "From: \(from)",
            "To: \(to)",
            "Subject: \(Self.encodedWord(subject))",
            "Date: \(Self.rfc5322Date(date))",
            "Message-ID: <\(id.uuidString.lowercased())@\(domain)>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: base64",
            "Auto-Submitted: auto-generated",
        ]
        if let unsubscribeURL {
            headers.append("List-Unsubscribe: <\(unsubscribeURL)>")
            headers.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
        }
        let encoded = Data(body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n").utf8).base64EncodedString()
        var lines: [Substring] = []
        var rest = Substring(encoded)
        while !rest.isEmpty {
            lines.append(rest.prefix(76))
            rest = rest.dropFirst(76)
        }
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + lines.joined(separator: "\r\n") + "\r\n"
    }

    /// A header value with anything but printable ASCII as an RFC 2047 encoded word (UTF-8, base64).
    static func encodedWord(_ text: String) -> String {
        let clean = text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        if clean.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) { return clean }
        // Each encoded word at most 75 characters: split the text on character boundaries.
        var words: [String] = []
        var current = ""
        for character in clean {
            let candidate = current + String(character)
            if Data(candidate.utf8).base64EncodedString().count > 60 {
                words.append(current)
                current = String(character)
            } else {
                current = candidate
            }
        }
        if !current.isEmpty { words.append(current) }
        return words.map { "=?UTF-8?B?" + Data($0.utf8).base64EncodedString() + "?=" }.joined(separator: "\r\n ")
    }

    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}
