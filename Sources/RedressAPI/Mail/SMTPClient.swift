import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Where and how mail is submitted (REDRESS_SMTP_URL): `smtp://[user:password@]host[:587]` upgrades
/// with STARTTLS and refuses a server that does not offer it; `smtps://host[:465]` speaks TLS from
/// the start; `smtp+insecure://host:port` sends in clear and is accepted for loopback only.
public struct SMTPSettings: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public enum Security: String, Sendable { case startTLS, implicitTLS, none }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var password: String?
    /// Certificates trusted besides the system's (REDRESS_SMTP_CA_FILE).
    public var additionalTrustRootsFile: String?
    /// The whole conversation with the server.
    public var timeout: Duration = .seconds(30)

    public init?(url text: String) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else { return nil }
        switch scheme {
        case "smtp": security = .startTLS
        case "smtps": security = .implicitTLS
        case "smtp+insecure":
            guard ["127.0.0.1", "::1", "localhost"].contains(host) else { return nil }
            security = .none
        default: return nil
        }
        self.host = host
        port = components.port ?? (security == .implicitTLS ? 465 : 587)
        guard (1...65535).contains(port) else { return nil }
        username = components.user?.removingPercentEncoding
        password = components.password?.removingPercentEncoding
    }

    /// For logs: never the credentials.
    public var description: String { "\(security == .implicitTLS ? "smtps" : "smtp")://\(host):\(port)" }
    public var debugDescription: String { description }
}

/// Why a mail could not be handed over; `permanent` when the server refused it for good (5xx).
public struct SMTPFailure: Error, CustomStringConvertible {
    public let description: String
    public let permanent: Bool
}

/// A small SMTP client (RFC 5321) on SwiftNIO: EHLO, STARTTLS (RFC 3207) with the certificate checked
/// for the host, AUTH PLAIN (RFC 4954) only over TLS, one message per connection.
public struct SMTPClient: Sendable {
    public let settings: SMTPSettings
    let heloName: String
    private let tls: NIOSSLContext?

    public init(settings: SMTPSettings, heloName: String = "redress") throws {
        self.settings = settings
        self.heloName = heloName
        if settings.security == .none {
            tls = nil
        } else {
            var configuration = TLSConfiguration.makeClientConfiguration()
            if let file = settings.additionalTrustRootsFile { configuration.additionalTrustRoots = [.file(file)] }
            tls = try NIOSSLContext(configuration: configuration)
        }
    }

