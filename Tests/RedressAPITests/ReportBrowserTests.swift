import Foundation
import Hummingbird
import HummingbirdTesting
import RedressAPI
import StoreTestSupport
import Testing
import TestSupport

/// The report page as a reader's browser shows it: headless Chromium (Debian's, installed by
/// `make test`) opens it over a real socket at a phone's width.
@Suite("The report page in a browser")
struct ReportBrowserTests {
    static func chromium() -> String? {
        for candidate in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return nil
    }

    /// Runs Chromium headless with a throw-away profile; returns what it printed. Waited for on a
    /// thread of its own: Chromium asks the service in this process for the page, and a blocked
    /// concurrency thread could be the one that would answer.
    static func runChromium(_ executable: String, _ arguments: [String]) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try runChromiumBlocking(executable, arguments) }) }.start()
        }
    }

    static func runChromiumBlocking(_ executable: String, _ arguments: [String]) throws -> String {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("redress-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars",
            "--user-data-dir=\(profile.path)", "--window-size=390,1800",
        ] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test func chromiumShowsTheChartsAndTheNumbersAtAPhonesWidth() async throws {
        guard let chromium = Self.chromium() else {
            Issue.record("Chromium is not installed: `make test` installs it (Deploy/ensure-chromium.sh)")
            return
        }
        let clock = ManualClock("2026-09-24T10:00:00+08:00")
        try await withTestApp(.live, configuration: PublicReportTests.configuration(clock, minimum: 1)) { app in
            let world = try await PublicReportTests().scenario(app, clock)
            let port = try #require(app.client.port)
            let url = "http://127.0.0.1:\(port)/reports?period=2026-Q3"

            let dom = try await Self.runChromium(chromium, ["--dump-dom", url])
            #expect(dom.contains("<svg id=\"chart-platforms\""), "\(dom.prefix(500))")
            #expect(dom.contains("<svg id=\"chart-trend\""))
            #expect(dom.contains("class=\"complaints\" data-value=\"2\""))
            #expect(dom.contains("class=\"response-rate\" data-value=\"0.5000\""))
            #expect(dom.contains("data-month=\"2026-09\" data-value=\"2\""))
            #expect(dom.contains("50.0%"))
            #expect(dom.contains("平台A"))
            let english = try await Self.runChromium(chromium, ["--dump-dom", url + "&lang=en"])
            #expect(english.contains("Ranking"))
            let platformPage = try await Self.runChromium(chromium, ["--dump-dom", "http://127.0.0.1:\(port)/reports/platforms/\(world.platformA)?period=2026-Q3"])
            #expect(platformPage.contains("<svg id=\"chart-trend\""))

            // A screenshot at a phone's width, kept out of git under .build/.
            let folder = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/screenshots")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let screenshot = folder.appendingPathComponent("reports-phone.png")
            try? FileManager.default.removeItem(at: screenshot)
            _ = try await Self.runChromium(chromium, ["--screenshot=\(screenshot.path)", url])
            let png = try Data(contentsOf: screenshot)
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
            // IHDR: width and height, big-endian, at bytes 16–23.
            let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }
            #expect(width == 390)
            #expect(png.count > 20_000, "a blank page compresses to almost nothing")
        }
    }
}
