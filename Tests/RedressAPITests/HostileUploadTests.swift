import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import RedressAPI
import StoreTestSupport
import Testing
import TestSupport

/// A corpus of hostile evidence files, each sent through the real router by the case's consumer: every
/// one is refused with a 4xx and the reason it names, none is stored or audited, and the process's
/// memory stays bounded while they keep arriving. The well-formed samples they are cut from are accepted.
@Suite("Hostile uploads")
struct HostileUploadTests {
    struct Attack: Sendable {
        let name: String
        let filename: String
        let type: String
        let bytes: [UInt8]
        let status: Int
        /// The problem's `code`, and for 422 the reason given for the field.
        let code: String
        let reason: String?
    }

    static let limit = 256 * 1024
    static let zip: [UInt8] = [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00] + Array("payload.php".utf8) + Array(repeating: 0, count: 30)
    static let php = Array("<?php system($_GET['c']); ?>\n".utf8)

    static func invalid(_ name: String, _ filename: String, _ type: String, _ bytes: [UInt8], _ reason: String) -> Attack {
        Attack(name: name, filename: filename, type: type, bytes: bytes, status: 422, code: "validation_failed", reason: reason)
    }

    static let corpus: [Attack] = {
        let png = EvidenceSamples.png, jpeg = EvidenceSamples.jpeg, pdf = EvidenceSamples.pdf, webp = EvidenceSamples.webp, mp4 = EvidenceSamples.mp4
        var attacks: [Attack] = [
            // Disguises.
            invalid("a PHP script in a PNG's clothes", "shell.png", "image/png", php, "does_not_match_content"),
            invalid("a PHP script as plain text named .php", "shell.php", "text/plain", php, "extension_does_not_match_content"),
            invalid("a JPEG named .jpg.php", "photo.jpg.php", "image/jpeg", jpeg, "extension_does_not_match_content"),
            invalid("a PNG declared as a JPEG", "photo.jpg", "image/jpeg", png, "does_not_match_content"),
            invalid("HTML with a script declared as text/html", "page.html", "text/html", Array("<script>alert(1)</script>".utf8), "does_not_match_content"),
            invalid("an SVG with a script", "image.svg", "image/svg+xml", Array("<svg onload=\"alert(1)\"/>".utf8), "does_not_match_content"),
            Attack(name: "an ELF executable", filename: "a.bin", type: "application/octet-stream", bytes: [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0] + Array(repeating: 0, count: 56),
                   status: 415, code: "unsupported_media_type", reason: nil),
            Attack(name: "a Windows executable", filename: "setup.exe", type: "application/x-msdownload", bytes: Array("MZ".utf8) + Array(repeating: 0x90, count: 62),
                   status: 415, code: "unsupported_media_type", reason: nil),
            Attack(name: "a ZIP archive", filename: "a.zip", type: "application/zip", bytes: zip, status: 415, code: "unsupported_media_type", reason: nil),
            Attack(name: "a GIF", filename: "a.gif", type: "image/gif", bytes: Array("GIF89a".utf8) + [1, 0, 1, 0, 0, 0, 0, 0x3B], status: 415, code: "unsupported_media_type", reason: nil),
            invalid("plain text with NUL bytes", "notes.txt", "text/plain", Array("记录\u{0}\u{0}".utf8), "content_not_recognised"),
            invalid("plain text that is not UTF-8", "notes.txt", "text/plain", [0xC3, 0x28, 0xA0, 0xA1], "content_not_recognised"),
            // Polyglots: something else after the format's end.
            invalid("a PNG with a ZIP after IEND", "a.png", "image/png", png + zip, "data_after_end"),
            invalid("a PNG with PHP after IEND", "a.png", "image/png", png + php, "data_after_end"),
            invalid("a JPEG with a ZIP after EOI", "a.jpg", "image/jpeg", jpeg + zip, "data_after_end"),
            invalid("a PDF with HTML after %%EOF", "a.pdf", "application/pdf", pdf + Array("<html><script>alert(1)</script></html>".utf8), "data_after_end"),
            invalid("a WebP with bytes beyond its RIFF size", "a.webp", "image/webp", webp + php, "data_after_end"),
            // Active PDF content.
            invalid("a PDF with JavaScript", "a.pdf", "application/pdf", EvidenceSamples.pdf(catalog: "/OpenAction << /S /JavaScript /JS (app.alert(1)) >> "), "active_content"),
            invalid("a PDF hiding JavaScript behind #-escapes", "a.pdf", "application/pdf", EvidenceSamples.pdf(catalog: "/OpenAction << /S /J#61vaScript >> "), "active_content"),
            invalid("a PDF launching a program", "a.pdf", "application/pdf", EvidenceSamples.pdf(catalog: "/OpenAction << /S /Launch /F (cmd.exe) >> "), "active_content"),
            invalid("a PDF carrying an embedded file", "a.pdf", "application/pdf", EvidenceSamples.pdf(catalog: "/Names << /EmbeddedFiles 4 0 R >> "), "active_content"),
            invalid(
                "a PDF hiding JavaScript between comment lines that spell stream and endstream", "a.pdf", "application/pdf",
                EvidenceSamples.pdf(catalog: "% stream\n/OpenAction << /S /JavaScript /JS (app.alert(1)) >>\n% endstream\n"), "active_content"),
            invalid(
                "a PDF hiding JavaScript in a compressed object stream", "a.pdf", "application/pdf",
                EvidenceSamples.pdf(objects: EvidenceSamples.pdfStream(
                    number: 4, dictionary: "/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode",
                    data: EvidenceSamples.deflate(Array("5 0 << /S /JavaScript /JS (app.alert(1)) >>".utf8)))), "active_content"),
            invalid(
                "a PDF hiding an object inside a stream's data", "a.pdf", "application/pdf",
                EvidenceSamples.pdf(objects: EvidenceSamples.pdfStream(
                    number: 4, dictionary: "/Filter /FlateDecode", data: Array("\n5 0 obj\n<< /S /Launch /F (cmd.exe) >>\nendobj\n".utf8))),
                "malformed_file"),
            invalid(
                "a PDF whose object stream inflates to 20 MB", "a.pdf", "application/pdf",
                EvidenceSamples.pdf(objects: EvidenceSamples.pdfStream(
                    number: 4, dictionary: "/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode",
                    data: EvidenceSamples.deflate(Array(repeating: 0x20, count: 20 * 1024 * 1024)))), "compressed_too_large"),
            invalid(
                "a PDF whose object stream is compressed in a way Redress does not read", "a.pdf", "application/pdf",
                EvidenceSamples.pdf(objects: EvidenceSamples.pdfStream(
                    number: 4, dictionary: "/Type /ObjStm /N 1 /First 4 /Filter /LZWDecode", data: [0x80, 0x0B, 0x60, 0x50])),
                "uninspectable_content"),
            invalid(
                "a PDF whose string never closes, so that the rest is read as text", "a.pdf", "application/pdf",
                EvidenceSamples.pdf(catalog: "/Title (never closed "), "malformed_file"),
            invalid(
                "a PDF object stream without its /Type, hiding JavaScript", "a.pdf", "application/pdf",
                EvidenceSamples.pdf(objects: EvidenceSamples.pdfStream(
                    number: 4, dictionary: "/N 1 /First 4 /Filter /FlateDecode",
                    data: EvidenceSamples.deflate(Array("5 0 << /S /JavaScript /JS (app.alert(1)) >>".utf8)))), "active_content"),
            invalid(
                "a PDF stream that names its /Type twice", "a.pdf", "application/pdf",
                EvidenceSamples.pdf(objects: EvidenceSamples.pdfStream(
                    number: 4, dictionary: "/Type /XObject /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode",
                    data: EvidenceSamples.deflate(Array("5 0 << /S /JavaScript /JS (app.alert(1)) >>".utf8)))), "uninspectable_content"),
            invalid(
                "a PDF object stream behind a PNG predictor", "a.pdf", "application/pdf",
                EvidenceSamples.pdf(objects: EvidenceSamples.pdfStream(
                    number: 4, dictionary: "/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 2 >>",
                    data: EvidenceSamples.deflate(Array("5 0 << /S /Launch >>".utf8)))), "uninspectable_content"),
            invalid(
                "a PDF opening a document on the attacker's server", "a.pdf", "application/pdf",
                EvidenceSamples.pdf(catalog: #"/OpenAction << /S /GoToR /F (\\\\attacker\\s\\x.pdf) >> "#), "active_content"),
            // Images too large to open: headers and decompression bombs.
            invalid("a PNG header of 20,000 × 20,000 pixels", "big.png", "image/png", EvidenceSamples.png(width: 20_000, height: 20_000), "image_too_large"),
            invalid("a PNG decompression bomb (15,000 × 15,000 in 67 bytes)", "bomb.png", "image/png", EvidenceSamples.png(width: 15_000, height: 15_000), "image_too_large"),
            invalid("a PNG of 0 × 0 pixels", "zero.png", "image/png", EvidenceSamples.png(width: 0, height: 0), "malformed_file"),
            invalid("a JPEG frame of 65,000 × 65,000", "big.jpg", "image/jpeg", EvidenceSamples.jpeg(width: 65_000, height: 65_000), "image_too_large"),
            invalid("a WebP canvas of 20,000 × 20,000", "big.webp", "image/webp", EvidenceSamples.webp(width: 20_000, height: 20_000), "image_too_large"),
            // Broken structures.
            invalid("a PNG whose chunk runs past the end", "a.png", "image/png", Array(png[0..<40]), "malformed_file"),
            invalid("a PNG without IEND", "a.png", "image/png", Array(png[0..<(png.count - 12)]), "malformed_file"),
            invalid("a PNG that starts with IDAT", "a.png", "image/png", Array(png[0..<8]) + Array(png[33..<png.count]), "malformed_file"),
            invalid("a JPEG without EOI", "a.jpg", "image/jpeg", Array(jpeg.dropLast(2)), "malformed_file"),
            invalid("a WebP whose RIFF size exceeds the file", "a.webp", "image/webp", Array(webp.dropLast(4)), "malformed_file"),
            invalid("an MP4 box running past the end", "a.mp4", "video/mp4", Array(mp4.dropLast(3)), "malformed_file"),
            invalid("a PDF without %%EOF", "a.pdf", "application/pdf", Array("%PDF-1.7\n1 0 obj\n".utf8), "malformed_file"),
            // Sizes.
            invalid("an empty file", "a.png", "image/png", [], "empty_file"),
            Attack(name: "a file one byte over the limit", filename: "big.txt", type: "text/plain", bytes: Array(repeating: 0x41, count: limit + 1),
                   status: 413, code: "payload_too_large", reason: nil),
            // Names.
            invalid("a name climbing out of its folder", "../../etc/passwd.png", "image/png", png, "path_in_filename"),
            invalid("a Windows path", "..\\..\\boot.ini.png", "image/png", png, "path_in_filename"),
            invalid("a name with a NUL byte", "a\u{0}.png", "image/png", png, "control_character_in_filename"),
            invalid("a name of 300 characters", String(repeating: "a", count: 296) + ".png", "image/png", png, "filename_too_long"),
        ]
        attacks.sort { $0.name < $1.name }
        return attacks
    }()

    static func send(_ app: TestApp, _ complaint: String, _ token: String?, _ attack: Attack) async throws -> TestResponse {
        let filename = attack.filename.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? attack.filename
        return try await app.request(
            .post, "/api/v1/complaints/\(complaint)/evidence?kind=other&filename=\(filename)", token: token,
            headers: [.contentType: attack.type], rawBody: ByteBuffer(bytes: attack.bytes))
    }

    static func configuration() -> APIConfiguration {
        var configuration = testConfiguration()
        configuration.maxEvidenceBytes = limit
        return configuration
    }

    @Test func everyHostileFileIsRefusedWithItsReasonAndNothingIsKept() async throws {
        #expect(Self.corpus.count >= 30)
        try await withTestApp(configuration: Self.configuration(), world: .seeded) { app in
            let world = try await app.makeWorld()
            let consumer = world.token("consumer")
            let id = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))
            let before = try await Self.counts(app)
            var failures: [String] = []
            for attack in Self.corpus {
                let response = try await Self.send(app, id, consumer, attack)
                let reason = response.json["invalid_fields"].array.first?["reason"].string
                if response.status.code != attack.status || response.json["code"].string != attack.code || reason != attack.reason {
                    failures.append("\(attack.name): expected \(attack.status) \(attack.code) \(attack.reason ?? "-"), got \(response.status.code) \(response.text)")
                }
            }
            #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
            #expect(try await Self.counts(app) == before, "a refused file left a row or an audit event")
        }
    }

