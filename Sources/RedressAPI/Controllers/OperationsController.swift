import Foundation
import Hummingbird
import Logging
import NIOCore
import RedressCore
import RedressStore

/// Liveness, readiness and the API's own description.
struct OperationsController {
    let database: Database
    let openAPIDocument: ByteBuffer

    var endpoints: [Endpoint] {
        [
            Endpoint(.get, "/health", health),
            Endpoint(.get, "/ready", ready),
            Endpoint(.get, "/openapi.yaml", openAPI),
        ]
    }

    struct Status: Encodable, Sendable {
        let status: String
    }

    @Sendable func health(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<Status> {
        JSONResponse(body: Status(status: "ok"))
    }

    @Sendable func ready(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<Status> {
        do {
            try await database.ping()
        } catch {
            context.logger.warning("readiness check failed", metadata: ["error": "\(String(reflecting: error))"])
            throw RedressError(.unavailable, detail: "The database is not reachable.")
        }
        return JSONResponse(body: Status(status: "ready"))
    }

    @Sendable func openAPI(_ request: Request, context: RedressRequestContext) async throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"], body: .init(byteBuffer: openAPIDocument))
    }
}
