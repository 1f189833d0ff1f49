import Crypto
import Foundation
import HummingbirdBcrypt
import NIOPosix

/// bcrypt (hummingbird-auth's implementation) on NIO's thread pool, so that its deliberate slowness
/// never blocks an event loop. bcrypt reads only 72 bytes, and a password may be 128 characters of up
/// to 4 bytes each: the password is first reduced to base64(SHA-256(password)), 44 ASCII bytes (the
/// "bcrypt-sha256" construction of passlib), so that every byte of it counts.
public struct PasswordHasher: Sendable {
    public let cost: UInt8

    public init(cost: UInt8) {
        self.cost = max(cost, 10)
    }

    public func hash(_ password: String) async throws -> String {
        let input = Self.prehash(password)
        let cost = self.cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(input, cost: cost) }
    }

    public func verify(_ password: String, hash: String) async throws -> Bool {
        let input = Self.prehash(password)
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(input, hash: hash) }
    }

    static func prehash(_ password: String) -> String {
        Data(SHA256.hash(data: Data(password.utf8))).base64EncodedString()
    }
}
