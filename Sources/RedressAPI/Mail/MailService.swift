import Foundation
import Logging
import RedressCore
import RedressStore
import ServiceLifecycle

/// Turns the outbox's events into mails, and sends the mail queue. Runs in every replica:
/// - the notifier takes events from the notification queue (written with each event) with
///   `FOR UPDATE SKIP LOCKED` and queues their mails in the transaction that removes them from it:
///   every event is mailed about once, and no transaction elsewhere holds mail back;
/// - the sender claims due mails with `FOR UPDATE SKIP LOCKED` under a lease, hands each to the
///   transport outside any transaction, and records the outcome (retries with backoff, then dead).
public struct MailService: Service {
    let database: Database
    let settings: MailSettings
    let logger: Logger
    static let system = DatabaseIdentity(role: "system")

    public init(database: Database, settings: MailSettings, logger: Logger) {
        self.database = database
        self.settings = settings
        self.logger = logger
    }

    public func run() async throws {
        switch settings.transport {
        case .smtp(let smtp): logger.notice("mail is sent by SMTP", metadata: ["server": "\(smtp.description)"])
        case .directory(let folder):
            logger.notice("REDRESS_SMTP_URL is not set: mail is written to a folder, not sent", metadata: ["folder": "\(folder)"])
        }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                var busy = false
                do {
                    busy = try await notifyOnce() == Self.eventsPerPass
                    busy = try await sendOnce() == settings.concurrency || busy
                } catch where !Task.isCancelled {
                    logger.error("mail failed", metadata: ["error": "\(String(reflecting: error))"])
                } catch {
                    return
                }
                if !busy { try? await Task.sleep(for: settings.pollInterval) }
            }
        }
    }

    static let eventsPerPass = 100

    /// Queues the mails of the next events of the outbox; returns how many events it read.
    @discardableResult
    public func notifyOnce() async throws -> Int {
        try await database.transaction(as: Self.system, origin: .commandLine) { transaction in
            let events = try await transaction.takeNotifiableEvents(limit: Self.eventsPerPass)
            for item in events {
                try await queueMails(for: item, transaction)
            }
            return events.count
        }
    }

    private func queueMails(for item: NotifiableEvent, _ transaction: Transaction) async throws {
        // An internal note is its organisation's business.
        guard item.internalOrganization == nil else { return }
        let event = item.event
        var mailed: Set<UUID> = item.actorID.map { [$0] } ?? []
        for rule in NotificationRules.rules(for: event.type, state: event.state.flatMap(ComplaintState.init(rawValue:))) {
            for recipient in try await transaction.mailRecipients(complaintID: event.complaintID, audience: rule.audience, category: rule.category)
            where mailed.insert(recipient.accountID).inserted {
                let unsubscribe = unsubscribeURL(accountID: recipient.accountID, category: rule.category)
                guard
                    let text = MailTemplates.caseMail(
                        type: event.type, complaintID: event.complaintID, state: event.state, language: recipient.language,
                        link: "\(settings.publicURL)/console/cases/\(event.complaintID.uuidString.lowercased())", unsubscribe: unsubscribe)
                else { continue }
                try await transaction.queueMail(
                    QueuedMail(
                        accountID: recipient.accountID, to: recipient.email, subject: text.subject, body: text.body, category: rule.category.rawValue,
                        unsubscribeURL: unsubscribe))
            }
        }
    }

    func unsubscribeURL(accountID: UUID, category: MailCategory) -> String {
        "\(settings.publicURL)/api/v1/notifications/unsubscribe?token=\(database.keys.unsubscribeToken(accountID: accountID, category: category))"
    }

    /// Sends one batch of due mails; returns how many it claimed.
    @discardableResult
    public func sendOnce() async throws -> Int {
        let claimed = try await database.transaction(as: Self.system, origin: .commandLine) { transaction in
            try await transaction.claimDueMails(limit: settings.concurrency, lease: settings.lease)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for mail in claimed { group.addTask { try await send(mail) } }
            try await group.waitForAll()
        }
        return claimed.count
    }

    private func send(_ mail: QueuedMail) async throws {
        let message = MailMessage(id: mail.id, from: settings.from, to: mail.to, subject: mail.subject, body: mail.body, unsubscribeURL: mail.unsubscribeURL)
        let rendered = message.rendered(at: Date(), domain: settings.domain)
        var failure: String?
        var permanent = false
        do {
            switch settings.transport {
            case .smtp(let smtp):
                try await SMTPClient(settings: smtp).send(from: settings.from, to: mail.to, message: rendered)
            case .directory(let folder):
                try Self.write(rendered, id: mail.id, to: folder)
            }
        } catch let error as SMTPFailure {
            failure = error.description
            permanent = error.permanent
        } catch {
            failure = "\(error)"
        }
        let retryAfter: Duration? =
            permanent || mail.attempt >= settings.retry.maximumAttempts
            ? nil : settings.retry.delay(afterAttempt: mail.attempt, unit: Double.random(in: 0..<1))
        try await database.transaction(as: Self.system, origin: .commandLine) { transaction in
            try await transaction.recordMailAttempt(mail, error: failure, retryAfter: retryAfter)
        }
        database.metrics.mailSent(result: failure == nil ? "sent" : retryAfter == nil ? "dead" : "failed")
        if let failure {
            logger.notice("mail not sent", metadata: ["mail": "\(mail.id)", "attempt": "\(mail.attempt)", "error": "\(failure)", "dead": "\(retryAfter == nil)"])
        }
    }

    /// The log sink: one file per mail, readable by the operator only.
    static func write(_ rendered: String, id: UUID, to folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let path = (folder as NSString).appendingPathComponent("\(id.uuidString.lowercased()).eml")
        guard FileManager.default.createFile(atPath: path, contents: Data(rendered.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw SMTPFailure(description: "cannot write \(path)", permanent: false)
        }
    }
}
