import ArgumentParser
import Foundation
import RedressAPI
import RedressStore

/// Works through the complaints waiting to be compared for clusters, once, and says what it cost: what
/// the service's cluster job does every REDRESS_CLUSTER_JOB_SECONDS (`make bench` measures it).
struct ClustersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clusters", abstract: "Propose clusters for the complaints filed since the last run, and print the cost per complaint.")

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let settings = try Settings.fromEnvironment()
        let logger = settings.logger()
        let (outcome, seconds) = try await AuditCommand.withRequestPool(dataDir: database.dataDir) { store in
            let started = ContinuousClock.now
            let outcome = try await ClusterJob(database: store, interval: .seconds(60), logger: logger).runOnce()
            let elapsed = ContinuousClock.now - started
            return (outcome, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        let each = outcome.examined == 0 ? 0 : seconds * 1000 / Double(outcome.examined)
        print(String(
            format: "clusters: %d complaints compared with %d candidates, %d clustered, in %.2f s (%.2f ms per complaint)",
            outcome.examined, outcome.candidates, outcome.clustered, seconds, each))
    }
}
