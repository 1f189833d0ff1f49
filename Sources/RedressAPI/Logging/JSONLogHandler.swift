import Foundation
import Logging
import RedressCore
import Synchronization

/// Writes each log event as one JSON object on one line (`REDRESS_LOG_FORMAT=json`), for log
/// collectors that index fields: `time` (UTC, milliseconds), `level`, `message`, `label`, then the
/// metadata's keys (a key that would hide one of those is written as `metadata.KEY`).
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let write: @Sendable (String) -> Void

    /// `write` receives each line with its newline; the default appends it to standard output.
    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil, write: @escaping @Sendable (String) -> Void = StandardOutput.append) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let given = event.metadata { merged.merge(given) { $1 } }
        var line = "{\"time\":\"\(UTCTime.milliseconds(Date()))\",\"level\":\"\(event.level.rawValue)\",\"message\":"
        Self.appendString(event.message.description, to: &line)
        line += ",\"label\":"
        Self.appendString(label, to: &line)
        let reserved: Set<String> = ["time", "level", "message", "label"]
        for key in merged.keys.sorted() {
            line += ","
            Self.appendString(reserved.contains(key) ? "metadata.\(key)" : key, to: &line)
            line += ":"
            Self.append(merged[key]!, to: &line)
        }
        line += "}\n"
        write(line)
    }

    static func append(_ value: Logger.Metadata.Value, to line: inout String) {
        switch value {
        case .string(let string): appendString(string, to: &line)
        case .stringConvertible(let convertible): appendString(convertible.description, to: &line)
        case .array(let values):
            line += "["
            for (index, element) in values.enumerated() {
                if index > 0 { line += "," }
                append(element, to: &line)
            }
            line += "]"
        case .dictionary(let dictionary):
            line += "{"
            for (index, key) in dictionary.keys.sorted().enumerated() {
                if index > 0 { line += "," }
                appendString(key, to: &line)
                line += ":"
                append(dictionary[key]!, to: &line)
            }
            line += "}"
        }
    }

    /// A JSON string (RFC 8259 §7): quotes, backslashes and control characters escaped, so a value
    /// can never end the line or the object early.
    static func appendString(_ string: String, to line: inout String) {
        var bytes: [UInt8] = []
        JSONText.string(string, to: &bytes)
        line += String(decoding: bytes, as: UTF8.self)
    }
}

/// Standard output shared by every log handler: one line is one write, never interleaved.
public enum StandardOutput {
    private static let lock = Mutex(())

    @Sendable public static func append(_ line: String) {
        lock.withLock { _ in FileHandle.standardOutput.write(Data(line.utf8)) }
    }
}
