import Foundation
import Hummingbird
import Logging
import RedressCore

/// Gives every request an id (the client's `X-Request-Id` when it is sane, otherwise a new one), puts
/// it in the log metadata and on the response, and picks the language of human-readable texts.
/// Behind a trusted proxy it also takes the client's address from `X-Forwarded-For`.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = RedressRequestContext
    var trustedProxies = TrustedProxies.none

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.clientAddress = trustedProxies.clientAddress(
            peer: context.clientAddress, forwardedFor: request.headers[values: .init("X-Forwarded-For")!])
        if let given = request.headers[.init("X-Request-Id")!], Self.isSane(given) {
            context.requestID = given
        } else {
            context.requestID = UUID().uuidString.lowercased()
        }
        context.logger[metadataKey: "request_id"] = .string(context.requestID)
        context.language = Language.negotiate(acceptLanguage: request.headers[.acceptLanguage])
        var response = try await next(request, context)
        response.headers[.init("X-Request-Id")!] = context.requestID
        return response
    }

    static func isSane(_ id: String) -> Bool {
        (1...64).contains(id.count) && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }
}
