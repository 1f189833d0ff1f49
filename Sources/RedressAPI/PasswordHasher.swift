import Crypto
import Foundation
import HummingbirdBcrypt
import NIOPosix
import RedressCore
import Synchronization

/// bcrypt (hummingbird-auth's implementation) on NIO's thread pool, so that its deliberate slowness
/// never blocks an event loop. bcrypt reads only 72 bytes, and a password may be 128 characters of up
/// to 4 bytes each: the password is first reduced to base64(SHA-256(password)), 44 ASCII bytes (the
/// "bcrypt-sha256" construction of passlib), so that every byte of it counts.
///
/// At most `maximumInFlight` hashes run or wait at once per process (503 with Retry-After beyond):
/// each costs a quarter of a second of a core, and logins, registrations and guesses from many
/// addresses would otherwise queue without end in front of everyone's.
public struct PasswordHasher: Sendable {
    public let cost: UInt8
    private let admission: Admission

    public init(cost: UInt8, maximumInFlight: Int = 64) {
        self.cost = max(cost, 10)
        admission = Admission(limit: maximumInFlight)
    }

    public func hash(_ password: String) async throws -> String {
        let input = Self.prehash(password)
        let cost = self.cost
        return try await admission.run { try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(input, cost: cost) } }
    }

    public func verify(_ password: String, hash: String) async throws -> Bool {
        let input = Self.prehash(password)
        return try await admission.run { try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(input, hash: hash) } }
    }

    /// How many hashes are running or waiting in this process.
    public var inFlight: Int { admission.count.withLock { $0 } }

    final class Admission: Sendable {
        let limit: Int
        let count = Mutex(0)

        init(limit: Int) { self.limit = max(limit, 1) }

        func run<T>(_ work: () async throws -> T) async throws -> T {
            let admitted = count.withLock { count in
                guard count < limit else { return false }
                count += 1
                return true
            }
            guard admitted else { throw RedressError(.unavailable, detail: "Too many sign-ins at once; try again shortly.", retryAfterSeconds: 1) }
            defer { count.withLock { $0 -= 1 } }
            return try await work()
        }
    }

    static func prehash(_ password: String) -> String {
        Data(SHA256.hash(data: Data(password.utf8))).base64EncodedString()
    }
}
