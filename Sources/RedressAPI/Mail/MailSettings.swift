import Foundation
import RedressCore

/// How mail leaves Redress (Docs/integrations.md, Docs/configuration.md).
public struct MailSettings: Sendable {
    public enum Transport: Sendable, Equatable {
        /// Submitted to an SMTP server (REDRESS_SMTP_URL).
        case smtp(SMTPSettings)
        /// Written as .eml files to a folder the operator reads (REDRESS_MAIL_DIR): no mail leaves.
        case directory(String)
    }

    public var transport = Transport.directory(".redress/mail")
    /// The sender of every mail (REDRESS_MAIL_FROM).
    public var from = "Redress <redress@localhost>"
    /// Where links in mails point (REDRESS_PUBLIC_URL): the address people reach this service at.
    public var publicURL = "http://127.0.0.1:8080"
    public var retry = RetrySchedule(base: .seconds(60), maximumDelay: .seconds(3600), maximumAttempts: 10)
    public var pollInterval: Duration = .seconds(1)
    /// Mails one replica sends at once.
    public var concurrency = 4
    public var lease: Duration = .seconds(120)

    public init() {}

    /// The domain of the sender's address, for Message-IDs.
    var domain: String {
        let address = SMTPClient.address(from)
        return address.split(separator: "@").last.map(String.init) ?? "localhost"
    }
}
