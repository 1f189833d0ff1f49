import Crypto
import Foundation
import PostgresNIO
import RedressCore

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
    private var chain: String?
    private var expectedSeq = 1
    private var previousHash = [UInt8](repeating: 0, count: 32)

    public init() {}

    /// Feeds the next event, in chain and sequence order. Returns `false` once a break is found.
    @discardableResult
    public mutating func add(chain: String, seq: Int, prevHash: [UInt8], hash: [UInt8], content: String, action: String, entityID: UUID) -> Bool {
        var buffer = ByteBuffer()
        buffer.writeString(content)
        return add(chain: chain, seq: seq, prevHash: prevHash, hash: hash, content: buffer, action: action, entityID: entityID)
    }

    /// The same, with the content as the bytes the database sent (no string is made of it).
    @discardableResult
    public mutating func add(chain: String, seq: Int, prevHash: [UInt8], hash: [UInt8], content: ByteBuffer, action: String, entityID: UUID) -> Bool {
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
        // The content is canonical JSON (sorted keys, no whitespace): "action" is its first key, and the
        // entity reads {"id":…,"type":…}. Matching the bytes is exact and far cheaper than parsing,
        // which matters at millions of events.
        let (hashMatches, columnsMatch) = content.withUnsafeReadableBytes { bytes -> (Bool, Bool) in
            var hasher = SHA256()
            hasher.update(data: Array("\(chain)\n\(seq)\n\(prevHash.hexString)\n".utf8))
            hasher.update(bufferPointer: bytes)
            let computed = Array(hasher.finalize())
            let prefix = Array("{\"action\":\"\(action)\",".utf8)
            let entity = Self.entityPrefix + entityID.lowercasedUTF8 + [UInt8(ascii: "\"")]
            return (computed == hash, bytes.starts(with: prefix) && Self.containsNearEnd(bytes, entity))
        }
        if !hashMatches { return broken("its content or links were changed after it was written (hash differs)") }
        if !columnsMatch { return broken("its columns differ from its hashed content") }
        expectedSeq += 1
        previousHash = hash
        return true
    }

    /// Compares a chain's head (kept by the database as events are written) with the chain's stored
    /// last event — once every link has verified, that is the last link: events removed from the end
    /// of a chain leave the head ahead of them.
    public mutating func checkHead(chain: String, headSeq: Int, lastSeq: Int?) {
        guard result.firstBroken == nil else { return }
        guard let lastSeq else {
            result.firstBroken = Broken(chain: chain, seq: 1, problem: "all \(headSeq) events of the chain are missing")
            return
        }
        result.firstBroken = Broken(
            chain: chain, seq: min(lastSeq + 1, headSeq),
            problem: lastSeq < headSeq ? "events \(lastSeq + 1)–\(headSeq) are missing from the end" : "the chain does not end where its head says")
    }

    public var outcome: Result { result }

    private static let entityPrefix = Array("\"entity\":{\"id\":\"".utf8)

    /// Whether `bytes` contain `pattern`, searching from the end: the top-level `entity` key comes
    /// after `changes` (sorted keys), about a hundred bytes before the end.
    static func containsNearEnd(_ bytes: UnsafeRawBufferPointer, _ pattern: [UInt8]) -> Bool {
        guard let first = pattern.first else { return true }
        guard pattern.count <= bytes.count else { return false }
        var index = bytes.count - pattern.count
        while index >= 0 {
            if bytes[index] == first {
                var offset = 1
                while offset < pattern.count && bytes[index + offset] == pattern[offset] { offset += 1 }
                if offset == pattern.count { return true }
            }
            index -= 1
        }
        return false
    }
}

/// Chain ids from `from` (inclusive) to `below` (exclusive); `nil`: unbounded.
public struct AuditChainRange: Sendable, Equatable {
    public let from: String?
    public let below: String?

    public init(from: String?, below: String?) {
        self.from = from
        self.below = below
    }

    /// `count` ranges that cover every chain in order, cut at the complaint chains' first hex digit
    /// (`complaint:<uuid>`: random ids, and most of the events): roughly equal shares.
    public static func partitions(_ count: Int) -> [AuditChainRange] {
        let count = max(1, min(count, 16))
        let cuts = (1..<count).map { "complaint:" + String(($0 * 16) / count, radix: 16) }
        let bounds: [String?] = [nil] + cuts + [nil]
        return (0..<count).map { AuditChainRange(from: bounds[$0], below: bounds[$0 + 1]) }
    }
}

