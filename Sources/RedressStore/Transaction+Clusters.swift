import Foundation
import PostgresNIO
import RedressCore

/// A proposed cluster as a caller sees it: its members the caller may read.
public struct ClusterView: Sendable {
    public let id: UUID
    public let reason: String
    public let category: String
    /// Every member, whether or not the caller may read it.
    public let size: Int
    public let createdAt: Date
    public let updatedAt: Date
    public let members: [(complaintID: UUID, platformID: UUID, state: String, similarity: Double)]
}

/// A case the cluster job compares a new complaint with.
public struct ClusterCandidate: Sendable {
    public let complaintID: UUID
    /// How alike its texts are to the new complaint's (0 … 1).
    public let similarity: Double
    public let clusterID: UUID?
    public let clusterSize: Int
    public let sameMerchant: Bool
}

extension Transaction {
    /// Up to `limit` queued complaints, oldest first, locked for this transaction (any number of job
    /// runners can take turns).
    public func claimQueuedForClustering(limit: Int) async throws -> [UUID] {
        try await ids(
            "SELECT complaint_id FROM cluster_queue ORDER BY queued_at, complaint_id LIMIT \(limit) FOR UPDATE SKIP LOCKED")
    }

    /// The complaint's category, merchant and product, when it was filed, and whether it is open.
    public func clusteringSubject(_ id: UUID) async throws -> (category: String, merchantID: UUID?, product: String?, submittedAt: Date, open: Bool)? {
        let rows = try await query(
            """
            SELECT c.category, c.merchant_id, c.product_name, c.submitted_at,
                   c.state NOT IN ('closed_resolved', 'closed', 'withdrawn', 'invalid', 'referred')
            FROM complaints c WHERE c.id = \(id)
            """)
        for try await row in rows.decode((String, UUID?, String?, Date, Bool).self) {
            return (row.0, row.1, row.2, row.3, row.4)
        }
        return nil
    }

    /// Open cases of the same category filed in the `window` before `submittedAt` and compared already
    /// (no longer queued), against a merchant of the same company (its credit code, any platform) or
    /// for the same product (its name as written: conditions under row-level security can use an index
    /// only with leakproof operators, which text equality is and normalisation is not): the most
    /// recent `limit`. Each merchant's cases are read newest first from their own index and only
    /// until `limit` pass; the product's `4 × limit` newest of the category are read, then filtered
    /// (open, compared already): read together, a
    /// product that most cases name (a game's top-up card) made every filing collect and sort its
    /// window's cases.
    public func clusterCandidates(
        of id: UUID, category: String, merchantID: UUID?, product: String?, submittedAt: Date, window: TimeInterval, limit: Int
    ) async throws -> [ClusterCandidate] {
        let from = submittedAt.addingTimeInterval(-window)
        let rows = try await query(
            """
            WITH company AS MATERIALIZED (
                SELECT x.id FROM merchants x, merchants named
                WHERE named.id = \(merchantID ?? UUID()) AND (x.id = named.id OR x.credit_code = named.credit_code)
            ), recent AS (
                SELECT c.* FROM company x CROSS JOIN LATERAL (
                    SELECT c.id, c.submitted_at FROM complaints c
                    WHERE c.merchant_id = x.id AND c.submitted_at >= \(from) AND c.submitted_at <= \(submittedAt)
                      AND c.id <> \(id) AND c.category = \(category)
                      AND c.state NOT IN ('closed_resolved', 'closed', 'withdrawn', 'invalid', 'referred')
                      AND NOT EXISTS (SELECT 1 FROM cluster_queue q WHERE q.complaint_id = c.id)
                    ORDER BY c.submitted_at DESC LIMIT \(limit)
                ) c
                UNION
                -- The product's newest cases first, from its own index, and only then the other
                -- conditions: asked for together, PostgreSQL read every open case of a popular
                -- product in the window (3,500 at a million complaints) to sort them.
                (SELECT p.id, p.submitted_at FROM (
                     SELECT c.id, c.submitted_at, c.state FROM complaints c
                     WHERE \(product != nil) AND c.product_name = \(product ?? "") AND c.category = \(category)
                       AND c.submitted_at >= \(from) AND c.submitted_at <= \(submittedAt)
                     ORDER BY c.submitted_at DESC LIMIT \(limit * 4)
                 ) p
                 WHERE p.id <> \(id)
                   AND p.state NOT IN ('closed_resolved', 'closed', 'withdrawn', 'invalid', 'referred')
                   AND NOT EXISTS (SELECT 1 FROM cluster_queue q WHERE q.complaint_id = p.id)
                 ORDER BY p.submitted_at DESC LIMIT \(limit))
                ORDER BY submitted_at DESC LIMIT \(limit)
            )
            SELECT c.id, m.cluster_id, coalesce(k.size, 0), c.merchant_id IN (SELECT id FROM company)
            FROM recent r JOIN complaints c ON c.id = r.id
            LEFT JOIN cluster_members m ON m.complaint_id = c.id
            LEFT JOIN complaint_clusters k ON k.id = m.cluster_id
            ORDER BY r.submitted_at DESC, c.id
            """)
        var found: [(UUID, UUID?, Int, Bool)] = []
        for try await (complaint, cluster, size, same) in rows.decode((UUID, UUID?, Int, Bool?).self) {
            found.append((complaint, cluster, size, same ?? false))
        }
        var similarity: [UUID: Double] = [:]
        for try await (candidate, score) in try await query(
            "SELECT complaint_id, similarity FROM redress_text_similarities(\(id), \(found.map(\.0)))"
        ).decode((UUID, Double).self) {
            similarity[candidate] = score
        }
        return found.map {
            ClusterCandidate(complaintID: $0.0, similarity: similarity[$0.0] ?? 0, clusterID: $0.1, clusterSize: $0.2, sameMerchant: $0.3)
        }
    }

