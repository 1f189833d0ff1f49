import Foundation

/// Which recent case a new complaint is the same problem as (Docs/search.md, "Clusters"): the most
/// similar candidate whose texts are close enough — closer for a shared product than for one company's
/// merchant, since one product is sold by many sellers.
public enum ClusterMatching {
    /// Jaccard similarity of the texts' bigrams at least this for the same company's merchant…
    public static let sameMerchantThreshold = 0.2
    /// …and this for the same product (and category) from another seller.
    public static let sameProductThreshold = 0.4
    /// A cluster grows to this many cases; a later match starts a cluster of its own.
    public static let maximumClusterSize = 500

    public struct Candidate: Sendable {
        /// The Jaccard index of the two texts' bigram sets (computed where the bigrams are).
        public let similarity: Double
        public let sameMerchant: Bool
        public let clusterSize: Int

        public init(similarity: Double, sameMerchant: Bool, clusterSize: Int) {
            self.similarity = similarity
            self.sameMerchant = sameMerchant
            self.clusterSize = clusterSize
        }
    }

    public struct Match: Sendable, Equatable {
        public let index: Int
        public let similarity: Double
        /// `same_merchant` or `same_product`.
        public let reason: String
    }

    /// The best match among `candidates` (their order breaks ties: the most recent first), if any: the
    /// most similar case already in a cluster, so that a problem grows one cluster; else the most
    /// similar case in none, to start one with.
    public static func best(among candidates: [Candidate]) -> Match? {
        var clustered: Match?, alone: Match?
        for (index, candidate) in candidates.enumerated() where candidate.clusterSize < maximumClusterSize {
            let score = candidate.similarity
            guard score >= (candidate.sameMerchant ? sameMerchantThreshold : sameProductThreshold) else { continue }
            let match = Match(index: index, similarity: score, reason: candidate.sameMerchant ? "same_merchant" : "same_product")
            if candidate.clusterSize > 0 {
                if score > (clustered?.similarity ?? -1) { clustered = match }
            } else if score > (alone?.similarity ?? -1) {
                alone = match
            }
        }
        return clustered ?? alone
    }
}
