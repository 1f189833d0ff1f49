import Foundation
import Hummingbird
import NIOCore
import RedressCore
import RedressStore

/// What the timeline, the verification and the dossier answer.
extension DossierController {
    struct EventView: Encodable, Sendable {
        let seq: Int
        let at: Date
        let action: String
        let actorRole: String
        let actorOrganizationID: ResourceID?
        let changes: [String: TimelineEvent.Change]
        let hash: String

        init(_ event: TimelineEvent) {
            seq = event.seq
            at = event.occurredAt
            action = event.action
            actorRole = event.actorRole
            actorOrganizationID = ResourceID(event.actorOrganizationID)
            changes = event.changes
            hash = event.hash
        }
    }

    struct TimelineResponse: Encodable, Sendable {
        let complaintID: ResourceID
        let events: [EventView]
        /// Present while more events follow: pass it back as `cursor`.
        let nextCursor: Nullable<String>
    }

    struct DossierResponse: Encodable, Sendable {
        struct PlatformFacts: Encodable, Sendable {
            let name: String
            let companyName: String
            let creditCode: String
            let registeredAddress: String
            let website: String?
        }
        let generatedAt: Date
        let complaint: ComplaintResponse
        let platform: PlatformFacts
        let evidence: [EvidenceController.EvidenceResponse]
        /// Unfair terms and retaliation threats, with the legal basis and the mediator's decision.
        let flags: [FlagController.FlagResponse]
        /// The consumer's supplements, dated, after the statement as filed.
        let supplements: [MessageController.MessageResponse]
        let timeline: [EventView]
        let recommendedChannels: [ReferralChannel]
        /// For a court or the police: the record of the merchant the case names, across platforms (its
        /// company's merchants by credit code), as far as the reader may see it; absent otherwise.
        var merchantRecord: MerchantRecordController.RecordResponse? = nil
        let audit: AuditExport
    }

    /// The case's audit chain as stored, for verification offline (Docs/audit.md,
    /// Tools/verify-dossier.py): every event's link, its content unless it is another organisation's
    /// internal note (then only its hashes, which the next link still binds), and the proof that the
    /// chain's anchored head is covered by the published anchor roots.
    struct AuditExport: Encodable, Sendable {
        struct Link: Encodable, Sendable {
            let seq: Int
            let prevHash: String
            let hash: String
            let content: Nullable<String>
        }

        struct Step: Encodable, Sendable {
            let side: String
            let hash: String
        }

        struct LaterAnchor: Encodable, Sendable {
            let id: Int
            let anchoredAt: Date
            let treeRoot: String
            let root: String
        }

        struct Anchoring: Encodable, Sendable {
            let anchorID: Int
            let anchoredAt: Date
            let head: [String: String]
            let path: [Step]
            let previousRoot: Nullable<String>
            let root: String
            let laterAnchors: [LaterAnchor]

            init(_ proof: AuditAnchor.Proof) {
                anchorID = proof.anchorID
                anchoredAt = proof.createdAt
                head = ["seq": String(proof.head.seq), "hash": proof.head.hash.hexString]
                path = proof.path.map { Step(side: $0.siblingIsLeft ? "left" : "right", hash: $0.sibling.hexString) }
                previousRoot = Nullable(proof.previousRoot?.hexString)
                root = proof.root.hexString
                laterAnchors = proof.later.map { LaterAnchor(id: $0.id, anchoredAt: $0.createdAt, treeRoot: $0.treeRoot.hexString, root: $0.root.hexString) }
            }

        }

        let format = "redress-audit-chain/1"
        let chain: String
        let events: [Link]
        /// `null` until an anchor covers the chain.
        let anchoring: Nullable<Anchoring>
    }

    struct VerificationResponse: Encodable, Sendable {
        let complaintID: ResourceID
        let events: Int
        let valid: Bool
        let firstBrokenLink: [String: String]?
    }
}
