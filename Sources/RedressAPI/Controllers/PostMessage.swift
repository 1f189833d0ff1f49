import Foundation
import RedressCore
import RedressStore

/// Writing to a case's thread, for the API and the console alike: parties only, `internal` notes for
/// an organisation's own staff, at most so many an hour per author and case, and what the seller's
/// side tells the parties checked for flags (an unfair clause quoted, a threat).
struct PostMessage {
    let database: Database
    let configuration: APIConfiguration
    /// Bounds one account's requests in flight before they take a connection.
    let writes: CallerGate

    @discardableResult
    func callAsFunction(
        visibility requested: String?, body: String?, on complaintID: UUID, by actor: Actor, context: RedressRequestContext
    ) async throws -> MessageRecord {
        var fields = FieldValidator()
        let visibility = MessageRecord.Visibility(rawValue: requested ?? "parties")
        if visibility == nil { fields.fail("visibility", "unknown_value") }
        if visibility == .internal && actor.organizationID == nil { fields.fail("visibility", "internal_needs_an_organisation") }
        let text = fields.paragraph(body, field: "body", maxLength: 5000)
        try fields.check()
        let message = MessageRecord(
            id: UUID(), complaintID: complaintID, authorID: actor.accountID, authorRole: actor.role.rawValue,
            authorOrganizationID: actor.organizationID, visibility: visibility ?? .parties, body: text, createdAt: configuration.clock.now())
        let limit = configuration.messagesPerCasePerHour, lockWait = configuration.quotaLockWait
        try await writes.withPlace(for: actor.accountID) {
            try await database.transaction(as: context.identity, origin: context.origin) { transaction in
                let relations = try await MessageController.requireParty(actor, complaintID: complaintID, transaction)
                try await transaction.requireMessageQuota(
                    complaintID: complaintID, authorID: actor.accountID, limit: limit, window: .seconds(3600), lockWait: lockWait)
                try await transaction.insertMessage(message, actor: context.auditActor)
                if message.visibility == .parties, !relations.isDisjoint(with: [.platform, .merchant]) {
                    try await transaction.raiseFlags(
                        FlagRecognition.flags(
                            in: [message.body], complaintID: complaintID, source: .message, sourceID: message.id, by: actor.accountID,
                            at: message.createdAt),
                        actor: context.auditActor)
                }
            }
        }
        return message
    }
}
