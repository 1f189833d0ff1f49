import Crypto
import Foundation
import PostgresNIO

/// One digest over every chain's head: a Merkle tree whose leaves are
/// SHA-256("redress-anchor-leaf\n" + chain_id + "\n" + seq + "\n" + hex(hash)), in chain_id order,
/// each level pairing neighbours as SHA-256(left ‖ right) and carrying an odd last node up unchanged.
public enum AuditAnchor {
    public struct Head: Sendable, Equatable {
        public let chain: String
        public let seq: Int
        public let hash: [UInt8]

        public init(chain: String, seq: Int, hash: [UInt8]) {
            self.chain = chain
            self.seq = seq
            self.hash = hash
        }
    }

    public struct Anchor: Sendable, Equatable {
        public let id: Int
        public let createdAt: Date
        public let chains: Int
        public let events: Int
        public let root: [UInt8]
    }

    public static func root(of heads: [Head]) -> [UInt8] {
        var level = heads.sorted { $0.chain.utf8.lexicographicallyPrecedes($1.chain.utf8) }.map { head in
            Array(SHA256.hash(data: Data("redress-anchor-leaf\n\(head.chain)\n\(head.seq)\n\(head.hash.hexString)".utf8)))
        }
        guard !level.isEmpty else { return Array(SHA256.hash(data: Data("redress-anchor-empty".utf8))) }
        while level.count > 1 {
            var next: [[UInt8]] = []
            var index = 0
            while index < level.count {
                if index + 1 < level.count {
                    next.append(Array(SHA256.hash(data: Data(level[index] + level[index + 1]))))
                } else {
                    next.append(level[index])
                }
                index += 2
            }
            level = next
        }
        return level[0]
    }
}

extension Transaction {
    /// Anchors the current heads of every chain (operator only) and returns the anchor.
    public func anchorAuditChains() async throws -> AuditAnchor.Anchor {
        var heads: [AuditAnchor.Head] = []
        for try await (chain, seq, hash) in try await query("SELECT chain_id, seq, hash FROM redress_audit_heads()").decode((String, Int64, ByteBuffer).self) {
            heads.append(.init(chain: chain, seq: Int(seq), hash: Array(hash.readableBytesView)))
        }
        let root = AuditAnchor.root(of: heads)
        let events = heads.map(\.seq).reduce(0, +)
        var anchorID = 0
        for try await id in try await query(
            """
            INSERT INTO audit_anchors (created_at, chains, events, root)
            VALUES (\(now), \(heads.count), \(Int64(events)), \(PostgresByteBuffer(root))) RETURNING id
            """
        ).decode(Int64.self) { anchorID = Int(id) }
        try await query(
            """
            INSERT INTO audit_anchor_heads (anchor_id, chain_id, seq, hash)
            SELECT \(Int64(anchorID)), chain_id, seq, hash FROM redress_audit_heads()
            """)
        return AuditAnchor.Anchor(id: anchorID, createdAt: now, chains: heads.count, events: events, root: root)
    }

    /// Checks every anchor: its root still matches the heads it recorded, and every recorded head is
    /// still the event at that place of its chain. Returns the first problem, if any.
    public func verifyAnchors() async throws -> (anchors: Int, problem: String?) {
        var anchors: [(id: Int64, root: [UInt8])] = []
        for try await (id, root) in try await query("SELECT id, root FROM audit_anchors ORDER BY id").decode((Int64, ByteBuffer).self) {
            anchors.append((id, Array(root.readableBytesView)))
        }
        for anchor in anchors {
            var heads: [AuditAnchor.Head] = []
            for try await (chain, seq, hash) in try await query(
                "SELECT chain_id, seq, hash FROM audit_anchor_heads WHERE anchor_id = \(anchor.id)"
            ).decode((String, Int64, ByteBuffer).self) {
                heads.append(.init(chain: chain, seq: Int(seq), hash: Array(hash.readableBytesView)))
            }
            if AuditAnchor.root(of: heads) != anchor.root {
                return (anchors.count, "anchor \(anchor.id): its recorded heads no longer give its root")
            }
            var missing: String? = nil
            for try await chain in try await query(
                """
                SELECT h.chain_id FROM audit_anchor_heads h
                LEFT JOIN audit_events e ON e.chain_id = h.chain_id AND e.seq = h.seq AND e.hash = h.hash
                WHERE h.anchor_id = \(anchor.id) AND e.chain_id IS NULL
                ORDER BY h.chain_id LIMIT 1
                """
            ).decode(String.self) { missing = chain }
            if let missing { return (anchors.count, "anchor \(anchor.id): chain \(missing) no longer extends it") }
        }
        return (anchors.count, nil)
    }
}
