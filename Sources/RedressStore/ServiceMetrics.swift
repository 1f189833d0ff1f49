import CoreMetrics
import Foundation
import RedressCore
import Synchronization

/// The service's own measurements (Docs/operations.md names every series). They go to swift-metrics
/// through an explicit factory rather than the process-wide `MetricsSystem`: each service — and each
/// of the many test applications one test process runs — keeps its figures apart.
///
/// Counters count what happened; the gauges (pool, database, open cases) are read when scraped.
public final class ServiceMetrics: Sendable {
    public let factory: any MetricsFactory
    private let leasesWaiting = Atomic<Int>(0)
    private let leasesHeld = Atomic<Int>(0)

    public init(factory: any MetricsFactory = NOOPMetricsHandler.instance) {
        self.factory = factory
        // Counters are exposed from the start at 0, so that rates and alerts on them work before the
        // first event (a series that appears only when something goes wrong cannot be alerted on well).
        for action in ["submit", "overdue"] + ComplaintAction.allCases.map(\.rawValue) {
            _ = Counter(label: "redress_complaint_transitions_total", dimensions: [("action", action)], factory: factory)
        }
        for action in ["mark_overdue", "escalate_to_platform", "escalate"] {
            _ = Counter(label: "redress_deadline_job_actions_total", dimensions: [("action", action)], factory: factory)
        }
        for result in ["ok", "failed"] {
            _ = Counter(label: "redress_deadline_job_runs_total", dimensions: [("result", result)], factory: factory)
        }
        for label in [
            "redress_db_pool_timeouts_total", "redress_evidence_files_stored_total", "redress_evidence_bytes_stored_total",
            "redress_audit_anchors_created_total",
        ] {
            _ = Counter(label: label, factory: factory)
        }
    }

    // MARK: HTTP

    /// One answered request. `route` is the route's template (`/api/v1/complaints/{id}`), never the
    /// path a client sent, so the number of series stays bounded.
    public func request(route: String, method: String, status: Int, duration: Duration) {
        let dimensions = [("route", route), ("method", method), ("status", String(status))]
        Counter(label: "redress_http_requests_total", dimensions: dimensions, factory: factory).increment()
        Timer(label: "redress_http_request_duration_seconds", dimensions: dimensions, factory: factory)
            .recordNanoseconds(duration.nanoseconds)
    }

    // MARK: Work done in committed transactions

    /// Counted after COMMIT only: a transaction rolled back changed nothing.
    func committed(_ effects: CommitEffects.Recorded) {
        for action in effects.transitions {
            Counter(label: "redress_complaint_transitions_total", dimensions: [("action", action)], factory: factory).increment()
        }
        if effects.evidenceFiles > 0 {
            Counter(label: "redress_evidence_files_stored_total", factory: factory).increment(by: effects.evidenceFiles)
            Counter(label: "redress_evidence_bytes_stored_total", factory: factory).increment(by: effects.evidenceBytes)
        }
    }

    // MARK: The read replica

    func replicaRead(fromStandby: Bool) {
        Counter(label: "redress_report_reads_total", dimensions: [("source", fromStandby ? "standby" : "primary")], factory: factory).increment()
    }

    // MARK: Deadline job

    public func deadlineJobRan(succeeded: Bool, duration: Duration) {
        Counter(label: "redress_deadline_job_runs_total", dimensions: [("result", succeeded ? "ok" : "failed")], factory: factory).increment()
        Timer(label: "redress_deadline_job_duration_seconds", factory: factory).recordNanoseconds(duration.nanoseconds)
    }

    public func deadlineJobActed(_ action: String, count: Int) {
        guard count > 0 else { return }
        Counter(label: "redress_deadline_job_actions_total", dimensions: [("action", action)], factory: factory).increment(by: count)
    }

    /// One webhook attempt's end: `delivered`, `failed` (tried again later) or `dead`.
    public func webhookDelivered(result: String) {
        Counter(label: "redress_webhook_deliveries_total", dimensions: [("result", result)], factory: factory).increment()
    }

    /// One mail's attempt: `sent`, `failed` (tried again later) or `dead`.
    public func mailSent(result: String) {
        Counter(label: "redress_mails_total", dimensions: [("result", result)], factory: factory).increment()
    }

    public func anchorCreated() {
        Counter(label: "redress_audit_anchors_created_total", factory: factory).increment()
    }

    // MARK: The connection pool, as Redress uses it

    func leaseRequested() { leasesWaiting.add(1, ordering: .relaxed) }

    func leaseGranted(after wait: Duration) {
        leasesWaiting.subtract(1, ordering: .relaxed)
        leasesHeld.add(1, ordering: .relaxed)
        Timer(label: "redress_db_pool_wait_seconds", factory: factory).recordNanoseconds(wait.nanoseconds)
    }

    /// The connection went back to the pool (`wasGranted`), or the wait for one ended without it.
    func leaseEnded(wasGranted: Bool) {
        if wasGranted {
            leasesHeld.subtract(1, ordering: .relaxed)
        } else {
            leasesWaiting.subtract(1, ordering: .relaxed)
            Counter(label: "redress_db_pool_timeouts_total", factory: factory).increment()
        }
    }

    public var connectionsInUse: Int { leasesHeld.load(ordering: .relaxed) }
    public var requestsWaitingForConnection: Int { leasesWaiting.load(ordering: .relaxed) }

    // MARK: Gauges, set when scraped

    public func gauge(_ label: String, _ value: Int, dimensions: [(String, String)] = []) {
        Gauge(label: label, dimensions: dimensions, factory: factory).record(value)
    }

    public func gauge(_ label: String, _ value: Double, dimensions: [(String, String)] = []) {
        Gauge(label: label, dimensions: dimensions, factory: factory).record(value)
    }
}

/// What a transaction did that metrics count once it has committed.
final class CommitEffects: Sendable {
    struct Recorded: Sendable {
        var transitions: [String] = []
        var evidenceFiles = 0
        var evidenceBytes = 0
    }

    private let recorded = Mutex(Recorded())

    func transition(_ action: String) { recorded.withLock { $0.transitions.append(action) } }

    func evidenceStored(bytes: Int) {
        recorded.withLock {
            $0.evidenceFiles += 1
            $0.evidenceBytes += bytes
        }
    }

    var value: Recorded { recorded.withLock { $0 } }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
