import Crypto
import Foundation
import PostgresNIO

/// Anchors: digests over the chains' heads, published outside the database (Docs/audit.md).
///
/// An anchor's tree is a Merkle tree whose leaves are
/// SHA-256("redress-anchor-leaf\n" + chain_id + "\n" + seq + "\n" + hex(hash)) in chain_id byte order,
/// each level pairing neighbours as SHA-256(left ‖ right) and carrying an odd last node up unchanged.
/// An incremental anchor's tree covers the chains that grew since the anchor before it, and its root is
/// SHA-256("redress-anchor\n" + hex(previous root) + "\n" + hex(tree root)): each root commits to every
/// anchor before it. (The first anchors, of migration 0008, covered every chain, root = tree root.)
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
        /// Chains covered by this anchor (those that grew since the one before).
        public let chains: Int
        /// Events in the store when it was made.
        public let events: Int
        public let root: [UInt8]
    }

    /// The previous root of the first incremental anchor when no anchor came before.
    public static let genesis = [UInt8](repeating: 0, count: 32)

    public static func leaf(_ head: Head) -> [UInt8] {
        Array(SHA256.hash(data: Data("redress-anchor-leaf\n\(head.chain)\n\(head.seq)\n\(head.hash.hexString)".utf8)))
    }

    public static func root(of heads: [Head]) -> [UInt8] {
        treeRoot(ofLeaves: heads.sorted { $0.chain.utf8.lexicographicallyPrecedes($1.chain.utf8) }.map(leaf))
    }

    public static func treeRoot(ofLeaves leaves: [[UInt8]]) -> [UInt8] {
        guard !leaves.isEmpty else { return Array(SHA256.hash(data: Data("redress-anchor-empty".utf8))) }
        var level = leaves
        while level.count > 1 {
            level = stride(from: 0, to: level.count, by: 2).map { index in
                index + 1 < level.count ? Array(SHA256.hash(data: Data(level[index] + level[index + 1]))) : level[index]
            }
        }
        return level[0]
    }

    /// One step from a node towards the root: the sibling's digest and on which side it stands.
    public struct PathStep: Sendable, Equatable {
        public let siblingIsLeft: Bool
        public let sibling: [UInt8]
    }

    /// The siblings from leaf `index` up to the root (levels where the node is carried up give none).
    public static func path(leaves: [[UInt8]], index: Int) -> [PathStep] {
        var steps: [PathStep] = []
        var level = leaves
        var position = index
        while level.count > 1 {
            if position % 2 == 1 {
                steps.append(PathStep(siblingIsLeft: true, sibling: level[position - 1]))
            } else if position + 1 < level.count {
                steps.append(PathStep(siblingIsLeft: false, sibling: level[position + 1]))
            }
            level = stride(from: 0, to: level.count, by: 2).map { i in
                i + 1 < level.count ? Array(SHA256.hash(data: Data(level[i] + level[i + 1]))) : level[i]
            }
            position /= 2
        }
        return steps
    }

    public static func link(previous: [UInt8], tree: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(data: Data("redress-anchor\n\(previous.hexString)\n\(tree.hexString)".utf8)))
    }

    /// What a third party needs to check that a chain's head is covered by a published root: the
    /// anchor that last covered the chain, the Merkle path of its head, and every anchor since.
    public struct Proof: Sendable {
        public struct Later: Sendable {
            public let id: Int
            public let createdAt: Date
            public let treeRoot: [UInt8]
            public let root: [UInt8]
        }
        public let anchorID: Int
        public let createdAt: Date
        public let head: Head
        public let path: [PathStep]
        /// `nil` for an anchor of every chain (root = tree root).
        public let previousRoot: [UInt8]?
        public let root: [UInt8]
        public let later: [Later]
    }
}

extension Transaction {
    /// Anchors the chains unless the last anchor is younger than `interval` (nil then): the service's
    /// anchoring job, which every replica runs, makes one anchor per interval between them. The check
    /// is made under the anchoring's lock, so two replicas due at once anchor once.
    public func anchorAuditChainsIfDue(interval: Duration) async throws -> AuditAnchor.Anchor? {
        try await lockAnchoring()
        for try await last in try await query("SELECT max(created_at) FROM audit_anchors").decode(Date?.self) {
            if let last, now.timeIntervalSince(last) < Double(interval.components.seconds) { return nil }
        }
        return try await anchorAuditChains()
    }

