import Foundation
import Hummingbird
import HummingbirdTesting
import RedressAPI
import RedressStore
import StoreTestSupport
import Testing
import TestSupport

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@Suite("Over a real socket")
struct LiveServerTests {
    @Test func failedLoginsAreLimitedPerClientAddress() async throws {
        var configuration = testConfiguration()
        configuration.loginThrottle = LoginThrottle(window: .seconds(900), perAddress: 3, addressSpacing: .seconds(60))
        try await withTestApp(.live, configuration: configuration) { app in
            // Three accounts, one failure each, all from 127.0.0.1: the address reaches its limit and
            // is slowed down to one attempt a minute.
            for index in 0..<3 {
                let response = try await app.request(.post, "/api/v1/auth/login", json: ["email": "guess\(index)@redress.test", "password": "wrong-password"])
                #expect(response.status == .unauthorized)
                #expect(response.headers[.init("X-Request-Id")!] != nil)
            }
            let limited = try await app.request(.post, "/api/v1/auth/login", json: ["email": "guess9@redress.test", "password": "wrong-password"])
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.retryAfter] != nil)
            // The failures were recorded under keyed digests: neither the address nor the e-mail.
            let subjects: [String] = try await app.asOwner { connection in
                var values: [String] = []
                for try await subject in try await connection.query("SELECT DISTINCT subject FROM login_failures", logger: TestDatabase.logger).decode(String.self) {
                    values.append(subject)
                }
                return values
            }
            #expect(subjects.contains { $0.hasPrefix("address:hmac-sha256:") })
            #expect(!subjects.contains { $0.contains("127.0.0.1") || $0.contains("guess") })
        }
    }
}

/// The `redress` executable itself, as a newcomer runs it: no DATABASE_URL, a private PostgreSQL.
@Suite("The redress command", .serialized)
struct RedressCommandTests {
    static let executable = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/debug/redress")

    /// Port 0 asks the kernel; the tiny race with another process is acceptable in a test.
    static func freePort() -> Int { Socket.loopbackPort() }