    /// Whether this transaction may run the cluster job: one runner at a time, so that two never start
    /// clusters around the same case (the others find the queue taken and wait for their next turn).
    public func takeClusterJobTurn() async throws -> Bool {
        for try await taken in try await query("SELECT pg_try_advisory_xact_lock(\(Self.clusterJobLock), 0)").decode(Bool.self) { return taken }
        return false
    }

    static let clusterJobLock: Int32 = 0x636C_7573

    /// Puts the complaint (and the case it matched, when that is in no cluster yet) into a cluster:
    /// the match's, or a new one. Removes it from the queue.
    public func joinCluster(
        _ id: UUID, matching candidate: ClusterCandidate?, similarity: Double, reason: String, category: String
    ) async throws {
        if let candidate {
            var cluster = candidate.clusterID
            if cluster == nil {
                let created = UUID()
                try await query(
                    """
                    INSERT INTO complaint_clusters (id, reason, category, size, created_at, updated_at)
                    VALUES (\(created), \(reason), \(category), 0, \(now), \(now))
                    """)
                try await addClusterMember(candidate.complaintID, to: created, similarity: similarity)
                cluster = created
            }
            try await addClusterMember(id, to: cluster!, similarity: similarity)
        }
        try await query("DELETE FROM cluster_queue WHERE complaint_id = \(id)")
    }

    private func addClusterMember(_ id: UUID, to cluster: UUID, similarity: Double) async throws {
        // Counted only when added (a case is in one cluster).
        try await query(
            """
            WITH added AS (
                INSERT INTO cluster_members (complaint_id, cluster_id, similarity, joined_at)
                VALUES (\(id), \(cluster), \(Float(similarity)), \(now)) ON CONFLICT DO NOTHING RETURNING 1)
            UPDATE complaint_clusters SET size = size + (SELECT count(*) FROM added), updated_at = \(now) WHERE id = \(cluster)
            """)
    }

    /// The proposed clusters grown in the last `recent` with at least two members the caller may read,
    /// most recently grown first; within `scope` as for lists (row-level security decides). Clusters
    /// are read in that order and their members one cluster at a time, so a page costs its clusters (and
    /// those skipped for having fewer readable members), not every cluster ever proposed.
    public func clusters(scope: ComplaintFilter.Scope, recent: TimeInterval, offset: Int, limit: Int) async throws -> [ClusterView] {
        var platform: UUID?, merchant: UUID?, body: UUID?
        switch scope {
        case .platform(let id): platform = id
        case .merchant(let id): merchant = id
        case .mediationBody(let id): body = id
        case .consumer, .everything: break
        }
        let rows = try await query(
            """
            SELECT k.id, k.reason, k.category, k.size, k.created_at, k.updated_at, v.ids, v.platforms, v.states, v.similarities
            FROM complaint_clusters k
            CROSS JOIN LATERAL (
                SELECT count(*) AS readable, array_agg(c.id ORDER BY c.submitted_at, c.id) AS ids,
                       array_agg(c.platform_id ORDER BY c.submitted_at, c.id) AS platforms,
                       array_agg(c.state ORDER BY c.submitted_at, c.id) AS states,
                       array_agg(m.similarity::float8 ORDER BY c.submitted_at, c.id) AS similarities
                FROM cluster_members m JOIN complaints c ON c.id = m.complaint_id
                WHERE m.cluster_id = k.id
                  AND (\(platform == nil) OR c.platform_id = \(platform ?? UUID()))
                  AND (\(merchant == nil) OR c.merchant_id = \(merchant ?? UUID()))
                  AND (\(body == nil) OR c.mediation_body_id = \(body ?? UUID()))
            ) v
            WHERE k.updated_at > \(now.addingTimeInterval(-recent)) AND v.readable >= 2
            ORDER BY k.updated_at DESC, k.id
            OFFSET \(offset) LIMIT \(limit + 1)
            """)
        var clusters: [ClusterView] = []
        for try await (id, reason, category, size, created, updated, ids, platforms, states, similarities) in rows.decode(
            (UUID, String, String, Int, Date, Date, [UUID], [UUID], [String], [Double]).self)
        {
            let members = ids.indices.map { (ids[$0], platforms[$0], states[$0], similarities[$0]) }
            clusters.append(
                ClusterView(id: id, reason: reason, category: category, size: size, createdAt: created, updatedAt: updated, members: members))
        }
        return clusters
    }
}