    /// One anchoring at a time, across replicas. The row is read so that an error while waiting (a
    /// deadlock, a timeout) is thrown here, not left to fail the next statement.
    private func lockAnchoring() async throws {
        for try await _ in try await query("SELECT pg_advisory_xact_lock(hashtext('redress-audit-anchor'))") {}
    }

    /// Anchors the heads of the chains that grew since the last anchor (operator only), linked to that
    /// anchor, and returns it. One anchoring at a time, across replicas.
    public func anchorAuditChains() async throws -> AuditAnchor.Anchor {
        try await lockAnchoring()
        var previous = AuditAnchor.genesis
        for try await root in try await query("SELECT root FROM audit_anchors ORDER BY id DESC LIMIT 1").decode(ByteBuffer.self) {
            previous = Array(root.readableBytesView)
        }
        var heads: [AuditAnchor.Head] = []
        var events = 0
        for try await (chain, seq, hash, anchored) in try await query(
            """
            SELECT h.chain_id, h.seq, h.hash, a.seq FROM redress_audit_heads() h
            LEFT JOIN audit_anchored_heads a ON a.chain_id = h.chain_id
            """
        ).decode((String, Int64, ByteBuffer, Int64?).self) {
            events += Int(seq)
            if anchored != seq { heads.append(.init(chain: chain, seq: Int(seq), hash: Array(hash.readableBytesView))) }
        }
        let tree = AuditAnchor.root(of: heads)
        let root = AuditAnchor.link(previous: previous, tree: tree)
        var anchorID = 0
        for try await id in try await query(
            """
            INSERT INTO audit_anchors (created_at, chains, events, root, incremental, previous_root, tree_root)
            VALUES (\(now), \(heads.count), \(Int64(events)), \(PostgresByteBuffer(root)), true, \(PostgresByteBuffer(previous)),
                    \(PostgresByteBuffer(tree)))
            RETURNING id
            """
        ).decode(Int64.self) { anchorID = Int(id) }
        // The heads exactly as hashed (not read again: events may have arrived meanwhile).
        let chains = heads.map(\.chain), seqs = heads.map { Int64($0.seq) }, hashes = heads.map(\.hash.hexString)
        try await query(
            """
            INSERT INTO audit_anchor_heads (anchor_id, chain_id, seq, hash)
            SELECT \(Int64(anchorID)), chain, seq, decode(hash, 'hex') FROM unnest(\(chains)::text[], \(seqs)::bigint[], \(hashes)::text[]) AS h (chain, seq, hash)
            """)
        try await query(
            """
            INSERT INTO audit_anchored_heads (chain_id, seq, anchor_id)
            SELECT chain, seq, \(Int64(anchorID)) FROM unnest(\(chains)::text[], \(seqs)::bigint[]) AS h (chain, seq)
            ON CONFLICT (chain_id) DO UPDATE SET seq = excluded.seq, anchor_id = excluded.anchor_id
            """)
        return AuditAnchor.Anchor(id: anchorID, createdAt: now, chains: heads.count, events: events, root: root)
    }

