import ArgumentParser
import RedressStore

/// `redress keys new <id>`: prints a line for a key file (Docs/operations.md, "Rotating keys").
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Make keys for REDRESS_KEYS_FILE.", subcommands: [New.self])

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a new random key as a key-file line `<id> <64 hex digits>`; list it first to make it current.")

        @Argument(help: "The key's id: 1-16 of a-z, 0-9 and -, different from every key still listed.")
        var id: String

        func validate() throws {
            guard (1...16).contains(id.count), id.allSatisfy({ ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "-" }) else {
                throw ValidationError("the id must be 1-16 of a-z, 0-9 and -")
            }
        }

        func run() {
            print(Keyring.newKeyLine(id: id))
        }
    }
}