    /// The token of the verification link in the one mail the service wrote to `folder` (waiting
    /// up to 10 s for its sender to write it).
    static func verificationToken(in folder: URL) async throws -> String? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .seconds(10) {
            for file in (try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? [] {
                let mail = try String(contentsOf: file, encoding: .utf8)
                guard let split = mail.range(of: "\r\n\r\n"),
                    let body = Data(base64Encoded: mail[split.upperBound...].components(separatedBy: "\r\n").joined())
                else { continue }
                let text = String(decoding: body, as: UTF8.self)
                if let link = text.components(separatedBy: .whitespacesAndNewlines).first(where: { $0.contains("verify-email?token=") }) {
                    return link.components(separatedBy: "token=").last
                }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    static func start(dataDir: URL, port: Int, environment extra: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = ["serve", "--port", String(port), "--data-dir", dataDir.path]
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = nil
        environment["REDRESS_BCRYPT_COST"] = "10"
        environment.merge(extra) { $1 }
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    static func status(_ url: URL) async -> Int? {
        var request = URLRequest(url: url)
        request.timeoutInterval = 2
        guard let (_, response) = try? await URLSession.shared.data(for: request) else { return nil }
        return (response as? HTTPURLResponse)?.statusCode
    }

    static func waitForReady(port: Int, process: Process) async -> Bool {
        for _ in 0..<300 where process.isRunning {
            if await status(URL(string: "http://127.0.0.1:\(port)/ready")!) == 200 { return true }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return false
    }

    static func waitForExit(_ process: Process) async -> Int32? {
        for _ in 0..<300 where process.isRunning { try? await Task.sleep(for: .milliseconds(100)) }
        return process.isRunning ? nil : process.terminationStatus
    }

    @Test func servesOnItsOwnDatabaseRestartsOnItAndStopsEverything() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable.path), "build the executable first (make test does)")
        let dataDir = URL(fileURLWithPath: "/tmp/redress-command-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: dataDir) }
        for round in 1...2 {
            let port = Self.freePort()
            let process = try Self.start(dataDir: dataDir, port: port)
            #expect(await Self.waitForReady(port: port, process: process), "round \(round): /ready never answered 200")
            if round == 1 {
                // Something to find again after the restart.
                var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/auth/register")!)
                request.httpMethod = "POST"
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                request.httpBody = Data(#"{"email":"kept@redress.test","password":"Mediation-2026!","display_name":"K"}"#.utf8)
                let (_, response) = try await URLSession.shared.data(for: request)
                #expect((response as? HTTPURLResponse)?.statusCode == 202)
                // Without an SMTP server the verification mail is a file in the data folder: its link creates the account.
                let token = try #require(try await Self.verificationToken(in: dataDir.appendingPathComponent("mail")))
                var confirm = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/auth/register/confirm")!)
                confirm.httpMethod = "POST"
                confirm.setValue("application/json", forHTTPHeaderField: "Content-Type")
                confirm.httpBody = try JSONSerialization.data(withJSONObject: ["token": token, "password": "Mediation-2026!"])
                let (_, confirmed) = try await URLSession.shared.data(for: confirm)
                #expect((confirmed as? HTTPURLResponse)?.statusCode == 201)
            } else {
                var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/auth/login")!)
                request.httpMethod = "POST"
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                request.httpBody = Data(#"{"email":"kept@redress.test","password":"Mediation-2026!"}"#.utf8)
                let (_, response) = try await URLSession.shared.data(for: request)
                #expect((response as? HTTPURLResponse)?.statusCode == 200)
            }
            kill(process.processIdentifier, SIGTERM)
            #expect(await Self.waitForExit(process) == 0, "round \(round): SIGTERM must exit 0")
            #expect(!FileManager.default.fileExists(atPath: dataDir.appendingPathComponent("pgdata/postmaster.pid").path),
                    "round \(round): the private PostgreSQL must be stopped")
        }
        let credentials = try FileManager.default.attributesOfItem(atPath: dataDir.appendingPathComponent("credentials.json").path)
        #expect(credentials[.posixPermissions] as? Int == 0o600)
    }

    /// Limits outside their documented ranges stop the start, before any database, naming each.
    @Test func limitsOutsideTheirRangesStopTheStart() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable.path), "build the executable first (make test does)")
        let settings = [
            "REDRESS_UPLOAD_GRACE_SECONDS": "0", "REDRESS_UPLOAD_MIN_BYTES_PER_SECOND": "1", "REDRESS_FILINGS_PER_DAY": "0",
            "REDRESS_MESSAGES_PER_CASE_PER_HOUR": "100001", "REDRESS_REGISTRATIONS_PER_HOUR": "-1",
            "REDRESS_CONCURRENT_UPLOADS": "9223372036854775808", "REDRESS_DEFAULT_MEDIATION_BODY_ID": "not-an-id",
            "REDRESS_STANDARD_RESPONSE_DAYS": "31", "REDRESS_STANDARD_MERCHANT_RESPONSE_DAYS": "0",
            "REDRESS_STANDARD_FULFILMENT_DAYS": "-7", "REDRESS_STANDARD_CONSUMER_REPLY_DAYS": "99999999999999999999",
            "REDRESS_STANDARD_CONFIRMATION_DAYS": "x", "REDRESS_STANDARD_REFERRAL_DAYS": "61", "REDRESS_REPORT_MIN_RATINGS": "0",
            // Each within its own range, but an idle timeout the cache would outlive: refused together.
            "REDRESS_SESSION_IDLE_MINUTES": "5", "REDRESS_SESSION_CACHE_SECONDS": "300",
            "REDRESS_SECOND_FACTOR": "sometimes", "REDRESS_CASE_RETENTION_DAYS": "30",
        ]
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = ["serve", "--port", "0", "--data-dir", "/tmp/redress-never-\(UUID().uuidString.prefix(8))"]
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = nil
        environment.merge(settings) { $1 }
        process.environment = environment
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let status = await Self.waitForExit(process)
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(status != nil && status != 0)
        for name in settings.keys { #expect(text.contains(name), "\(name) not named: \(text)") }
    }

    /// An operator's default mediation body that is not one stops the start, with the private
    /// PostgreSQL stopped too.
    @Test func aDefaultMediationBodyThatIsNoneStopsTheStart() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable.path), "build the executable first (make test does)")
        let dataDir = URL(fileURLWithPath: "/tmp/redress-command-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: dataDir) }
        let process = try Self.start(dataDir: dataDir, port: Self.freePort(), environment: ["REDRESS_DEFAULT_MEDIATION_BODY_ID": UUID().uuidString])
        let status = await Self.waitForExit(process)
        #expect(status != nil && status != 0, "the service started with a default mediation body that does not exist")
        #expect(!FileManager.default.fileExists(atPath: dataDir.appendingPathComponent("pgdata/postmaster.pid").path))
    }

