import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostgresNIO
import RedressAPI
import StoreTestSupport
import Testing
import TestSupport

@Suite("Evidence")
struct EvidenceTests {
    static let png = EvidenceSamples.png
    static let jpeg = EvidenceSamples.jpeg
    static let pdf = EvidenceSamples.pdf
    static let mp4 = EvidenceSamples.mp4
    static let webp = EvidenceSamples.webp

    /// Uploads `bytes`; the file name is `证据` with the declared type's extension unless given.
    static func upload(_ app: TestApp, _ complaint: String, token: String?, kind: String = "anomaly_proof", name: String? = nil,
                       type: String, bytes: [UInt8]) async throws -> TestResponse {
        let extensions = ["image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "application/pdf": "pdf", "video/mp4": "mp4", "text/plain": "txt"]
        let name = name ?? "证据." + (extensions[type] ?? "bin")
        let filename = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name
        return try await app.request(
            .post, "/api/v1/complaints/\(complaint)/evidence?kind=\(kind)&filename=\(filename)", token: token,
            headers: [.contentType: type], rawBody: ByteBuffer(bytes: bytes))
    }

    @Test func filesAreRecognisedByTheirBytesAndKeptOncePerDigest() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let consumer = world.token("consumer")
            let id = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))
            let uploaded = try await Self.upload(app, id, token: consumer, type: "image/png", bytes: Self.png)
            #expect(uploaded.status == .created, "\(uploaded.text)")
            #expect(uploaded.json["sha256"].string == SHA256.hash(data: Data(Self.png)).map { String(format: "%02x", $0) }.joined())
            #expect(uploaded.json["size"].int == Self.png.count)
            for (type, bytes) in [("image/jpeg", Self.jpeg), ("application/pdf", Self.pdf), ("video/mp4", Self.mp4), ("image/webp", Self.webp),
                                  ("text/plain; charset=utf-8", Array("聊天记录：商家说明天发货。\n".utf8))] {
                let response = try await Self.upload(app, id, token: consumer, kind: "communication_record", name: "file", type: type, bytes: bytes)
                #expect(response.status == .created, "\(type): \(response.text)")
            }
            // The same bytes again (here by the platform): a second piece of evidence, one stored file.
            #expect(try await Self.upload(app, id, token: world.token("platform_staff_a"), kind: "other", type: "image/png", bytes: Self.png).status == .created)
            let blobs = try await app.asOwner { try await $0.scalar("SELECT count(*)::int FROM evidence_blobs", as: Int.self) }
            #expect(blobs == 6)
            let list = try await app.request(.get, "/api/v1/complaints/\(id)/evidence", token: world.token("platform_admin_a"))
            #expect(list.json["items"].array.count == 7)
            // Readiness now sees the anomaly proof and the communication record.
            let readiness = try await app.request(.get, "/api/v1/complaints/\(id)", token: consumer).json["readiness"]
            let chain = readiness["evidence_chain"].array
            #expect(chain.map { $0["complete"].bool } == [false, true, true])
        }
    }

    @Test func contradictionsUnsupportedTypesAndOversizedFilesAreRefused() async throws {
        var configuration = testConfiguration()
        configuration.maxEvidenceBytes = 64 * 1024
        configuration.maxEvidenceFiles = 2
        try await withTestApp(configuration: configuration, world: .seeded) { app in
            let world = try await app.makeWorld()
            let consumer = world.token("consumer")
            let id = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))
            let disguised = try await Self.upload(app, id, token: consumer, type: "image/png", bytes: Self.jpeg)
            #expect(disguised.status == .unprocessableContent)
            #expect(disguised.json["invalid_fields"].array.first?["reason"].string == "does_not_match_content")
            let executable = try await Self.upload(app, id, token: consumer, type: "application/octet-stream", bytes: [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0])
            #expect(executable.status == .unsupportedMediaType)
            let html = try await Self.upload(app, id, token: consumer, type: "text/html", bytes: Array("<script>alert(1)</script>".utf8))
            #expect(html.status == .unprocessableContent)  // it is plain text, declared as HTML
            let huge = try await Self.upload(app, id, token: consumer, type: "image/png", bytes: Self.png + Array(repeating: 0, count: 70 * 1024))
            #expect(huge.status == .contentTooLarge)
            #expect(try await Self.upload(app, id, token: consumer, kind: "bogus", type: "image/png", bytes: Self.png).status == .unprocessableContent)
            #expect(try await Self.upload(app, id, token: consumer, name: "..", type: "image/png", bytes: Self.png).status == .unprocessableContent)
            // Hostile names are refused, not repaired: a folder, a NUL, a quote, 300 characters, an
            // extension that contradicts the bytes.
            let hostileNames: [(String, [UInt8], String, String)] = [
                ("../../etc/passwd.png", Self.png, "image/png", "path_in_filename"),
                ("..\\..\\boot.png", Self.png, "image/png", "path_in_filename"),
                ("a\u{0}b.png", Self.png, "image/png", "control_character_in_filename"),
                ("evil\".png", Self.png, "image/png", "invalid_filename"),
                (String(repeating: "长", count: 300) + ".png", Self.png, "image/png", "filename_too_long"),
                ("shell.jpg.php", Self.jpeg, "image/jpeg", "extension_does_not_match_content"),
                ("report.png", Self.pdf, "application/pdf", "extension_does_not_match_content"),
            ]
            for (name, bytes, type, reason) in hostileNames {
                let refused = try await Self.upload(app, id, token: consumer, name: name, type: type, bytes: bytes)
                let fields = refused.json["invalid_fields"].array
                #expect(refused.status == .unprocessableContent && fields.first?["reason"].string == reason, "\(name): \(refused.text)")
            }
            #expect(try await Self.upload(app, id, token: consumer, type: "image/png", bytes: Self.png).status == .created)
            #expect(try await Self.upload(app, id, token: consumer, type: "application/pdf", bytes: Self.pdf).status == .created)
            let third = try await Self.upload(app, id, token: consumer, type: "image/jpeg", bytes: Self.jpeg)
            #expect(third.json["invalid_fields"].array.first?["reason"] == "too_many_files")
            #expect(try await app.asOwner { try await $0.scalar("SELECT count(*)::int FROM evidence", as: Int.self) } == 2)
        }
    }

    @Test func downloadsAreForThePartiesCheckedAndAudited() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let id = try await app.create("/api/v1/complaints", token: world.token("consumer"), app.complaintBody(world))
            let evidence = try #require(try await Self.upload(app, id, token: world.token("consumer"), type: "image/png", bytes: Self.png).json["id"].string)
            let path = "/api/v1/complaints/\(id)/evidence/\(evidence)"
            let download = try await app.request(.get, path, token: world.token("platform_staff_a"))
            #expect(download.status == .ok)
            #expect(Array(download.body.readableBytesView) == Self.png)
            #expect(download.headers[.contentType] == "image/png")
            #expect(download.headers[.contentDisposition]?.hasPrefix("attachment;") == true)
            #expect(download.headers[.init("X-Content-Type-Options")!] == "nosniff")
            let audited = try await app.asOwner { try await $0.scalar("SELECT count(*)::int FROM audit_events WHERE action = 'evidence.download'", as: Int.self) }
            #expect(audited == 1)
            for outsider in ["platform_staff_b", "mediator_a", "merchant_staff_a"] {
                #expect(try await app.request(.get, path, token: world.token(outsider)).status == .notFound, "\(outsider)")
            }
            #expect(try await app.request(.get, path, token: world.token("auditor")).status == .forbidden)
            #expect(try await app.request(.get, "/api/v1/complaints/\(id)/evidence/\(UUID())", token: world.token("consumer")).status == .notFound)
            // Nobody can change the stored bytes; a superuser who forces it is caught at the next download.
            await #expect(throws: (any Error).self) {
                try await app.asOwner { try await $0.query("UPDATE evidence_blobs SET content = 'x'", logger: TestDatabase.logger) }
            }
            try await app.asOwner { connection in
                try await connection.query("SET session_replication_role = replica", logger: TestDatabase.logger)
                try await connection.query("UPDATE evidence_blobs SET content = content || '\\x00'::bytea, size = size + 1", logger: TestDatabase.logger)
            }
            #expect(try await app.request(.get, path, token: world.token("consumer")).status == .internalServerError)
        }
    }
}
