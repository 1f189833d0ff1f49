import Crypto
import Foundation
import Hummingbird
import Logging
import NIOCore
import RedressCore
import RedressStore
import Synchronization

/// Reading and inspecting an evidence body: at a minimum pace, within the size limit, and refused
/// with the reason it is not evidence Redress keeps.
extension EvidenceController {
    /// The whole body, or 413 past `limit`, or 408 when it falls behind `pace` (a trickling sender
    /// would otherwise hold an upload place as long as it likes).
    static func collect(_ body: RequestBody, upTo limit: Int, pace: UploadPace, tooLarge: RedressError) async throws -> ByteBuffer {
        let progress = UploadProgress()
        return try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask {
                var bytes = ByteBuffer()
                for try await chunk in body {
                    guard bytes.readableBytes + chunk.readableBytes <= limit else { throw tooLarge }
                    var chunk = chunk
                    bytes.writeBuffer(&chunk)
                    progress.received.withLock { $0 = bytes.readableBytes }
                }
                return bytes
            }
            group.addTask {
                let started = ContinuousClock.now
                // What had arrived at each look over the last `grace`: the rate is judged over that
                // window, so a fast start does not buy a long stall.
                var looks: [(at: ContinuousClock.Instant, received: Int)] = []
                while true {
                    try await Task.sleep(for: .milliseconds(250))
                    let now = ContinuousClock.now
                    looks.append((now, progress.received.withLock { $0 }))
                    looks.removeAll { now - $0.at > pace.grace }
                    guard now - started > pace.grace, let first = looks.first, let last = looks.last, last.at > first.at else { continue }
                    if pace.isBehind(received: last.received - first.received, over: last.at - first.at) { return nil }
                }
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let bytes = first else {
                throw RedressError(
                    .requestTimeout, detail: "The file arrived slower than \(pace.minimumBytesPerSecond) bytes a second.")
            }
            return bytes
        }
    }

    /// The file's type, when its bytes are of a type Redress takes, declared and named as such, and
    /// hold nothing that acts (and a recording's length); otherwise the reason it is refused.
    static func inspect(_ bytes: ByteBuffer, filename: String, declaredType: String?) throws -> (type: EvidenceFileType, durationSeconds: Int?) {
        guard bytes.readableBytes > 0 else { throw RedressError.validation([.init(field: "body", reason: "empty_file")]) }
        guard let detected = EvidenceFileType.detect(bytes.readableBytesView) else {
            // A type Redress takes whose bytes are not of it (text with control characters, a broken
            // PNG) is a bad file: 422. A type Redress never takes (an executable) is 415.
            if EvidenceFileType.declared(declaredType).flatMap(EvidenceFileType.init(rawValue:)) != nil {
                throw RedressError.validation([.init(field: "body", reason: "content_not_recognised")])
            }
            throw RedressError(
                .unsupportedMediaType, detail: "Evidence may be PNG, JPEG, WebP, PDF, plain text, MP4, or a recording in MP3, AAC, M4A or AMR.")
        }
        guard EvidenceFileType.declared(declaredType) == detected.rawValue else {
            throw RedressError.validation([.init(field: "Content-Type", reason: "does_not_match_content")])
        }
        guard EvidenceName.extensionMatches(filename, detected) else {
            throw RedressError.validation([.init(field: "filename", reason: "extension_does_not_match_content")])
        }
        let content = Array(bytes.readableBytesView)
        if let problem = EvidenceInspection.problem(in: content, as: detected) {
            throw RedressError.validation([.init(field: "body", reason: problem)])
        }
        return (detected, detected.isAudio ? try? AudioInspection.duration(of: content, as: detected) : nil)
    }
}

/// How fast an upload must arrive: after `grace`, at least `minimumBytesPerSecond` over every
/// window of `grace`.
struct UploadPace: Sendable {
    let grace: Duration
    let minimumBytesPerSecond: Int

    func isBehind(received: Int, over window: Duration) -> Bool {
        let seconds = Double(window.components.seconds) + Double(window.components.attoseconds) / 1e18
        return Double(received) < seconds * Double(max(minimumBytesPerSecond, 1))
    }
}

/// The bytes an upload has delivered so far, shared between its reader and its watchdog.
final class UploadProgress: Sendable {
    let received = Mutex(0)
}