    @Test func theWellFormedSamplesAreAccepted() async throws {
        try await withTestApp(configuration: Self.configuration(), world: .seeded) { app in
            let world = try await app.makeWorld()
            let consumer = world.token("consumer")
            let id = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))
            let samples: [(String, String, [UInt8])] = [
                ("a.png", "image/png", EvidenceSamples.png), ("a.jpg", "image/jpeg", EvidenceSamples.jpeg), ("a.webp", "image/webp", EvidenceSamples.webp),
                ("a.pdf", "application/pdf", EvidenceSamples.pdf), ("a.mp4", "video/mp4", EvidenceSamples.mp4),
                // Objects packed in a compressed object stream, as most PDF writers do: read, and harmless.
                ("packed.pdf", "application/pdf", EvidenceSamples.pdf(objects: EvidenceSamples.pdfStream(
                    number: 4, dictionary: "/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode",
                    data: EvidenceSamples.deflate(Array("5 0 << /Type /Page /Contents (a string holding /JS is text) >>".utf8))))),
                // The same, its filter written as a one-element array and its parameters as null.
                ("packed-array.pdf", "application/pdf", EvidenceSamples.pdf(objects: EvidenceSamples.pdfStream(
                    number: 4, dictionary: "/Type /ObjStm /N 1 /First 4 /Filter [/FlateDecode] /DecodeParms null",
                    data: EvidenceSamples.deflate(Array("5 0 << /Type /Page /Contents 6 0 R >>".utf8))))),
                ("chat.csv", "text/plain", Array("time,who,text\n10:00,seller,=HYPERLINK(\"x\")\n".utf8)),
                ("big.png", "image/png", EvidenceSamples.png(width: 7_000, height: 7_000)),  // 49 megapixels: a phone photo
                ("limit.txt", "text/plain", Array(repeating: 0x41, count: Self.limit)),  // exactly the limit
            ]
            for (name, type, bytes) in samples {
                let attack = Attack(name: name, filename: name, type: type, bytes: bytes, status: 201, code: "", reason: nil)
                let response = try await Self.send(app, id, consumer, attack)
                #expect(response.status == .created, "\(name): \(response.text)")
            }
        }
    }

    /// The corpus, ten times over, with the largest refusals the limit allows: the resident memory
    /// of the process (service and test client together) grows by less than 32 MiB. The measure is of
    /// the whole process, so it only means something with no other test running beside it: `make test`
    /// runs it alone, with REDRESS_MEASURE_MEMORY=1.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["REDRESS_MEASURE_MEMORY"] == "1", "measures the whole process: run alone"))
    func memoryStaysBoundedWhileHostileFilesKeepArriving() async throws {
        try await withTestApp(configuration: Self.configuration(), world: .seeded) { app in
            let world = try await app.makeWorld()
            let consumer = world.token("consumer")
            let id = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))
            for attack in Self.corpus { _ = try await Self.send(app, id, consumer, attack) }  // warm-up
            let before = Self.residentBytes()
            for _ in 0..<10 {
                for attack in Self.corpus {
                    let response = try await Self.send(app, id, consumer, attack)
                    #expect((400..<500).contains(response.status.code), "\(attack.name)")
                }
            }
            let growth = Self.residentBytes() - before
            #expect(growth < 32 * 1024 * 1024, "resident memory grew by \(growth / 1024) KiB over \(10 * Self.corpus.count) hostile uploads")
        }
    }

    static func counts(_ app: TestApp) async throws -> [Int] {
        try await app.asOwner { connection in
            [
                try await connection.scalar("SELECT count(*)::int FROM evidence", as: Int.self) ?? -1,
                try await connection.scalar("SELECT count(*)::int FROM evidence_blobs", as: Int.self) ?? -1,
                try await connection.scalar("SELECT count(*)::int FROM audit_events", as: Int.self) ?? -1,
            ]
        }
    }

    /// The process's resident set, from /proc (Linux).
    static func residentBytes() -> Int {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let pages = statm.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return pages * 4096
    }
}