    /// A service killed outright leaves its private PostgreSQL running; the next `serve` on the folder
    /// stops that orphan and starts. While a service lives, a second one on its folder is refused,
    /// and a command beside it (`admin create`) uses its PostgreSQL.
    @Test func aKilledServiceStartsAgainOnItsFolderAndCommandsShareALiveOne() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable.path), "build the executable first (make test does)")
        let dataDir = URL(fileURLWithPath: "/tmp/redress-command-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: dataDir) }
        let port = Self.freePort()
        let first = try Self.start(dataDir: dataDir, port: port)
        #expect(await Self.waitForReady(port: port, process: first))

        let second = try Self.start(dataDir: dataDir, port: Self.freePort())
        let refused = await Self.waitForExit(second)
        #expect(refused != nil && refused != 0, "a second service on a live service's folder must be refused")

        let admin = Process()
        admin.executableURL = Self.executable
        admin.arguments = ["admin", "create", "--email", "beside@redress.test", "--password-stdin", "--data-dir", dataDir.path]
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = nil
        environment["REDRESS_BCRYPT_COST"] = "10"
        admin.environment = environment
        let input = Pipe()
        admin.standardInput = input
        admin.standardOutput = FileHandle.nullDevice
        admin.standardError = FileHandle.nullDevice
        try admin.run()
        input.fileHandleForWriting.write(Data("Mediation-2026!\n".utf8))
        try input.fileHandleForWriting.close()
        #expect(await Self.waitForExit(admin) == 0, "admin create beside a live service uses its PostgreSQL")
        #expect(await Self.status(URL(string: "http://127.0.0.1:\(port)/ready")!) == 200, "and leaves it running")

        kill(first.processIdentifier, SIGKILL)
        _ = await Self.waitForExit(first)
        let pidFile = dataDir.appendingPathComponent("pgdata/postmaster.pid")
        let orphan = try #require(try String(contentsOf: pidFile, encoding: .utf8).split(separator: "\n").first.flatMap { Int32($0) })
        #expect(kill(orphan, 0) == 0, "the killed service's PostgreSQL is still running")

        let againPort = Self.freePort()
        let again = try Self.start(dataDir: dataDir, port: againPort)
        #expect(await Self.waitForReady(port: againPort, process: again), "the next serve on the folder starts without hands")
        #expect(kill(orphan, 0) != 0, "the orphan was stopped")
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(againPort)/api/v1/auth/login")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(#"{"email":"beside@redress.test","password":"Mediation-2026!"}"#.utf8)
        let (_, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200, "the administrator made beside the first service is there")
        kill(again.processIdentifier, SIGTERM)
        #expect(await Self.waitForExit(again) == 0)
        #expect(!FileManager.default.fileExists(atPath: pidFile.path))
    }
}

enum Socket {
    /// A free TCP port on loopback.
    static func loopbackPort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
