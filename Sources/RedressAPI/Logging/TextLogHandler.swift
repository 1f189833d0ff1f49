import Logging

/// swift-log's text lines (`REDRESS_LOG_FORMAT=text`, the default), with the metadata kept as it is
/// set and rendered only when a line is written. swift-log's `StreamLogHandler` renders its whole
/// metadata again at every change, and every request sets some (its id, and PostgresNIO a connection's
/// for each statement) even when nothing is logged: about a twentieth of reading a case.
public struct TextLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider? {
        get { lines.metadataProvider }
        set { lines.metadataProvider = newValue }
    }
    public var logLevel: Logger.Level {
        get { lines.logLevel }
        set { lines.logLevel = newValue }
    }
    /// Writes the lines; its own metadata stays empty, so it never renders on a change.
    private var lines: StreamLogHandler

    public init(label: String) {
        lines = StreamLogHandler.standardOutput(label: label)
    }

    /// Lines to `stream` instead of standard output.
    public init(label: String, stream: any TextOutputStream & Sendable) {
        lines = StreamLogHandler(label: label, stream: stream)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var event = event
        if !metadata.isEmpty { event.metadata = metadata.merging(event.metadata ?? [:]) { $1 } }
        lines.log(event: event)
    }
}
