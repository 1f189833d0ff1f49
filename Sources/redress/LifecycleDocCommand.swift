import ArgumentParser
import RedressCore

struct LifecycleDocCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lifecycle-doc", abstract: "Print Docs/lifecycle.md, generated from the transition table.")

    func run() throws {
        print(LifecycleDocument.markdown(), terminator: "")
    }
}
