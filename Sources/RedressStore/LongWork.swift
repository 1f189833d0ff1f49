import NIOPosix

/// Threads for a request's work that takes long for the CPU (an upload's checks and digest, a
/// dossier's anchor proof): the service runs its tasks on the event loops that also do its I/O, and
/// work like this would hold up every connection of a loop meanwhile. A pool of its own, apart from
/// password hashing's, so that a flood of sign-ins does not hold up uploads, nor uploads sign-ins.
public enum LongWork {
    private static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        return pool
    }()

    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }
}
