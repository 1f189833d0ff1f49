import AsyncHTTPClient
import Foundation
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// A real browser for tests: Debian's chromedriver driving headless Chromium over the W3C WebDriver
/// protocol. Each `WebDriver` is one browser with a profile of its own (its own cookies).
public final class WebDriver: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    let process: Process
    let base: String
    let session: String

    public static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver") && FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium")
    }

    /// A port nothing listens on now.
    static func freePort() -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Starts chromedriver on a free port and a headless Chromium `width` pixels wide. chromedriver
    /// leads a process group of its own (Foundation starts a child so), so that `kill()` ends the
    /// browsers it started too.
    public static func start(width: Int, height: Int = 1000) async throws -> WebDriver {
        let port = freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/chromedriver")
        process.arguments = ["--port=\(port)", "--allowed-ips=127.0.0.1"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let base = "http://127.0.0.1:\(port)"
        let started = ContinuousClock.now
        while ((try? await call("GET", base + "/status"))?["value"] as? [String: Any])?["ready"] as? Bool != true {
            guard ContinuousClock.now - started < .seconds(60), process.isRunning else {
                Glibc.kill(-process.processIdentifier, SIGKILL)
                throw Failure(description: "chromedriver did not start")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let capabilities: [String: Any] = [
            "capabilities": [
                "alwaysMatch": [
                    "browserName": "chrome",
                    "goog:loggingPrefs": ["browser": "ALL"],
                    "goog:chromeOptions": [
                        "binary": "/usr/bin/chromium",
                        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=\(width),\(height)",
                                 "--lang=zh-CN", "--hide-scrollbars"],
                        // What a browser in mainland China asks for (headless Chromium asks for English).
                        "prefs": ["intl.accept_languages": "zh-CN,zh"],
                    ] as [String: Any],
                ] as [String: Any],
            ]
        ]
        let created = try await call("POST", base + "/session", capabilities)
        guard let session = (created["value"] as? [String: Any])?["sessionId"] as? String else {
            Glibc.kill(-process.processIdentifier, SIGKILL)
            throw Failure(description: "no WebDriver session: \(created)")
        }
        return WebDriver(process: process, base: base, session: session)
    }

    init(process: Process, base: String, session: String) {
        self.process = process
        self.base = base
        self.session = session
    }

    /// Ends the session (which takes the browser with it), then chromedriver and whatever it started.
    public func quit() async {
        if process.isRunning { _ = try? await Self.call("DELETE", "\(base)/session/\(session)") }
        kill()
    }

    /// Ends chromedriver and every process it started, at once (from a `defer`, where nothing can wait).
    public func kill() {
        Glibc.kill(-process.processIdentifier, SIGKILL)
        Glibc.kill(process.processIdentifier, SIGKILL)
    }

    @discardableResult
    func command(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Any? {
        let answer = try await Self.call(method, "\(base)/session/\(session)\(path)", body ?? (method == "POST" ? [:] : nil))
        if let value = answer["value"] as? [String: Any], let error = value["error"] as? String {
            throw Failure(description: "\(method) \(path): \(error): \(value["message"] ?? "")")
        }
        return answer["value"] ?? nil
    }

    static func call(_ method: String, _ url: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 64 * 1024 * 1024)
        return (try JSONSerialization.jsonObject(with: Data(bytes.readableBytesView)) as? [String: Any]) ?? [:]
    }

    public func open(_ url: String) async throws { try await command("POST", "/url", ["url": url]) }

    public func currentURL() async throws -> String { try await command("GET", "/url") as? String ?? "" }

    public func source() async throws -> String { try await command("GET", "/source") as? String ?? "" }

    /// The element the CSS selector finds first.
    public func element(_ selector: String) async throws -> String {
        let found = try await command("POST", "/element", ["using": "css selector", "value": selector]) as? [String: Any]
        guard let id = found?.values.first as? String else { throw Failure(description: "no element \(selector)") }
        return id
    }

    public func type(_ selector: String, _ text: String) async throws {
        let id = try await element(selector)
        try await command("POST", "/element/\(id)/clear")
        try await command("POST", "/element/\(id)/value", ["text": text])
    }

    /// Chooses a local file in a file input.
    public func choose(_ selector: String, file path: String) async throws {
        try await command("POST", "/element/\(try await element(selector))/value", ["text": path])
    }

    public func click(_ selector: String) async throws {
        try await command("POST", "/element/\(try await element(selector))/click")
    }

    /// Clicks a button that submits a form, and waits until the answer's page has loaded (the click
    /// alone may return while the form is still on its way).
    public func submit(_ selector: String) async throws {
        try await command("POST", "/execute/sync", ["script": "document.documentElement.dataset.redressOld = '1';", "args": []])
        try await click(selector)
        let started = ContinuousClock.now
        while true {
            let loaded = try await command(
                "POST", "/execute/sync",
                ["script": "return document.readyState === 'complete' && !document.documentElement.dataset.redressOld;", "args": []]) as? Bool
            if loaded == true { return }
            guard ContinuousClock.now - started < .seconds(30) else { throw Failure(description: "\(selector): no page after 30 s") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// A PNG of the viewport.
    public func screenshot() async throws -> Data {
        Data(base64Encoded: try await command("GET", "/screenshot") as? String ?? "") ?? Data()
    }

    /// Runs `script` in the page; its last argument is the callback that ends it with a value.
    public func executeAsync(_ script: String, _ arguments: [Any] = []) async throws -> Any? {
        try await command("POST", "/execute/async", ["script": script, "args": arguments])
    }

    /// What the page wrote to the browser's console at the level SEVERE (errors), since the last call.
    public func consoleErrors() async throws -> [String] {
        let entries = try await command("POST", "/se/log", ["type": "browser"]) as? [[String: Any]] ?? []
        return entries.filter { ($0["level"] as? String) == "SEVERE" }.compactMap { $0["message"] as? String }
    }
}
