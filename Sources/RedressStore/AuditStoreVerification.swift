import PostgresNIO

/// Pages of `audit_events` from block `from` (inclusive) to block `below` (exclusive).
public struct AuditBlockRange: Sendable, Equatable {
    public let from: Int
    public let below: Int

    /// Past any block a table can have (block numbers are 32-bit): the last range is open-ended, so
    /// that pages added since the table was measured are read too.
    static let end = Int(UInt32.max)

    /// `count` ranges of about equal size that cover a table of `blocks` pages, and what follows it.
    public static func partitions(_ count: Int, blocks: Int) -> [AuditBlockRange] {
        let count = max(1, min(count, 16))
        let blocks = max(0, min(blocks, end))
        let cuts = (0...count).map { $0 == count ? end : blocks / count * $0 + min($0, blocks % count) }
        return (0..<count).map { AuditBlockRange(from: cuts[$0], below: cuts[$0 + 1]) }
    }
}

/// What one share of the store's verification found.
struct AuditShareOutcome: Sendable {
    /// Chains and events whose links were compared (a share of chain ids).
    var chains = 0
    var linkedEvents = 0
    /// Events whose hash and columns were recomputed (a share of pages).
    var hashedEvents = 0
    /// The first head that is not its chain's last event (the heads' share).
    var misplacedHead: AuditVerifier.Broken?
    /// The first chain, in the column's order, with an event that fails.
    var firstBrokenChain: String?
}

extension Transaction {
    /// The pages of the audit table, as PostgreSQL last measured it.
    func auditTableBlocks() async throws -> Int {
        let rows = try await query("SELECT pg_relation_size('audit_events') / current_setting('block_size')::bigint")
        for try await blocks in rows.decode(Int64.self) { return Int(blocks) }
        return 0
    }

    /// Each event stored in the pages of `blocks`, read in the order it lies there (no sorting, each
    /// page once): its hash recomputed from its stored text, exactly as the chaining trigger computes
    /// it, and its action and entity columns compared with its content. Counts nothing per chain.
    /// (The entity is searched for in bytes: `strpos` on text counts the characters before a match.)
    func auditContentShare(blocks: AuditBlockRange) async throws -> AuditShareOutcome {
        let rows = try await query(
            """
            SELECT count(*), min(chain_id) FILTER (WHERE
                sha256(convert_to(chain_id || E'\\n' || seq || E'\\n' || encode(prev_hash, 'hex') || E'\\n' || content, 'UTF8')) <> hash
                OR NOT starts_with(content, '{"action":"' || action || '",')
                OR position(convert_to('"entity":{"id":"' || entity_id || '"', 'UTF8') in convert_to(content, 'UTF8')) = 0)
            FROM audit_events WHERE ctid >= \("(\(blocks.from),0)")::tid AND ctid < \("(\(blocks.below),0)")::tid
            """)
        var outcome = AuditShareOutcome()
        for try await (events, broken) in rows.decode((Int64, String?).self) {
            outcome.hashedEvents = Int(events)
            outcome.firstBrokenChain = broken
        }
        return outcome
    }

    /// The links of the chains in `range`, compared in chain order from the primary key's index alone
    /// (which carries both hashes): each chain numbered from 1 without a gap, its first previous hash
    /// 32 zero bytes, every other one the hash of the event before it.
    func auditLinkShare(range: AuditChainRange) async throws -> AuditShareOutcome {
        // `seq - 1` is computed only for an event after another, whose seq is therefore above the
        // smallest bigint: a seq set to either end of the range cannot make the comparison fail.
        let rows = try await query(
            """
            SELECT count(*) FILTER (WHERE before_seq IS NULL), count(*), min(chain_id) FILTER (WHERE CASE
                WHEN before_seq IS NULL THEN seq <> 1 OR prev_hash <> \(ByteBuffer(repeating: 0, count: 32))
                ELSE before_seq <> seq - 1 OR prev_hash <> before_hash END)
            FROM (
                SELECT chain_id, seq, prev_hash, lag(seq) OVER w AS before_seq, lag(hash) OVER w AS before_hash
                FROM audit_events
                WHERE (\(range.from == nil) OR chain_id >= \(range.from ?? ""))
                  AND (\(range.below == nil) OR chain_id < \(range.below ?? ""))
                WINDOW w AS (PARTITION BY chain_id ORDER BY seq)
            ) AS links
            """)
        var outcome = AuditShareOutcome()
        for try await (chains, events, broken) in rows.decode((Int64, Int64, String?).self) {
            outcome = AuditShareOutcome(chains: Int(chains), linkedEvents: Int(events), firstBrokenChain: broken)
        }
        return outcome
    }

