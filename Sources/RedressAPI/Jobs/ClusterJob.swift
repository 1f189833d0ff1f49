import Foundation
import Logging
import RedressCore
import RedressStore
import ServiceLifecycle

/// Proposes clusters: each filed complaint (queued by the database as it is filed) is compared with the
/// recent open cases of the same company's merchants or the same product, never with all of them, and
/// joins the cluster of the most similar (Docs/search.md). Runs every `interval` as the system; queued
/// complaints are claimed `FOR UPDATE SKIP LOCKED`, so replicas share the work.
public struct ClusterJob: Service {
    public struct Outcome: Sendable, Equatable {
        /// Complaints compared with their candidates.
        public var examined = 0
        /// Of them, those that joined (or started) a cluster.
        public var clustered = 0
        /// Candidates read, in all.
        public var candidates = 0

        public init(examined: Int = 0, clustered: Int = 0, candidates: Int = 0) {
            self.examined = examined
            self.clustered = clustered
            self.candidates = candidates
        }
    }

    let database: Database
    let interval: Duration
    let logger: Logger
    /// Complaints per transaction.
    public static let batchSize = 100
    /// How far back a new complaint looks, and at most how many cases it reads.
    public static let window: TimeInterval = 14 * 86_400
    public static let candidateLimit = 50
    static let system = DatabaseIdentity(role: "system")

    public init(database: Database, interval: Duration, logger: Logger) {
        self.database = database
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let outcome = try await runOnce()
                    if outcome.examined > 0 {
                        logger.info("cluster job acted", metadata: ["examined": "\(outcome.examined)", "clustered": "\(outcome.clustered)"])
                    }
                } catch where !Task.isCancelled {
                    logger.error("cluster job failed", metadata: ["error": "\(String(reflecting: error))"])
                } catch {
                    return
                }
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// Works through the queue, a batch per transaction, until it is empty.
    public func runOnce() async throws -> Outcome {
        var total = Outcome()
        while true {
            let batch = try await database.transaction(as: Self.system, origin: .commandLine) { transaction -> Outcome in
                var outcome = Outcome()
                guard try await transaction.takeClusterJobTurn() else { return outcome }
                for id in try await transaction.claimQueuedForClustering(limit: Self.batchSize) {
                    outcome.examined += 1
                    guard let subject = try await transaction.clusteringSubject(id), subject.open else {
                        try await transaction.joinCluster(id, matching: nil, similarity: 0, reason: "", category: "")
                        continue
                    }
                    let candidates = try await transaction.clusterCandidates(
                        of: id, category: subject.category, merchantID: subject.merchantID, product: subject.product,
                        submittedAt: subject.submittedAt, window: Self.window, limit: Self.candidateLimit)
                    outcome.candidates += candidates.count
                    let match = ClusterMatching.best(
                        among: candidates.map { .init(similarity: $0.similarity, sameMerchant: $0.sameMerchant, clusterSize: $0.clusterSize) })
                    if match != nil { outcome.clustered += 1 }
                    try await transaction.joinCluster(
                        id, matching: match.map { candidates[$0.index] }, similarity: match?.similarity ?? 0, reason: match?.reason ?? "",
                        category: subject.category)
                }
                return outcome
            }
            total.examined += batch.examined
            total.clustered += batch.clustered
            total.candidates += batch.candidates
            if batch.examined < Self.batchSize { return total }
        }
    }
}