    public func send(from: String, to: String, message: String) async throws {
        let tls = self.tls, host = settings.host, implicit = settings.security == .implicitTLS
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .connect(host: settings.host, port: settings.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if implicit, let tls {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: Self.sni(host)))
                    }
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        // A server that stalls is cut off: closing the channel ends the conversation below.
        let deadline = channel.channel.eventLoop.scheduleTask(in: TimeAmount(settings.timeout)) { channel.channel.close(promise: nil) }
        defer { deadline.cancel() }
        try await channel.executeThenClose { inbound, outbound in
            var replies = ReplyReader(iterator: inbound.makeAsyncIterator())
            // A refusal is final for this message only where it is about the message (RCPT, DATA);
            // elsewhere (a wrong password, a refusing relay) the mail is tried again later.
            func command(_ line: String, expect codes: Set<Int>, finalRefusal: Bool = false) async throws -> [String] {
                try await outbound.write(ByteBuffer(string: line + "\r\n"))
                return try await replies.expect(codes, finalRefusal: finalRefusal)
            }
            _ = try await replies.expect([220])
            var capabilities = try await command("EHLO \(heloName)", expect: [250])
            if settings.security == .startTLS {
                guard capabilities.contains(where: { $0.uppercased().hasPrefix("STARTTLS") }) else {
                    throw SMTPFailure(description: "the server does not offer STARTTLS", permanent: false)
                }
                _ = try await command("STARTTLS", expect: [220])
                // Anything already received came before TLS, from anyone on the path: refused, not
                // read as the protected server's replies (STARTTLS command injection).
                guard replies.buffer.readableBytes == 0 else {
                    throw SMTPFailure(description: "the server sent data before TLS began", permanent: false)
                }
                guard let tls else { throw SMTPFailure(description: "no TLS context", permanent: false) }
                try await channel.channel.eventLoop.submit {
                    try channel.channel.pipeline.syncOperations.addHandler(
                        try NIOSSLClientHandler(context: tls, serverHostname: Self.sni(host)), position: .first)
                }.get()
                capabilities = try await command("EHLO \(heloName)", expect: [250])
            }
            if let username = settings.username {
                let password = settings.password ?? ""
                let token = Data("\u{0}\(username)\u{0}\(password)".utf8).base64EncodedString()
                _ = try await command("AUTH PLAIN \(token)", expect: [235])
            }
            _ = try await command("MAIL FROM:<\(Self.address(from))>", expect: [250])
            _ = try await command("RCPT TO:<\(Self.address(to))>", expect: [250, 251], finalRefusal: true)
            _ = try await command("DATA", expect: [354], finalRefusal: true)
            // Dot-stuffing (RFC 5321 §4.5.2); the rendered body is base64, but the rule holds for any line.
            let data = message.replacingOccurrences(of: "\r\n.", with: "\r\n..")
            try await outbound.write(ByteBuffer(string: (data.hasPrefix(".") ? "." : "") + data + ".\r\n"))
            _ = try await replies.expect([250], finalRefusal: true)
            _ = try? await command("QUIT", expect: [221])
        }
    }

    /// The bare address of `Name <address>` or of an address alone.
    static func address(_ mailbox: String) -> String {
        if let open = mailbox.lastIndex(of: "<"), let close = mailbox.lastIndex(of: ">"), open < close {
            return String(mailbox[mailbox.index(after: open)..<close])
        }
        return mailbox
    }

    /// SNI is sent for names only (RFC 6066 §3).
    static func sni(_ host: String) -> String? { IPv4Address.isLiteral(host) || host.contains(":") ? nil : host }
}

enum IPv4Address {
    static func isLiteral(_ host: String) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }
}

/// Reads SMTP replies (`250-…` continued, `250 …` last), bounded against a hostile server.
struct ReplyReader {
    var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    var buffer = ByteBuffer()
    static let maximumLine = 4096
    static let maximumLines = 100

    mutating func line() async throws -> String {
        while true {
            if let index = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                let length = index - buffer.readerIndex + 1
                let line = buffer.readString(length: length) ?? ""
                return line.trimmingCharacters(in: .newlines)
            }
            guard buffer.readableBytes <= Self.maximumLine else {
                throw SMTPFailure(description: "the server sent an over-long line", permanent: false)
            }
            guard var next = try await iterator.next() else {
                throw SMTPFailure(description: "the server closed the connection", permanent: false)
            }
            buffer.writeBuffer(&next)
        }
    }

    /// The reply's text lines, when its code is one of `codes`; otherwise a failure, permanent for a
    /// 5xx where `finalRefusal` says the reply is about the message.
    mutating func expect(_ codes: Set<Int>, finalRefusal: Bool = false) async throws -> [String] {
        var texts: [String] = []
        for _ in 0..<Self.maximumLines {
            let line = try await line()
            guard line.count >= 3, let code = Int(line.prefix(3)) else {
                throw SMTPFailure(description: "the server's reply is malformed", permanent: false)
            }
            texts.append(String(line.dropFirst(4)))
            if line.count == 3 || line[line.index(line.startIndex, offsetBy: 3)] == " " {
                guard codes.contains(code) else {
                    throw SMTPFailure(
                        description: "SMTP \(code) \(texts.last ?? "")".prefix(300).description, permanent: finalRefusal && (500..<600).contains(code))
                }
                return texts
            }
        }
        throw SMTPFailure(description: "the server's reply is too long", permanent: false)
    }
}