    /// Checks every anchor: its heads still give its tree root, its root links to the anchor before it,
    /// and every head it recorded is still the event at that place of its chain. Returns the first
    /// problem, if any.
    public func verifyAnchors() async throws -> (anchors: Int, problem: String?) {
        var anchors: [(id: Int64, root: [UInt8], incremental: Bool, previous: [UInt8]?, tree: [UInt8]?)] = []
        for try await (id, root, incremental, previous, tree) in try await query(
            "SELECT id, root, incremental, previous_root, tree_root FROM audit_anchors ORDER BY id"
        ).decode((Int64, ByteBuffer, Bool, ByteBuffer?, ByteBuffer?).self) {
            anchors.append((id, Array(root.readableBytesView), incremental, previous.map { Array($0.readableBytesView) },
                            tree.map { Array($0.readableBytesView) }))
        }
        var previousRoot = AuditAnchor.genesis
        for anchor in anchors {
            var heads: [AuditAnchor.Head] = []
            for try await (chain, seq, hash) in try await query(
                "SELECT chain_id, seq, hash FROM audit_anchor_heads WHERE anchor_id = \(anchor.id)"
            ).decode((String, Int64, ByteBuffer).self) {
                heads.append(.init(chain: chain, seq: Int(seq), hash: Array(hash.readableBytesView)))
            }
            let tree = AuditAnchor.root(of: heads)
            if anchor.incremental {
                if anchor.tree != tree { return (anchors.count, "anchor \(anchor.id): its recorded heads no longer give its tree root") }
                if anchor.previous != previousRoot { return (anchors.count, "anchor \(anchor.id): it no longer follows the anchor before it") }
                if AuditAnchor.link(previous: previousRoot, tree: tree) != anchor.root {
                    return (anchors.count, "anchor \(anchor.id): its root differs from its links")
                }
            } else if tree != anchor.root {
                return (anchors.count, "anchor \(anchor.id): its recorded heads no longer give its root")
            }
            previousRoot = anchor.root
        }
        for try await (anchor, chain) in try await query(
            """
            SELECT h.anchor_id, h.chain_id FROM audit_anchor_heads h
            LEFT JOIN audit_events e ON e.chain_id = h.chain_id AND e.seq = h.seq AND e.hash = h.hash
            WHERE e.chain_id IS NULL
            ORDER BY h.anchor_id, h.chain_id LIMIT 1
            """
        ).decode((Int64, String).self) {
            return (anchors.count, "anchor \(anchor): chain \(chain) no longer extends it")
        }
        return (anchors.count, nil)
    }

    /// The proof that `chain`'s head as last anchored is covered by every root published since;
    /// `nil` when no anchor covers the chain yet (or the caller may not read it).
    public func anchorProof(chain: String) async throws -> AuditAnchor.Proof? {
        var leaves: [[UInt8]] = []
        var own: (index: Int, anchor: Int64, seq: Int64, hash: [UInt8])? = nil
        for try await (anchor, seq, hash, leaf, isOwn) in try await query(
            "SELECT anchor_id, seq, hash, leaf, own FROM redress_anchor_leaves(\(chain))"
        ).decode((Int64, Int64?, ByteBuffer?, ByteBuffer, Bool).self) {
            if isOwn, let seq, let hash { own = (leaves.count, anchor, seq, Array(hash.readableBytesView)) }
            leaves.append(Array(leaf.readableBytesView))
        }
        guard let own else { return nil }
        var anchor: (createdAt: Date, previous: [UInt8]?, root: [UInt8])? = nil
        var later: [AuditAnchor.Proof.Later] = []
        for try await (id, createdAt, previous, tree, root) in try await query(
            "SELECT id, created_at, previous_root, tree_root, root FROM audit_anchors WHERE id >= \(own.anchor) ORDER BY id"
        ).decode((Int64, Date, ByteBuffer?, ByteBuffer?, ByteBuffer).self) {
            let rootBytes = Array(root.readableBytesView)
            if id == own.anchor {
                anchor = (createdAt, previous.map { Array($0.readableBytesView) }, rootBytes)
            } else if let tree {
                later.append(.init(id: Int(id), createdAt: createdAt, treeRoot: Array(tree.readableBytesView), root: rootBytes))
            }
        }
        guard let anchor else { return nil }
        // Every level of a tree of as many leaves as the anchor covers chains: long work for the CPU.
        let (finalLeaves, index) = (leaves, own.index)
        let path = try await LongWork.run { AuditAnchor.path(leaves: finalLeaves, index: index) }
        return AuditAnchor.Proof(
            anchorID: Int(own.anchor), createdAt: anchor.createdAt, head: .init(chain: chain, seq: Int(own.seq), hash: own.hash),
            path: path, previousRoot: anchor.previous, root: anchor.root, later: later)
    }
}
