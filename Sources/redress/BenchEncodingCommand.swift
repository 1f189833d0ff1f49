import ArgumentParser
import Foundation
import RedressAPI

struct BenchEncodingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-encoding",
        abstract: "Time the ways of writing a page of complaints as JSON (run by `make bench` on a release build).",
        shouldDisplay: false)

    @Option(help: "Complaints on the page (1–200).")
    var items = 50

    @Option(help: "Timed encodings of each kind (1–100000).")
    var rounds = 2_000

    func validate() throws {
        guard (1...200).contains(items) else { throw ValidationError("--items must be in 1...200") }
        guard (1...100_000).contains(rounds) else { throw ValidationError("--rounds must be in 1...100000") }
    }

    func run() throws {
        let results = try EncodingBenchmark.run(items: items, rounds: rounds)
        let fastest = results.map(\.microsecondsPerPage).min() ?? 1
        print("encoding a page of \(items) complaints, median of \(rounds):")
        for result in results {
            let name = result.name.padding(toLength: 34, withPad: " ", startingAt: 0)
            print("  \(name)" + String(format: "%9.1f µs  %6.2f×  %d bytes", result.microsecondsPerPage, result.microsecondsPerPage / fastest, result.bytes))
        }
    }
}
