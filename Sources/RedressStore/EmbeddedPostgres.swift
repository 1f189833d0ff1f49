import Foundation
import Logging
import PostgresNIO
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A private PostgreSQL server for a newcomer who configured no database: initialised once in a data
/// folder, listening on loopback only, with owner credentials generated once and kept in the folder
/// (mode 0600), stopped when the service stops. When running as root (PostgreSQL refuses that), the
/// server runs as the `postgres` system user.
public final class EmbeddedPostgres: Sendable {
    public enum Failure: Error, CustomStringConvertible {
        case binariesNotFound
        case commandFailed(String, status: Int32, log: String)
        case startTimedOut(log: String)
        case noUnprivilegedUser
        case alreadyRunning(pid: Int32, stopCommand: String)
        case inUse(by: String)

        public var description: String {
            switch self {
            case .binariesNotFound:
                "No PostgreSQL server binaries were found (tried `pg_config --bindir` and /usr/lib/postgresql/*/bin): install them with `apt-get install postgresql libpq-dev`, or set DATABASE_URL."
            case .commandFailed(let command, let status, let log): "\(command) exited with status \(status):\n\(log)"
            case .startTimedOut(let log): "PostgreSQL did not accept connections within 60 seconds:\n\(log)"
            case .alreadyRunning(let pid, let stopCommand):
                "The private PostgreSQL of this data folder is already running (pid \(pid)): stop the other Redress, or stop the server with `\(stopCommand)`."
            case .inUse(let owner):
                "Another Redress (\(owner)) runs the private PostgreSQL of this data folder: two services cannot share one folder. Stop the other one, or give this one another `--data-dir`."
            case .noUnprivilegedUser:
                "PostgreSQL cannot run as root and there is no `postgres` user to run it as: create one, or run Redress as another user."
            }
        }
    }

    struct Credentials: Codable {
        let username: String
        let password: String
    }

    public let folder: URL
    let logger: Logger
    /// The server's process while this object runs it, and the open owner lock file while this
    /// process owns the folder's server (-1: not owned).
    private let state = Mutex<(process: Process?, ownerLock: Int32)>((nil, -1))

    public init(folder: URL, logger: Logger) {
        self.folder = folder.standardizedFileURL
        self.logger = logger
    }

    var clusterFolder: URL { folder.appendingPathComponent("pgdata") }
    var credentialsFile: URL { folder.appendingPathComponent("credentials.json") }
    var logFile: URL { folder.appendingPathComponent("postgresql.log") }
    /// Held (flock) by the process that runs the folder's server, for as long as it lives: the kernel
    /// lets go of it when that process ends, however it ends, so a server still running without a
    /// holder was left by a process that is gone.
    var ownerLockFile: URL { folder.appendingPathComponent("owner.lock") }

