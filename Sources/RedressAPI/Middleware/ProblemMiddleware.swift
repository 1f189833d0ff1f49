import Foundation
import Hummingbird
import Logging
import NIOCore
import RedressCore
import RedressStore

/// Renders every error as `application/problem+json` (RFC 9457) with a stable `code`, and writes one
/// log line per request. Unexpected errors are logged in full and shown only as `internal_error`.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = RedressRequestContext
    /// Each request is also counted and timed here, by route template, method and status.
    let metrics: ServiceMetrics
    /// The service's keys, for the form token of a console error page's sign-out form.
    var keys: Keyring? = nil

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            let problem = Self.redressError(for: error, logger: context.logger)
            // The report pages are read in a browser: their errors are pages too.
            if ReportPage.serves(request.uri.path) {
                response = ReportPage.errorResponse(problem, request: request, context: context)
            } else if ConsoleSecurity.serves(request.uri.path) {
                response = ConsolePage.errorResponse(problem, request: request, context: context, keys: keys)
            } else {
                response = Self.render(problem, context: context)
            }
        }
        let elapsed = ContinuousClock.now - started
        // Hummingbird names the route of a path nothing matched "NotFound".
        let route = context.endpointPath.flatMap { $0 == "NotFound" ? nil : $0 } ?? "unmatched"
        // A client chooses the method: only the ones Redress serves become series of their own.
        let method = Self.measuredMethods.contains(request.method) ? request.method.rawValue : "other"
        metrics.request(route: route, method: method, status: Int(response.status.code), duration: elapsed)
        context.logger.info(
            "request",
            metadata: [
                "method": .string(request.method.rawValue),
                "route": .string(route),
                "status": .stringConvertible(response.status.code),
                "duration_ms": .stringConvertible(Self.milliseconds(elapsed)),
                "account_id": .string(context.facts.accountID?.uuidString.lowercased() ?? "-"),
            ])
        return response
    }

    static let measuredMethods: Set<HTTPRequest.Method> = [.get, .head, .post, .put, .patch, .delete, .options]

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return (Double(seconds) * 1000 + Double(attoseconds) / 1e15).rounded(toPlaces: 3)
    }

    static func redressError(for error: any Error, logger: Logger) -> RedressError {
        switch error {
        case let error as RedressError:
            if error.code == .internalError { logger.error("internal error", metadata: ["error": "\(String(reflecting: error))"]) }
            return error
        case let error as HTTPError:
            switch error.status.code {
            case 400: return RedressError(.malformedRequest)
            case 404: return .notFound
            case 405: return RedressError(.methodNotAllowed)
            case 413: return RedressError(.payloadTooLarge)
            case 415: return RedressError(.unsupportedMediaType)
            case 400..<500: return RedressError(.malformedRequest)
            default: break
            }
        default:
            break
        }
        logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))"])
        return RedressError(.internalError)
    }

    static func render(_ error: RedressError, context: Context) -> Response {
        var body: [String: ProblemValue] = [
            "type": .string("urn:redress:problem:\(error.code.rawValue)"),
            "title": .string(error.code.title(in: context.language)),
            "status": .int(error.status),
            "code": .string(error.code.rawValue),
            "request_id": .string(context.requestID),
        ]
        if let detail = error.detail { body["detail"] = .string(detail) }
        if !error.invalidFields.isEmpty { body["invalid_fields"] = .fields(error.invalidFields) }
        if let allowed = error.allowedActions { body["allowed_actions"] = .strings(allowed) }
        var headers: HTTPFields = [.contentType: "application/problem+json; charset=utf-8"]
        if let retryAfter = error.retryAfterSeconds { headers[.retryAfter] = String(retryAfter) }
        if error.code == .unauthenticated { headers[.wwwAuthenticate] = "Bearer" }
        if error.code == .internalError || error.code == .unavailable { headers[.cacheControl] = "no-store" }
        let data = (try? APIJSON.encode(body)) ?? []
        return Response(
            status: .init(code: error.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    enum ProblemValue: Encodable {
        case string(String)
        case int(Int)
        case fields([RedressError.InvalidField])
        case strings([String])

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let value): try container.encode(value)
            case .int(let value): try container.encode(value)
            case .fields(let value): try container.encode(value)
            case .strings(let value): try container.encode(value)
            }
        }
    }
}

extension Double {
    func rounded(toPlaces places: Int) -> Double {
        let factor = pow(10, Double(places))
        return (self * factor).rounded() / factor
    }
}
