import Synchronization

/// The transactions still waiting for a pooled connection of one server. When that server goes away
/// (or a standby falls too far behind), each waiting transaction is cancelled at once and answered
/// 503, instead of waiting for the pool to give up — a minute later, when its circuit breaker trips.
///
/// A registry rather than a timer per transaction: a transaction that gets its connection at once
/// costs two turns of a lock, where a watching timer cost a task, a timer and a wake-up of the
/// timer thread for every request.
final class WaitingLeases: Sendable {
    private struct Waiting: ~Copyable {
        var nextTicket: UInt64 = 0
        var tasks: [UInt64: WaitingTask] = [:]
    }

    /// A task is cancelled from any thread; only this registry keeps the reference, and only while
    /// the task runs inside `Database.run`.
    private struct WaitingTask: @unchecked Sendable {
        let task: UnsafeCurrentTask
    }

    private let waiting = Mutex(Waiting())

    init() {}

    /// Registers the current task as waiting; `leave` must follow, once, whatever happens.
    func enter() -> UInt64 {
        // A task waiting here is the child task `Database.run` made for one transaction, and it stays
        // registered only while it runs inside that scope: cancelling it from `abandonAll` is safe.
        let task = withUnsafeCurrentTask { $0.map(WaitingTask.init) }
        return waiting.withLock { waiting in
            waiting.nextTicket &+= 1
            if let task { waiting.tasks[waiting.nextTicket] = task }
            return waiting.nextTicket
        }
    }

    /// Ends the wait: false when it was abandoned (the transaction must answer 503 and do nothing more).
    func leave(_ ticket: UInt64) -> Bool {
        waiting.withLock { $0.tasks.removeValue(forKey: ticket) != nil }
    }

    /// Cancels every waiting transaction; each one's `leave` then returns false.
    func abandonAll() {
        waiting.withLock { waiting in
            for entry in waiting.tasks.values { entry.task.cancel() }
            waiting.tasks.removeAll()
        }
    }
}
