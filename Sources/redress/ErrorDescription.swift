import RedressStore

/// An error as the operator should read it at the command line (database errors in full).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    static func wrap<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            if let description = operatorDescription(ofDatabaseError: error) { throw CommandFailure(description: description) }
            throw error
        }
    }
}
