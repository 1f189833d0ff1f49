import Foundation
import MultipartKit
import NIOCore
import RedressCore

/// A form with a file (`multipart/form-data`), read whole within a bound and cut into its parts by
/// MultipartKit's parser: at most `maximumParts` parts, each named by its `Content-Disposition`.
enum ConsoleMultipart {
    struct Part {
        var name: String?
        var filename: String?
        var contentType: String?
        var body = ByteBuffer()
    }

    static let maximumParts = 10
    /// A part's headers: at most this many, each at most this long (a form's are a few dozen bytes).
    static let maximumHeaders = 20
    static let maximumHeaderLength = 1024

    /// The boundary a `Content-Type: multipart/form-data; boundary=…` names (1 to 70 characters, as
    /// RFC 2046 allows), or `nil`.
    static func boundary(of contentType: String?) -> String? {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == "boundary" else { continue }
            let value = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            guard (1...70).contains(value.count), value.allSatisfy({ $0.isASCII && !$0.isNewline }) else { return nil }
            return value
        }
        return nil
    }

    /// Collects the parts as the parser finds them.
    private final class Collector {
        var parts: [Part] = []
        var current = Part()
        var tooMany = false
        var headers = 0
    }

    static func parse(_ body: ByteBuffer, boundary: String) throws(RedressError) -> [Part] {
        let parser = MultipartParser(boundary: boundary)
        let collector = Collector()
        parser.onHeader = { name, value in
            collector.headers += 1
            guard collector.headers <= maximumHeaders, name.utf8.count + value.utf8.count <= maximumHeaderLength else {
                collector.tooMany = true
                return
            }
            switch name.lowercased() {
            case "content-disposition":
                let parameters = Self.parameters(value)
                collector.current.name = parameters["name"]
                collector.current.filename = parameters["filename"]
            case "content-type":
                collector.current.contentType = value
            default:
                break
            }
        }
        parser.onBody = { chunk in collector.current.body.writeBuffer(&chunk) }
        parser.onPartComplete = {
            if collector.parts.count >= maximumParts { collector.tooMany = true } else { collector.parts.append(collector.current) }
            collector.current = Part()
            collector.headers = 0
        }
        do {
            try parser.execute(body)
        } catch {
            throw RedressError(.malformedRequest, detail: "The form is not well encoded.")
        }
        if collector.tooMany { throw RedressError(.payloadTooLarge) }
        return collector.parts
    }

    /// `form-data; name="file"; filename="收据; 三月.png"` → ["name": "file", "filename": "收据; 三月.png"]:
    /// `;` separates parameters outside quotes only (the header is at most `maximumHeaderLength`).
    static func parameters(_ value: String) -> [String: String] {
        var pieces: [String] = [], piece = "", quoted = false
        for character in value {
            if character == "\"" { quoted.toggle() }
            if character == ";" && !quoted {
                pieces.append(piece)
                piece = ""
            } else {
                piece.append(character)
            }
        }
        pieces.append(piece)
        var parameters: [String: String] = [:]
        for piece in pieces.dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { continue }
            var text = pair[1]
            if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") { text = String(text.dropFirst().dropLast()) }
            parameters[pair[0].lowercased()] = text
        }
        return parameters
    }
}
