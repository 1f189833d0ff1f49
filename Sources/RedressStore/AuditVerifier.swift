import Crypto
import Foundation
import PostgresNIO

/// Recomputes audit chains and names the first broken link: an event edited, removed or reordered —
/// also by a superuser who bypassed the triggers.
public struct AuditVerifier: Sendable {
    public struct Broken: Sendable, Equatable, CustomStringConvertible {
        public let chain: String
        public let seq: Int
        public let problem: String
        public var description: String { "chain \(chain), event \(seq): \(problem)" }
    }

    public struct Result: Sendable, Equatable {
        public var chains = 0
        public var events = 0
        public var firstBroken: Broken?
        public var valid: Bool { firstBroken == nil }
    }

    private var result = Result()
    /// The last link seen of each chain, to compare with the chain heads.
    private(set) var lastLinks: [String: (seq: Int, hash: [UInt8])] = [:]
    private var chain: String?
    private var expectedSeq = 1
    private var previousHash = [UInt8](repeating: 0, count: 32)

    public init() {}

    /// Feeds the next event, in chain and sequence order. Returns `false` once a break is found.
    @discardableResult
    public mutating func add(chain: String, seq: Int, prevHash: [UInt8], hash: [UInt8], content: String, action: String, entityID: UUID) -> Bool {
        guard result.firstBroken == nil else { return false }
        if chain != self.chain {
            self.chain = chain
            result.chains += 1
            expectedSeq = 1
            previousHash = [UInt8](repeating: 0, count: 32)
        }
        result.events += 1
        func broken(_ problem: String) -> Bool {
            result.firstBroken = Broken(chain: chain, seq: seq, problem: problem)
            return false
        }
        if seq != expectedSeq { return broken(seq > expectedSeq ? "event \(expectedSeq) is missing" : "sequence out of order (expected \(expectedSeq))") }
        if prevHash != previousHash { return broken("its previous hash is not the hash of the event before it") }
        let preimage = "\(chain)\n\(seq)\n\(prevHash.hexString)\n\(content)"
        if Array(SHA256.hash(data: Data(preimage.utf8))) != hash { return broken("its content or links were changed after it was written (hash differs)") }
        if let parsed = (try? JSONSerialization.jsonObject(with: Data(content.utf8))) as? [String: Any] {
            let entity = (parsed["entity"] as? [String: Any])?["id"] as? String
            if parsed["action"] as? String != action || entity != entityID.uuidString.lowercased() {
                return broken("its columns differ from its hashed content")
            }
        } else {
            return broken("its content is not the JSON that was hashed")
        }
        expectedSeq += 1
        previousHash = hash
        lastLinks[chain] = (seq, hash)
        return true
    }

    /// Compares a chain's head (kept by the database as events are written) with its last event:
    /// events removed from the end of a chain leave the head ahead of them.
    public mutating func checkHead(chain: String, seq: Int, hash: [UInt8]) {
        guard result.firstBroken == nil else { return }
        let last = lastLinks[chain]
        if last == nil && seq > 0 {
            result.firstBroken = Broken(chain: chain, seq: 1, problem: "all \(seq) events of the chain are missing")
        } else if let last, last.seq != seq || last.hash != hash {
            result.firstBroken = Broken(
                chain: chain, seq: min(last.seq + 1, seq),
                problem: last.seq < seq ? "events \(last.seq + 1)–\(seq) are missing from the end" : "the chain does not end where its head says")
        }
    }

    public var outcome: Result { result }
}

extension Transaction {
    /// Verifies every chain (or one), streaming the events in order.
    public func verifyAuditChains(chain: String? = nil) async throws -> AuditVerifier.Result {
        var verifier = AuditVerifier()
        let rows = try await query(
            """
            SELECT chain_id, seq, prev_hash, hash, content, action, entity_id FROM audit_events
            WHERE (\(chain == nil) OR chain_id = \(chain ?? ""))
            ORDER BY chain_id, seq
            """)
        // Read to the end even after a break: the rows must be drained before the transaction ends.
        for try await (chainID, seq, prev, hash, content, action, entity) in rows.decode((String, Int64, ByteBuffer, ByteBuffer, String, String, UUID).self) {
            verifier.add(
                chain: chainID, seq: Int(seq), prevHash: Array(prev.readableBytesView), hash: Array(hash.readableBytesView), content: content,
                action: action, entityID: entity)
        }
        let heads: PostgresRowSequence
        if let chain {
            heads = try await query("SELECT \(chain), seq, hash FROM redress_audit_head(\(chain))")
        } else {
            heads = try await query("SELECT chain_id, seq, hash FROM redress_audit_heads()")
        }
        for try await (chainID, seq, hash) in heads.decode((String, Int64, ByteBuffer).self) {
            verifier.checkHead(chain: chainID, seq: Int(seq), hash: Array(hash.readableBytesView))
        }
        return verifier.outcome
    }
}
