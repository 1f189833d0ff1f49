import Foundation
import Hummingbird

/// Times in responses are written with the offset of the deployment's zone: this sets it for
/// everything the request runs (a task-local value, so that two routers in one process — tests —
/// can show different zones).
struct DisplayTimeZoneMiddleware<Context: RequestContext>: RouterMiddleware {
    let timeZone: TimeZone

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await APIJSON.$displayTimeZone.withValue(timeZone) { try await next(request, context) }
    }
}
