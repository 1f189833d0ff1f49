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
    /// Chains whose links were compared (a share of chain ids).
    var chains = 0
    /// The events the share read, and an order-free digest of their chain, seq and both hashes: the
    /// link shares read them from the primary key's index, the content shares from the table, and
    /// under one snapshot both must agree (an index that no longer matches its table hides nothing).
    var events = 0
    var digest: Int64 = 0
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

    /// An id other transactions can begin in (`TransactionStart.snapshot`), to read what this one reads;
    /// valid while this transaction is open. Only in a repeatable-read transaction.
    func exportSnapshot() async throws -> String {
        for try await id in try await query("SELECT pg_export_snapshot()").decode(String.self) { return id }
        throw TransactionStart.InvalidSnapshotID()
    }

    /// Each event stored in the pages of `blocks`, read in the order it lies there (no sorting, each
    /// page once): its hash recomputed from its stored text, exactly as the chaining trigger computes
    /// it, and its action and entity columns compared with its content. A null anywhere counts as a
    /// failure (`IS NOT FALSE`): a superuser can drop a NOT NULL constraint. Counts nothing per chain.
    /// (The entity is searched for in bytes: `strpos` on text counts the characters before a match.)
    func auditContentShare(blocks: AuditBlockRange) async throws -> AuditShareOutcome {
        let rows = try await query(
            """
            SELECT count(*), coalesce(bit_xor(hash_record_extended(ROW(chain_id, seq, prev_hash, hash), 0)), 0),
                   min(chain_id) FILTER (WHERE (
                       sha256(convert_to(chain_id || E'\n' || seq || E'\n' || encode(prev_hash, 'hex') || E'\n' || content, 'UTF8')) <> hash
                       OR NOT starts_with(content, '{"action":"' || action || '",')
                       OR position(convert_to('"entity":{"id":"' || entity_id || '"', 'UTF8') in convert_to(content, 'UTF8')) = 0
                   ) IS NOT FALSE)
            FROM audit_events WHERE ctid >= \("(\(blocks.from),0)")::tid AND ctid < \("(\(blocks.below),0)")::tid
            """)
        var outcome = AuditShareOutcome()
        for try await (events, digest, broken) in rows.decode((Int64, Int64, String?).self) {
            outcome = AuditShareOutcome(events: Int(events), digest: digest, firstBrokenChain: broken)
        }
        return outcome
    }

    /// The links of the chains in `range`, compared in chain order from the primary key's index alone
    /// (which carries both hashes): each chain numbered from 1 without a gap, its first previous hash
    /// 32 zero bytes, every other one the hash of the event before it. A null counts as a break.
    func auditLinkShare(range: AuditChainRange) async throws -> AuditShareOutcome {
        // `seq - 1` is computed only for an event after another, whose seq is therefore above the
        // smallest bigint: a seq set to either end of the range cannot make the comparison fail.
        let rows = try await query(
            """
            SELECT count(*) FILTER (WHERE before_seq IS NULL), count(*),
                   coalesce(bit_xor(hash_record_extended(ROW(chain_id, seq, prev_hash, hash), 0)), 0),
                   min(chain_id) FILTER (WHERE (CASE
                       WHEN before_seq IS NULL THEN seq <> 1 OR prev_hash <> \(ByteBuffer(repeating: 0, count: 32))
                       ELSE before_seq <> seq - 1 OR prev_hash <> before_hash END) IS NOT FALSE)
            FROM (
                SELECT chain_id, seq, prev_hash, hash, lag(seq) OVER w AS before_seq, lag(hash) OVER w AS before_hash
                FROM audit_events
                WHERE (\(range.from == nil) OR chain_id >= \(range.from ?? ""))
                  AND (\(range.below == nil) OR chain_id < \(range.below ?? ""))
                WINDOW w AS (PARTITION BY chain_id ORDER BY seq)
            ) AS links
            """)
        var outcome = AuditShareOutcome()
        for try await (chains, events, digest, broken) in rows.decode((Int64, Int64, Int64, String?).self) {
            outcome = AuditShareOutcome(chains: Int(chains), events: Int(events), digest: digest, firstBrokenChain: broken)
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
    /// Every chain verified in the database, `streams` transactions at a time, all reading the one
    /// snapshot a coordinating transaction exports: the events' hashes and columns in shares of the
    /// table's pages, the links in shares of the chain ids (from the index), and every head. The link
    /// and content shares must have read the same events (their count and digest agree). Only a broken
    /// chain is named back; the service then recomputes that one chain itself, in order, to name its
    /// first broken link, which is therefore the one a single pass in chain order names.
    ///
    /// Computing the hashes in PostgreSQL trusts its `sha256` as the service trusts it to hand over the
    /// stored bytes: whoever can replace either can also rewrite a chain and its head consistently,
    /// which no chain catches and anchors do (their roots are recomputed in the service).
    public func verifyAllAuditChains(partitions streams: Int) async throws -> AuditVerifier.Result {
        let streams = max(1, min(streams, 16))
        return try await transaction(as: .commandLine, origin: .commandLine, start: .repeatableRead) { coordinator in
            let snapshot = try await coordinator.exportSnapshot()
            let blocks = try await coordinator.auditTableBlocks()
            enum Share: Sendable {
                case content(AuditBlockRange)
                case links(AuditChainRange)
                case heads
            }
            let links = AuditChainRange.partitions(streams).map(Share.links)
            let contents = AuditBlockRange.partitions(streams, blocks: blocks).map(Share.content)
            let shares = zip(links, contents).flatMap { [$0, $1] } + [.heads]
            @Sendable func verify(_ share: Share) async throws -> (Share, AuditShareOutcome) {
                let outcome = try await transaction(as: .commandLine, origin: .commandLine, start: .snapshot(snapshot)) { transaction in
                    switch share {
                    case .content(let blocks): try await transaction.auditContentShare(blocks: blocks)
                    case .links(let range): try await transaction.auditLinkShare(range: range)
                    case .heads: AuditShareOutcome(misplacedHead: try await transaction.firstMisplacedAuditHead())
                    }
                }
                return (share, outcome)
            }
            let outcomes = try await withThrowingTaskGroup(of: (Share, AuditShareOutcome).self) { group in
                var waiting = shares[...]
                for _ in 0..<streams {
                    guard let share = waiting.popFirst() else { break }
                    group.addTask { try await verify(share) }
                }
                var outcomes: [(Share, AuditShareOutcome)] = []
                for try await outcome in group {
                    outcomes.append(outcome)
                    if let share = waiting.popFirst() { group.addTask { try await verify(share) } }
                }
                return outcomes
            }
            var result = AuditVerifier.Result()
            var hashed = (events: 0, digest: Int64(0)), linked = (events: 0, digest: Int64(0))
            for (share, outcome) in outcomes {
                switch share {
                case .links:
                    result.chains += outcome.chains
                    linked = (linked.events + outcome.events, linked.digest ^ outcome.digest)
                case .content: hashed = (hashed.events + outcome.events, hashed.digest ^ outcome.digest)
                case .heads: break
                }
            }
            result.events = linked.events
            if let chain = try await coordinator.firstAuditChain(of: outcomes.compactMap(\.1.firstBrokenChain)) {
                result.firstBroken = try await coordinator.verifyAuditLinks(chain: chain).firstBroken ?? AuditVerifier.Broken(
                    chain: chain, seq: 0, problem: "PostgreSQL found a broken link that the service's recomputation of the chain does not find")
            } else if hashed != linked {
                // The table and its index disagree (a store damaged beneath PostgreSQL): a pass in chain
                // order, in this snapshot, names the link where it can; it reads through the same index
                // as a rule, and so may miss the same events, in which case the disagreement is named.
                result.firstBroken = try await coordinator.verifyAuditLinks().firstBroken ?? AuditVerifier.Broken(
                    chain: "", seq: 0, problem: "the audit table and its primary key's index hold different events")
            } else {
                result.firstBroken = outcomes.lazy.compactMap(\.1.misplacedHead).first
            }
            return result
        }
    }
}