    /// The first of `chains` in the order of the chain column (which is how verification orders
    /// chains); `nil` for none.
    func firstAuditChain(of chains: [String]) async throws -> String? {
        guard !chains.isEmpty else { return nil }
        let rows = try await query("SELECT min(c) FROM unnest(\(chains)::text[]) AS c")
        for try await first in rows.decode(String?.self) { return first }
        return nil
    }
}

extension Database {
    /// Every chain verified in the database, `streams` transactions at a time: the events' hashes and
    /// columns in shares of the table's pages, the links in shares of the chain ids (from the index),
    /// and every head. Only a broken chain is named back; the service then recomputes that one chain
    /// itself, in order, to name its first broken link, which is therefore the one a single pass in
    /// chain order names.
    ///
    /// Computing the hashes in PostgreSQL trusts its `sha256` as the service trusts it to hand over the
    /// stored bytes: whoever can replace either can also rewrite a chain and its head consistently,
    /// which no chain catches and anchors do (their roots are recomputed in the service).
    public func verifyAllAuditChains(partitions streams: Int) async throws -> AuditVerifier.Result {
        let streams = max(1, min(streams, 16))
        let blocks = try await transaction(as: .commandLine, origin: .commandLine) { try await $0.auditTableBlocks() }
        enum Share: Sendable {
            case content(AuditBlockRange)
            case links(AuditChainRange)
            case heads
        }
        let links = AuditChainRange.partitions(streams).map(Share.links)
        let contents = AuditBlockRange.partitions(streams, blocks: blocks).map(Share.content)
        // The heads are checked alongside: a misplaced head is named only if every link holds.
        let shares = zip(links, contents).flatMap { [$0, $1] } + [.heads]
        @Sendable func verify(_ share: Share) async throws -> AuditShareOutcome {
            try await transaction(as: .commandLine, origin: .commandLine) { transaction in
                switch share {
                case .content(let blocks): try await transaction.auditContentShare(blocks: blocks)
                case .links(let range): try await transaction.auditLinkShare(range: range)
                case .heads: AuditShareOutcome(misplacedHead: try await transaction.firstMisplacedAuditHead())
                }
            }
        }
        let outcomes = try await withThrowingTaskGroup(of: AuditShareOutcome.self) { group in
            var waiting = shares[...]
            for _ in 0..<streams {
                guard let share = waiting.popFirst() else { break }
                group.addTask { try await verify(share) }
            }
            var outcomes: [AuditShareOutcome] = []
            for try await outcome in group {
                outcomes.append(outcome)
                if let share = waiting.popFirst() { group.addTask { try await verify(share) } }
            }
            return outcomes
        }
        var result = AuditVerifier.Result()
        for outcome in outcomes {
            result.chains += outcome.chains
            result.events += outcome.linkedEvents
        }
        let broken = outcomes.compactMap(\.firstBrokenChain)
        let first = try await transaction(as: .commandLine, origin: .commandLine) { transaction -> AuditVerifier.Broken? in
            guard let chain = try await transaction.firstAuditChain(of: broken) else {
                return outcomes.lazy.compactMap(\.misplacedHead).first
            }
            let named = try await transaction.verifyAuditLinks(chain: chain).firstBroken
            return named ?? AuditVerifier.Broken(
                chain: chain, seq: 0, problem: "PostgreSQL found a broken link that the service's recomputation of the chain does not find")
        }
        result.firstBroken = first
        return result
    }
}
