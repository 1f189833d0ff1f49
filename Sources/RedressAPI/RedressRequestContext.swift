import Foundation
import Synchronization
import Hummingbird
import NIOCore
import RedressCore
import RedressStore

/// What Redress knows about one request while it is handled: who is asking, from where, under which id.
public struct RedressRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal = .anonymous
    /// The SHA-256 of the bearer token that authenticated the request, if one did.
    public var sessionDigest: [UInt8]? = nil
    public var requestID: String = ""
    public var language: Language = .zhCN
    /// The peer's address, or the client's behind a trusted proxy (set by `RequestIDMiddleware`).
    public var clientAddress: String?
    /// Shared by every copy of this context: what inner middleware learns that the access log,
    /// which wraps it, reports.
    let facts = RequestFacts()

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress
    }

    public var origin: RequestOrigin { RequestOrigin(requestID: requestID, clientAddress: clientAddress) }
    public var identity: DatabaseIdentity { DatabaseIdentity(principal) }
    public var auditActor: AuditActor { AuditActor(principal) }
}

/// Facts about a request, written by inner middleware and read by outer middleware. (The context is a
/// value: a change made further in is not seen further out.)
final class RequestFacts: Sendable {
    private let _accountID = Mutex<UUID?>(nil)

    var accountID: UUID? {
        get { _accountID.withLock { $0 } }
        set { _accountID.withLock { $0 = newValue } }
    }
}
