import Hummingbird

/// One operation of the API: its method, its path (Hummingbird syntax, `:id` for a parameter) and its
/// handler. Every route is registered from a list of these, so the list is the route table that the
/// OpenAPI document is checked against.
public struct Endpoint: Sendable {
    public let method: HTTPRequest.Method
    public let path: String
    let handler: @Sendable (Request, RedressRequestContext) async throws -> Response

    init<Output: ResponseGenerator>(
        _ method: HTTPRequest.Method, _ path: String,
        _ handler: @escaping @Sendable (Request, RedressRequestContext) async throws -> Output
    ) {
        self.method = method
        self.path = path
        self.handler = { request, context in
            try await handler(request, context).response(from: request, context: context)
        }
    }

    /// The path as OpenAPI writes it: `{id}` for `:id`.
    public var openAPIPath: String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : String(segment)
        }.joined(separator: "/")
    }
}
