import Logging

/// swift-log's text lines on standard error (`REDRESS_LOG_FORMAT=text`, the default), with the
/// metadata kept as it is set and rendered only when a line is written. swift-log's
/// `StreamLogHandler` renders its whole metadata again at every change, and every request sets some
/// (its id, and PostgresNIO a connection's for each statement) even when nothing is logged: about a
/// twentieth of reading a case.
public struct TextLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level {
        get { lines.logLevel }
        set { lines.logLevel = newValue }
    }
    /// Writes the lines; its own metadata and provider stay empty, so it never renders on a change.
    private var lines: StreamLogHandler

    public init(label: String) {
        lines = StreamLogHandler.standardError(label: label, metadataProvider: nil)
        metadataProvider = LoggingSystem.metadataProvider
    }

    /// Lines to `stream` instead of standard error.
    public init(label: String, stream: any TextOutputStream & Sendable, metadataProvider: Logger.MetadataProvider? = nil) {
        lines = StreamLogHandler(label: label, stream: stream, metadataProvider: nil)
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// The logger's metadata, then the provider's, then the event's own: swift-log's order.
    public func log(event: LogEvent) {
        var event = event
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let given = event.metadata { merged.merge(given) { $1 } }
        event.metadata = merged.isEmpty ? nil : merged
        lines.log(event: event)
    }
}