extension Transaction {
    /// Verifies every chain (or one), streaming the events in order, then the chains' heads.
    public func verifyAuditChains(chain: String? = nil) async throws -> AuditVerifier.Result {
        var result = try await verifyAuditLinks(chain: chain)
        guard result.valid else { return result }
        result.firstBroken = try await firstMisplacedAuditHead(chain: chain)
        return result
    }

    /// Every link of the chains in `range` (or of one chain), in chain and sequence order.
    public func verifyAuditLinks(chain: String? = nil, range: AuditChainRange = .init(from: nil, below: nil)) async throws -> AuditVerifier.Result {
        var verifier = AuditVerifier()
        let rows = try await query(
            """
            SELECT chain_id, seq, prev_hash, hash, content, action, entity_id FROM audit_events
            WHERE (\(chain == nil) OR chain_id = \(chain ?? ""))
              AND (\(range.from == nil) OR chain_id >= \(range.from ?? ""))
              AND (\(range.below == nil) OR chain_id < \(range.below ?? ""))
            ORDER BY chain_id, seq
            """)
        // Read to the end even after a break: the rows must be drained before the transaction ends.
        for try await (chainID, seq, prev, hash, content, action, entity) in rows.decode((String, Int64, ByteBuffer, ByteBuffer, ByteBuffer, String, UUID).self) {
            verifier.add(
                chain: chainID, seq: Int(seq), prevHash: Array(prev.readableBytesView), hash: Array(hash.readableBytesView), content: content,
                action: action, entityID: entity)
        }
        return verifier.outcome
    }

    /// The first head that is not its chain's last stored event (one index probe per chain, in the
    /// database: nothing per chain is kept in memory). Meaningful once every link has verified.
    public func firstMisplacedAuditHead(chain: String? = nil) async throws -> AuditVerifier.Broken? {
        var verifier = AuditVerifier()
        let mismatches: PostgresRowSequence
        if let chain {
            mismatches = try await query(
                """
                SELECT \(chain)::text, h.seq, last.seq FROM redress_audit_head(\(chain)) h
                LEFT JOIN LATERAL (
                    SELECT e.seq, e.hash FROM audit_events e WHERE e.chain_id = \(chain) ORDER BY e.seq DESC LIMIT 1
                ) last ON true
                WHERE last.seq IS DISTINCT FROM h.seq OR last.hash IS DISTINCT FROM h.hash
                """)
        } else {
            mismatches = try await query(
                """
                SELECT h.chain_id, h.seq, last.seq FROM redress_audit_heads() h
                LEFT JOIN LATERAL (
                    SELECT e.seq, e.hash FROM audit_events e WHERE e.chain_id = h.chain_id ORDER BY e.seq DESC LIMIT 1
                ) last ON true
                WHERE last.seq IS DISTINCT FROM h.seq OR last.hash IS DISTINCT FROM h.hash
                ORDER BY h.chain_id LIMIT 1
                """)
        }
        for try await (chainID, headSeq, lastSeq) in mismatches.decode((String, Int64, Int64?).self) {
            verifier.checkHead(chain: chainID, headSeq: Int(headSeq), lastSeq: lastSeq.map(Int.init))
        }
        return verifier.outcome.firstBroken
    }
}

extension Database {
    /// Every chain, verified by `partitions` transactions at once over consecutive ranges of chain
    /// ids (PostgreSQL reading and Swift hashing on every core), then every head. The first broken
    /// link is the same one a single pass in chain order names.
    public func verifyAllAuditChains(partitions: Int) async throws -> AuditVerifier.Result {
        let ranges = AuditChainRange.partitions(partitions)
        let parts = try await withThrowingTaskGroup(of: (Int, AuditVerifier.Result).self) { group in
            for (index, range) in ranges.enumerated() {
                group.addTask {
                    let part = try await self.transaction(as: .commandLine, origin: .commandLine) { try await $0.verifyAuditLinks(range: range) }
                    return (index, part)
                }
            }
            var parts: [(Int, AuditVerifier.Result)] = []
            for try await part in group { parts.append(part) }
            return parts.sorted { $0.0 < $1.0 }.map(\.1)
        }
        var result = AuditVerifier.Result()
        for part in parts {
            result.chains += part.chains
            result.events += part.events
            if result.firstBroken == nil { result.firstBroken = part.firstBroken }
        }
        guard result.valid else { return result }
        result.firstBroken = try await transaction(as: .commandLine, origin: .commandLine) { try await $0.firstMisplacedAuditHead() }
        return result
    }
}
