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

    /// One stored event, its columns as the database sent them in binary: text as UTF-8, `bigint`
    /// as eight big-endian bytes, `bytea` as is, `uuid` as its sixteen bytes. Verification reads
    /// millions of events; decoding each column into a Swift value cost more than hashing it.
    public struct StoredEvent {
        public var chain: ByteBuffer
        public var seq: Int64
        public var prevHash: ByteBuffer
        public var hash: ByteBuffer
        public var content: ByteBuffer
        public var action: ByteBuffer
        public var entityID: ByteBuffer
    }

    private var result = Result()
    /// `result.firstBroken != nil`, kept apart: testing the optional copies it for every event.
    private var isBroken = false
    private var chain: [UInt8]?
    private var expectedSeq: Int64 = 1
    private var previousHash = [UInt8](repeating: 0, count: 32)
    /// Rebuilt in place for each event, so that an event allocates nothing: the bytes hashed before
    /// its content, the start its content must have, and its entity's part.
    private var header: [UInt8] = []
    private var expectedStart: [UInt8] = []
    private var expectedEntity: [UInt8] = []

    public init() {}

    /// Feeds the next event, in chain and sequence order. Returns `false` once a break is found.
    @discardableResult
    public mutating func add(_ event: StoredEvent) -> Bool {
        guard !isBroken else { return false }
        if chain.map({ !Self.equal(event.chain, $0) }) ?? true {
            chain = Self.bytes(event.chain)
            result.chains += 1
            expectedSeq = 1
            previousHash = [UInt8](repeating: 0, count: 32)
        }
        result.events += 1
        func broken(_ problem: String) -> Bool {
            isBroken = true
            result.firstBroken = Broken(chain: String(decoding: chain ?? [], as: UTF8.self), seq: Int(event.seq), problem: problem)
            return false
        }
        let seq = event.seq
        if seq != expectedSeq { return broken(seq > expectedSeq ? "event \(expectedSeq) is missing" : "sequence out of order (expected \(expectedSeq))") }
        if !Self.equal(event.prevHash, previousHash) { return broken("its previous hash is not the hash of the event before it") }

        header.removeAll(keepingCapacity: true)
        Self.append(event.chain, to: &header)
        header.append(UInt8(ascii: "\n"))
        Self.appendDecimal(seq, to: &header)
        header.append(UInt8(ascii: "\n"))
        for byte in previousHash { Self.appendHex(byte, to: &header) }
        header.append(UInt8(ascii: "\n"))

        // The content is canonical JSON (sorted keys, no whitespace): "action" is its first key, and the
        // entity reads {"id":…,"type":…}. Matching the bytes is exact and far cheaper than parsing.
        expectedStart.removeAll(keepingCapacity: true)
        expectedStart.append(contentsOf: Self.actionPrefix)
        Self.append(event.action, to: &expectedStart)
        expectedStart.append(contentsOf: Self.actionSuffix)
        guard event.entityID.readableBytes == 16 else { return broken("its entity id is not a uuid") }
        expectedEntity.removeAll(keepingCapacity: true)
        expectedEntity.append(contentsOf: Self.entityPrefix)
        event.entityID.withUnsafeReadableBytes { id in
            for index in 0..<16 {
                if index == 4 || index == 6 || index == 8 || index == 10 { expectedEntity.append(UInt8(ascii: "-")) }
                Self.appendHex(id[index], to: &expectedEntity)
            }
        }
        expectedEntity.append(UInt8(ascii: "\""))

        let (hashMatches, columnsMatch) = event.content.withUnsafeReadableBytes { bytes -> (Bool, Bool) in
            var hasher = SHA256()
            header.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            hasher.update(bufferPointer: bytes)
            let computed = hasher.finalize()
            let hashMatches = computed.withUnsafeBytes { Self.equal(event.hash, $0) }
            let columnsMatch = bytes.starts(with: expectedStart) && expectedEntity.withUnsafeBytes { Self.containsNearEnd(bytes, $0) }
            return (hashMatches, columnsMatch)
        }
        if !hashMatches { return broken("its content or links were changed after it was written (hash differs)") }
        if !columnsMatch { return broken("its columns differ from its hashed content") }
        expectedSeq += 1
        previousHash.removeAll(keepingCapacity: true)
        Self.append(event.hash, to: &previousHash)
        return true
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
    private static let actionPrefix = Array("{\"action\":\"".utf8)
    private static let actionSuffix = Array("\",".utf8)
    private static let entityPrefix = Array("\"entity\":{\"id\":\"".utf8)

    // ByteBufferView's collection methods go element by element; these copy and compare memory.
    private static func append(_ buffer: ByteBuffer, to bytes: inout [UInt8]) {
        buffer.withUnsafeReadableBytes { bytes.append(contentsOf: $0) }
    }

    private static func bytes(_ buffer: ByteBuffer) -> [UInt8] {
        buffer.withUnsafeReadableBytes { Array($0) }
    }

    private static func equal(_ buffer: ByteBuffer, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { equal(buffer, $0) }
    }

    private static func equal(_ buffer: ByteBuffer, _ bytes: UnsafeRawBufferPointer) -> Bool {
        buffer.withUnsafeReadableBytes { own in
            own.count == bytes.count && (own.isEmpty || memcmp(own.baseAddress!, bytes.baseAddress!, own.count) == 0)
        }
    }

    private static func appendHex(_ byte: UInt8, to bytes: inout [UInt8]) {
        bytes.append(hexDigits[Int(byte >> 4)])
        bytes.append(hexDigits[Int(byte & 0x0F)])
    }

    private static func appendDecimal(_ value: Int64, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        let start = bytes.endIndex
        var rest = value.magnitude
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        } while rest > 0
        bytes[start...].reverse()
    }

    /// Compares a chain's head (kept by the database as events are written) with the chain's stored
    /// last event — once every link has verified, that is the last link: events removed from the end
    /// of a chain leave the head ahead of them.
    public mutating func checkHead(chain: String, headSeq: Int, lastSeq: Int?) {
        guard !isBroken else { return }
        isBroken = true  // every path below names the head as broken
        guard let lastSeq else {
            result.firstBroken = Broken(chain: chain, seq: 1, problem: "all \(headSeq) events of the chain are missing")
            return
        }
        // `lastSeq + 1` only below the head: a seq set to the largest bigint must not trap.
        result.firstBroken = Broken(
            chain: chain, seq: lastSeq < headSeq ? lastSeq + 1 : headSeq,
            problem: lastSeq < headSeq ? "events \(lastSeq + 1)–\(headSeq) are missing from the end" : "the chain does not end where its head says")
    }

    public var outcome: Result { result }

    /// An event whose column is null or malformed, met in chain order: the first break unless one came
    /// before it.
    mutating func unreadable(_ event: AuditRowError) {
        guard !isBroken else { return }
        isBroken = true
        result.firstBroken = Broken(chain: event.chain ?? "", seq: Int(event.seq ?? 0), problem: "its \(event.column) is missing (null)")
    }

    /// Whether `bytes` contain `pattern`, searching from the end: the top-level `entity` key comes
    /// after `changes` (sorted keys), about a hundred bytes before the end.
    static func containsNearEnd(_ bytes: UnsafeRawBufferPointer, _ pattern: UnsafeRawBufferPointer) -> Bool {
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

extension AuditVerifier.StoredEvent {
    /// The columns of `SELECT chain_id, seq, prev_hash, hash, content, action, entity_id`, in that order.
    /// A null column (a superuser can drop a NOT NULL constraint) throws `AuditRowError` naming it,
    /// with the event's chain and number when those were read.
    init(_ row: PostgresRow) throws {
        var cells = row.makeIterator()
        var chainID: ByteBuffer?, number: Int64?
        func next(_ column: String) throws -> ByteBuffer {
            guard let cell = cells.next(), cell.format == .binary, let bytes = cell.bytes else {
                throw AuditRowError(column: column, chain: chainID.map { String(buffer: $0) }, seq: number)
            }
            return bytes
        }
        chain = try next("chain_id")
        chainID = chain
        let seqBytes = try next("seq")
        guard seqBytes.readableBytes == 8, let seq = seqBytes.getInteger(at: seqBytes.readerIndex, as: Int64.self) else {
            throw AuditRowError(column: "seq", chain: String(buffer: chain), seq: nil)
        }
        self.seq = seq
        number = seq
        prevHash = try next("prev_hash")
        hash = try next("hash")
        content = try next("content")
        action = try next("action")
        entityID = try next("entity_id")
    }
}

/// An audit event the verifier cannot read: a column null (its constraint dropped) or not in the form
/// the query asks for.
struct AuditRowError: Error, CustomStringConvertible {
    let column: String
    let chain: String?
    let seq: Int64?
    var description: String { "audit_events.\(column) is null or not in the form asked for (chain \(chain ?? "?"), event \(seq.map(String.init) ?? "?"))" }
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
        for try await row in rows {
            do {
                verifier.add(try AuditVerifier.StoredEvent(row))
            } catch let unreadable as AuditRowError {
                // A null where the chain needs a value breaks it there (a chain and number are never null:
                // they are the primary key).
                verifier.unreadable(unreadable)
            }
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
    /// Every chain recomputed in the service: `partitions` transactions at once read consecutive
    /// ranges of chain ids in chain order (PostgreSQL reading and Swift hashing on every core), then
    /// every head. The first broken link is the same one a single pass in chain order names. Slower
    /// than `verifyAllAuditChains` (which recomputes in the database); for whoever wants every hash
    /// computed outside PostgreSQL.
    public func recomputeAllAuditChainsInService(partitions: Int) async throws -> AuditVerifier.Result {
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
