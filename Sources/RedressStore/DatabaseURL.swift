import Foundation
import PostgresNIO

/// A `postgres://user:password@host:port/database?sslmode=…` address, parsed once at start.
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    public enum TLSMode: String, Sendable {
        case disable, prefer, require
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tlsMode: TLSMode

    public init(host: String, port: Int, username: String, password: String?, database: String, tlsMode: TLSMode) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tlsMode = tlsMode
    }

    public init?(_ string: String) {
        guard let components = URLComponents(string: string),
            ["postgres", "postgresql"].contains(components.scheme?.lowercased() ?? ""),
            let user = components.user, !user.isEmpty
        else { return nil }
        host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
        port = components.port ?? 5432
        username = user.removingPercentEncoding ?? user
        password = components.password.map { $0.removingPercentEncoding ?? $0 }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.isEmpty ? username : path.removingPercentEncoding ?? path
        switch components.queryItems?.first(where: { $0.name == "sslmode" })?.value {
        case "disable", "allow": tlsMode = .disable
        case "require", "verify-ca", "verify-full": tlsMode = .require
        case nil, "prefer": tlsMode = isLoopback(host) ? .disable : .prefer
        default: return nil
        }
    }

    /// The same server and database with other credentials.
    public func with(username: String, password: String?) -> DatabaseURL {
        var copy = self
        copy.username = username
        copy.password = password
        return copy
    }

    public func with(database: String) -> DatabaseURL {
        var copy = self
        copy.database = database
        return copy
    }

    /// The address without its password, for logs.
    public var description: String { "postgres://\(username)@\(host):\(port)/\(database)" }

    /// The full address with its password, for handing to a child process or a test helper.
    public var urlString: String {
        func escape(_ value: String) -> String {
            value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~"))) ?? value
        }
        let credentials = escape(username) + (password.map { ":" + escape($0) } ?? "")
        return "postgres://\(credentials)@\(host):\(port)/\(escape(database))?sslmode=\(tlsMode == .disable ? "disable" : tlsMode.rawValue)"
    }

    public var clientConfiguration: PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS =
            switch tlsMode {
            case .disable: .disable
            case .prefer: .prefer(.makeClientConfiguration())
            case .require: .require(.makeClientConfiguration())
            }
        var configuration = PostgresClient.Configuration(host: host, port: port, username: username, password: password, database: database, tls: tls)
        configuration.options.additionalStartupParameters = Self.sessionSettings
        // No keep-alive query on idle connections: PostgresNIO starts a timer task for it each time a
        // connection goes back to the pool and cancels it when the connection is next taken, per
        // request. It finds nothing a request would not: a connection the server closed is dropped
        // when its socket closes, the database monitor watches the server itself twice a second, and
        // a connection idle for a few seconds is closed by the pool (its idle timeout, below), long
        // before a firewall or NAT in between would forget it.
        configuration.options.keepAliveBehavior = nil
        // The idle timeout is a timer PostgresNIO starts each time a connection goes back to the pool.
        // When the connection is taken again the timer is cancelled, but the sleeping task behind it
        // (about a kilobyte) lives until its deadline: the service holds one per request of the last
        // timeout. At PostgresNIO's default of a minute that was 60 s × 2,400 reads a second, the
        // service's memory growing by 10 MiB every 5 s under steady load. Five seconds bounds it to a
        // twelfth; the pool takes the first idle connection, so under light load the first few stay
        // open and only the ones a burst added are closed.
        configuration.options.connectionIdleTimeout = .seconds(5)
        return configuration
    }

    /// Settings of every session Redress opens. No JIT: PostgreSQL compiles a plan whose estimated
    /// cost passes `jit_above_cost`, and the service's statements are short. At a million complaints
    /// a branch that never runs (a consumer's own cases, in a search by staff) put a search over the
    /// threshold: 72 ms compiling 93 functions to run a statement that takes 1 ms.
    static let sessionSettings = [("jit", "off")]

    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS =
            switch tlsMode {
            case .disable: .disable
            case .prefer: .prefer(try .init(configuration: .makeClientConfiguration()))
            case .require: .require(try .init(configuration: .makeClientConfiguration()))
            }
        var configuration = PostgresConnection.Configuration(host: host, port: port, username: username, password: password, database: database, tls: tls)
        configuration.options.additionalStartupParameters = Self.sessionSettings
        return configuration
    }
}

private func isLoopback(_ host: String) -> Bool {
    host == "localhost" || host.hasPrefix("127.") || host == "::1"
}
