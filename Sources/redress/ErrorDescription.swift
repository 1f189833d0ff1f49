import PostgresNIO

/// An error as the operator should read it. PostgresNIO's errors describe themselves vaguely on
/// purpose (they may hold query data); at the command line their full reflection is what helps.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    static func wrap<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PSQLError {
            throw CommandFailure(description: String(reflecting: error))
        } catch let error as PostgresTransactionError {
            throw CommandFailure(description: String(reflecting: error))
        }
    }
}
