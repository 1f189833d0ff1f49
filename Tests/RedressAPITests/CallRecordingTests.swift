import Foundation
import RedressAPI
import RedressCore
import Testing
import TestSupport

/// Customer-service calls as evidence: MP3, AAC, M4A and AMR, walked frame by frame.
@Suite("Call recordings")
struct CallRecordingTests {
    @Test(arguments: [
        ("audio/amr", EvidenceSamples.amr(frames: 1500), 30),
        ("audio/amr-wb", EvidenceSamples.amrWideband(frames: 100), 2),
        ("audio/mpeg", EvidenceSamples.mp3(frames: 100), 3),  // 100 × 26.1 ms
        ("audio/aac", EvidenceSamples.aac(frames: 431), 11),  // 431 × 1024 / 44,100 s = 10.008 s
        ("audio/mp4", EvidenceSamples.m4a(seconds: 95), 95),
    ])
    func eachFormatIsRecognisedAndTimed(type: String, bytes: [UInt8], seconds: Int) throws {
        let detected = try #require(EvidenceFileType.detect(bytes))
        #expect(detected.rawValue == type)
        #expect(EvidenceInspection.problem(in: bytes, as: detected) == nil)
        #expect(try AudioInspection.duration(of: bytes, as: detected) == seconds)
    }

    @Test func brokenPaddedAndOverlongRecordingsAreRefused() {
        func reason(_ bytes: [UInt8]) -> String? {
            guard let type = EvidenceFileType.detect(bytes) else { return "not_recognised" }
            return EvidenceInspection.problem(in: bytes, as: type)
        }
        let amr = EvidenceSamples.amr(frames: 50)
        // A fake: the AMR header over something else.
        #expect(reason(Array("#!AMR\n".utf8) + Array("<?php system($_GET['c']); ?>".utf8)) == "malformed_file")
        #expect(reason(Array("#!AMR\n".utf8)) == "malformed_file")  // no frame at all
        #expect(reason(Array(amr.dropLast(5))) == "malformed_file")  // the last frame cut short
        #expect(reason(amr + Array("PK\u{3}\u{4}hidden.zip".utf8)) == "data_after_end")
        // Frame types 9–14 do not exist in AMR-NB; padding bits must be zero.
        #expect(reason(Array("#!AMR\n".utf8) + [0x4C] + Array(repeating: 0, count: 40)) == "malformed_file")
        #expect(reason(Array("#!AMR\n".utf8) + [0x3D] + Array(repeating: 0, count: 31)) == "malformed_file")
        // Three hours and a frame of NO_DATA frames (one byte each): too long, however small.
        #expect(reason(Array("#!AMR\n".utf8) + Array(repeating: 0x7C, count: 540_001)) == "recording_too_long")
        #expect(reason(Array("#!AMR\n".utf8) + Array(repeating: 0x7C, count: 540_000)) == nil)
        let mp3 = EvidenceSamples.mp3(frames: 10)
        #expect(reason(Array(mp3.dropLast(200))) == "malformed_file")  // the last frame runs past the end
        #expect(reason(mp3 + [0x00]) == "data_after_end")  // a byte after the ID3v1 tag
        // An ID3 tag that claims more than the file holds is no MP3; one of 64 KiB and more (where a ZIP
        // would hide, as the frames are not walked) is refused; a layer II frame is not an MP3.
        #expect(reason(Array("ID3".utf8) + [3, 0, 0, 0x7F, 0x7F, 0x7F, 0x7F] + [0xFF, 0xFB, 0x90, 0x00]) == "not_recognised")
        let hidden = Array(repeating: UInt8(0x50), count: 70_000)
        let bigTag = Array("ID3".utf8) + [4, 0, 0, 0, UInt8(70_000 >> 14 & 0x7F), UInt8(70_000 >> 7 & 0x7F), UInt8(70_000 & 0x7F)] + hidden
        #expect(reason(bigTag + Array(mp3.dropFirst(30))) == "malformed_file")
        #expect(reason([0xFF, 0xFD, 0x90, 0x00] + Array(repeating: 0, count: 413)) == "not_recognised")
        let aac = EvidenceSamples.aac(frames: 10)
        #expect(reason(Array(aac.dropLast(1))) == "malformed_file")
        #expect(reason(aac + [0x41, 0x42]) == "data_after_end")
        // An M4A without a movie header, and one of five hours.
        let m4a = EvidenceSamples.m4a(seconds: 60)
        #expect(reason(Array(m4a[0..<24])) == "malformed_file")
        #expect(reason(EvidenceSamples.m4a(seconds: 5 * 3600)) == "recording_too_long")
        // An M4A whose header says one second over 300 KiB of data: not a call recording.
        let padded = EvidenceSamples.m4a(seconds: 1) + [0, 0x04, 0xB0, 0x08] + Array("free".utf8) + Array(repeating: 0, count: 0x04B000)
        #expect(reason(padded) == "malformed_file")
        #expect(reason(EvidenceSamples.m4a(seconds: 60) + [0, 0x04, 0xB0, 0x08] + Array("free".utf8) + Array(repeating: 0, count: 0x04B000)) == nil)
    }

    @Test func aRecordingIsKeptWithItsLengthAndAFakeIsRefused() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let consumer = world.token("consumer")
            let id = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))
            let recording = try await EvidenceTests.upload(
                app, id, token: consumer, kind: "communication_record", name: "客服通话.amr", type: "audio/amr",
                bytes: EvidenceSamples.amr(frames: 3000))
            #expect(recording.status == .created, "\(recording.text)")
            #expect(recording.json["content_type"].string == "audio/amr")
            #expect(recording.json["duration_seconds"].int == 60)
            let listed = try await app.request(.get, "/api/v1/complaints/\(id)/evidence", token: world.token("platform_staff_a"))
            #expect(listed.json["items"].array.first?["duration_seconds"].int == 60)
            // A photo's duration is null.
            let photo = try await EvidenceTests.upload(app, id, token: consumer, type: "image/png", bytes: EvidenceSamples.png)
            #expect(photo.json["duration_seconds"].isNull)
            // A fake recording (the header over a script), a recording under another format's name, and
            // a recording declared as another format.
            let fake = try await EvidenceTests.upload(
                app, id, token: consumer, kind: "communication_record", name: "call.amr", type: "audio/amr",
                bytes: Array("#!AMR\n".utf8) + Array("<script>alert(1)</script>".utf8))
            #expect(fake.status == .unprocessableContent)
            #expect(fake.json["invalid_fields"].array.first?["reason"].string == "malformed_file")
            let renamed = try await EvidenceTests.upload(
                app, id, token: consumer, name: "call.mp3", type: "audio/amr", bytes: EvidenceSamples.amr(frames: 10))
            #expect(renamed.json["invalid_fields"].array.first?["reason"].string == "extension_does_not_match_content")
            let mislabelled = try await EvidenceTests.upload(
                app, id, token: consumer, name: "call", type: "audio/mpeg", bytes: EvidenceSamples.amr(frames: 10))
            #expect(mislabelled.json["invalid_fields"].array.first?["reason"].string == "does_not_match_content")
            // Download gives the bytes back as a recording.
            let evidenceID = try #require(recording.json["id"].string)
            let download = try await app.request(.get, "/api/v1/complaints/\(id)/evidence/\(evidenceID)", token: consumer)
            #expect(download.status == .ok)
            #expect(download.headers[.contentType] == "audio/amr")
        }
    }
}