    /// Finds the directory with `initdb` and `postgres`.
    public static func binaries() throws -> URL {
        var candidates: [URL] = []
        if let bindir = try? run("pg_config", ["--bindir"]).trimmingCharacters(in: .whitespacesAndNewlines), !bindir.isEmpty {
            candidates.append(URL(fileURLWithPath: bindir))
        }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
            candidates.append(URL(fileURLWithPath: "/usr/lib/postgresql/\(version)/bin"))
        }
        for directory in candidates
        where FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("initdb").path)
            && FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("postgres").path)
        {
            return directory
        }
        throw Failure.binariesNotFound
    }

    /// Starts the server (initialising it on first use) and returns the owner's address.
    ///
    /// When another live Redress process runs this folder's server, `shareRunning` decides: a command
    /// (`admin create`, `migrate`…) uses that server and leaves it running; a second service is
    /// refused. A server whose process is gone (killed) is stopped cleanly first, then started anew.
    public func start(shareRunning: Bool = false) async throws -> DatabaseURL {
        let bin = try Self.binaries()
        let runAs = try unprivilegedUser()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // The server's user must be able to reach its cluster folder; nobody else may list the folder.
        chmod(folder.path, runAs == nil ? 0o700 : 0o711)
        let credentials = try loadOrCreateCredentials()

        guard try takeOwnership() else {
            let owner = (try? String(contentsOf: ownerLockFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            guard shareRunning, let running = runningServer() else { throw Failure.inUse(by: "pid \(owner)") }
            let url = DatabaseURL(
                host: "127.0.0.1", port: running.port, username: credentials.username, password: credentials.password,
                database: "redress", tlsMode: .disable)
            logger.notice("using the private PostgreSQL of the running Redress", metadata: ["owner": "\(owner)", "address": "\(url)"])
            return url
        }
        if !FileManager.default.fileExists(atPath: clusterFolder.appendingPathComponent("PG_VERSION").path) {
            try initialise(bin: bin, credentials: credentials, runAs: runAs)
        }
        // We own the folder, so a server still running was left by a Redress that is gone: stop it
        // (a fast shutdown: its open transactions roll back, the data stays consistent) and start
        // afresh. (A stale pid file of a dead server PostgreSQL handles itself.)
        if let orphan = runningServer() {
            logger.notice("stopping the private PostgreSQL left running by a Redress that is gone", metadata: ["pid": "\(orphan.pid)"])
            try await stopOrphan(orphan.pid, stopCommand: "\(bin.appendingPathComponent("pg_ctl").path) -D \(clusterFolder.path) stop")
        }
        let port = try Self.freePort()
        let child = Process()
        child.executableURL = bin.appendingPathComponent("postgres")
        child.arguments = [
            "-D", clusterFolder.path, "-p", String(port),
            "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "logging_collector=off",
        ]
        Self.dropPrivileges(child, to: runAs)
        if !FileManager.default.fileExists(atPath: logFile.path) {
            // The server log can quote failed statements: only the service's user may read it.
            _ = FileManager.default.createFile(atPath: logFile.path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        let log = try FileHandle(forWritingTo: logFile)
        try log.seekToEnd()
        child.standardOutput = log
        child.standardError = log
        try child.run()
        state.withLock { $0.process = child }

        let url = DatabaseURL(
            host: "127.0.0.1", port: port, username: credentials.username, password: credentials.password,
            database: "postgres", tlsMode: .disable)
        do {
            try await waitUntilReady(url, child: child)
            try await createDatabase("redress", url: url)
        } catch {
            await stop()
            throw error
        }
        logger.notice("private PostgreSQL is running", metadata: ["data": "\(clusterFolder.path)", "address": "\(url.with(database: "redress"))"])
        return url.with(database: "redress")
    }

    /// Takes the folder's owner lock (without waiting); false when a live process holds it.
    private func takeOwnership() throws -> Bool {
        let descriptor = open(ownerLockFile.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Failure.commandFailed("open \(ownerLockFile.path)", status: errno, log: "") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return false
        }
        let mine = "\(getpid())\n"
        _ = ftruncate(descriptor, 0)
        _ = mine.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        state.withLock { $0.ownerLock = descriptor }
        return true
    }

    private func releaseOwnership() {
        let descriptor = state.withLock {
            let descriptor = $0.ownerLock
            $0.ownerLock = -1
            return descriptor
        }
        if descriptor >= 0 { close(descriptor) }
    }

    /// The server running on this folder, from its pid file: the postmaster's pid (alive, and serving
    /// this very folder) and port.
    func runningServer() -> (pid: Int32, port: Int)? {
        guard let text = try? String(contentsOf: clusterFolder.appendingPathComponent("postmaster.pid"), encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count > 3, let pid = Int32(lines[0]), pid > 0, kill(pid, 0) == 0,
            URL(fileURLWithPath: lines[1]).standardizedFileURL.path == clusterFolder.path, let port = Int(lines[3]),
            Self.isPostgres(pid)
        else { return nil }
        return (pid, port)
    }

    /// Whether the process is a PostgreSQL server: after a reboot, the pid a stale pid file names may
    /// belong to anything, which must not be stopped. (Where `/proc` is missing, the pid file is believed.)
    static func isPostgres(_ pid: Int32) -> Bool {
        guard let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else {
            return !FileManager.default.fileExists(atPath: "/proc/self/cmdline")
        }
        let program = cmdline.split(separator: 0).first.map { String(decoding: $0, as: UTF8.self) } ?? ""
        return URL(fileURLWithPath: program).lastPathComponent.hasPrefix("postgres")
    }

    private func stopOrphan(_ pid: Int32, stopCommand: String) async throws {
        kill(pid, SIGINT)
        for _ in 0..<300 where kill(pid, 0) == 0 {
            try await Task.sleep(for: .milliseconds(100))
        }
        guard kill(pid, 0) != 0 else { throw Failure.alreadyRunning(pid: pid, stopCommand: stopCommand) }
    }

    /// Fast shutdown (SIGINT): running transactions are rolled back, the data stays consistent.
    public func stop() async {
        defer { releaseOwnership() }
        guard let child = state.withLock({ $0.process }) else { return }
        if child.isRunning { kill(child.processIdentifier, SIGINT) }
        for _ in 0..<300 where child.isRunning {
            try? await Task.sleep(for: .milliseconds(100))
        }
        if child.isRunning { kill(child.processIdentifier, SIGKILL) }
        state.withLock { $0.process = nil }
        logger.info("private PostgreSQL stopped")
    }

    /// The same as `stop()`, for a signal handler that cannot wait asynchronously.
    public func stopBlocking() {
        defer { releaseOwnership() }
        guard let child = state.withLock({ $0.process }) else { return }
        if child.isRunning { kill(child.processIdentifier, SIGINT) }
        for _ in 0..<300 where child.isRunning { usleep(100_000) }
        if child.isRunning { kill(child.processIdentifier, SIGKILL) }
        state.withLock { $0.process = nil }
    }

    // MARK: Steps

    private func loadOrCreateCredentials() throws -> Credentials {
        if let data = try? Data(contentsOf: credentialsFile) {
            return try JSONDecoder().decode(Credentials.self, from: data)
        }
        let credentials = Credentials(username: "redress_owner", password: SecureRandom.token(bytes: 24))
        let data = try JSONEncoder().encode(credentials)
        guard FileManager.default.createFile(atPath: credentialsFile.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown)
        }
        return credentials
    }

    private func initialise(bin: URL, credentials: Credentials, runAs: (uid: uid_t, gid: gid_t)?) throws {
        try FileManager.default.createDirectory(at: clusterFolder, withIntermediateDirectories: true)
        let passwordFile = folder.appendingPathComponent("initdb-password")
        guard FileManager.default.createFile(atPath: passwordFile.path, contents: Data(credentials.password.utf8), attributes: [.posixPermissions: 0o600])
        else { throw CocoaError(.fileWriteUnknown) }
        defer { try? FileManager.default.removeItem(at: passwordFile) }
        if let runAs {
            chown(clusterFolder.path, runAs.uid, runAs.gid)
            chown(passwordFile.path, runAs.uid, runAs.gid)
        }
        chmod(clusterFolder.path, 0o700)
        logger.info("initialising a private PostgreSQL cluster", metadata: ["data": "\(clusterFolder.path)"])
        _ = try Self.run(
            bin.appendingPathComponent("initdb").path,
            ["-D", clusterFolder.path, "-U", credentials.username, "--pwfile=\(passwordFile.path)", "-A", "scram-sha-256",
             "-E", "UTF8", "--locale=C", "--no-instructions"],
            as: runAs)
    }

    private func waitUntilReady(_ url: DatabaseURL, child: Process) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            guard child.isRunning else {
                throw Failure.commandFailed("postgres", status: child.terminationStatus, log: tailOfLog())
            }
            if let connection = try? await PostgresConnection.connect(configuration: url.connectionConfiguration(), id: 0, logger: logger) {
                try? await connection.close()
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure.startTimedOut(log: tailOfLog())
    }

    private func createDatabase(_ name: String, url: DatabaseURL) async throws {
        let connection = try await PostgresConnection.connect(configuration: url.connectionConfiguration(), id: 0, logger: logger)
        do {
            let exists = try await connection.query("SELECT 1 FROM pg_database WHERE datname = \(name)", logger: logger).collect().count > 0
            if !exists {
                try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \"\(name)\""), logger: logger)
            }
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
    }

    private func tailOfLog() -> String {
        let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(15).joined(separator: "\n")
    }

    private func unprivilegedUser() throws -> (uid: uid_t, gid: gid_t)? {
        guard geteuid() == 0 else { return nil }
        guard let entry = getpwnam("postgres") else { throw Failure.noUnprivilegedUser }
        return (entry.pointee.pw_uid, entry.pointee.pw_gid)
    }

    // MARK: Processes

    /// Runs the child as another user through setpriv(1), which execs in place (no extra process).
    static func dropPrivileges(_ process: Process, to user: (uid: uid_t, gid: gid_t)?) {
        guard let user, let executable = process.executableURL else { return }
        process.arguments = ["--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups", "--", executable.path] + (process.arguments ?? [])
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
    }

    @discardableResult
    static func run(_ command: String, _ arguments: [String], as user: (uid: uid_t, gid: gid_t)? = nil) throws -> String {
        let process = Process()
        if command.hasPrefix("/") {
            process.executableURL = URL(fileURLWithPath: command)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [command] + arguments
        }
        dropPrivileges(process, to: user)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw Failure.commandFailed(([command] + arguments).joined(separator: " "), status: process.terminationStatus, log: text)
        }
        return text
    }

    /// A TCP port on loopback that nothing listens on right now.
    static func freePort() throws -> Int {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(socketFD) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
