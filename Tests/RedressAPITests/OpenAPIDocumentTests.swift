import Foundation
import Hummingbird
import HummingbirdTesting
import RedressAPI
import RedressCore
import Testing
import TestSupport

/// The served OpenAPI document and the route table must describe the same operations.
@Suite("OpenAPI document")
struct OpenAPIDocumentTests {
    /// The (method, path) pairs under `paths:`. The document keeps a fixed layout: paths indented by
    /// two spaces, their operations by four.
    static func operations(in yaml: String) -> Set<String> {
        var result: Set<String> = []
        var inPaths = false
        var currentPath: String? = nil
        let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" "), !line.isEmpty {
                inPaths = line.hasPrefix("paths:")
                continue
            }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), !line.hasPrefix("   ") {
                currentPath = String(line.dropFirst(2).dropLast())  // drop the trailing ':'
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), let currentPath {
                let key = line.dropFirst(4).split(separator: ":").first.map(String.init) ?? ""
                if methods.contains(key) { result.insert("\(key.uppercased()) \(currentPath)") }
            }
        }
        return result
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedRouteExists() async throws {
        try await withTestApp { app in
            let response = try await app.request(.get, "/openapi.yaml")
            #expect(response.status == .ok)
            #expect(response.contentType?.hasPrefix("application/yaml") == true)
            let document = response.text
            #expect(document.hasPrefix("openapi: 3.1"))
            let documented = Self.operations(in: document)
            let routes = Set(app.endpoints.map { "\($0.method.rawValue) \($0.openAPIPath)" })
            #expect(routes.count == app.endpoints.count, "a route is registered twice")
            #expect(routes.subtracting(documented).isEmpty, "routes missing from the document: \(routes.subtracting(documented).sorted())")
            #expect(documented.subtracting(routes).isEmpty, "documented routes that do not exist: \(documented.subtracting(routes).sorted())")
            #expect(documented.count >= 18)
        }
    }

    /// The enum that follows `marker` in the document, which may run over several lines.
    static func enumeration(after marker: String, in yaml: String) -> [String] {
        guard let start = yaml.range(of: marker), let open = yaml[start.upperBound...].range(of: "enum: ["),
            let close = yaml[open.upperBound...].firstIndex(of: "]")
        else { return [] }
        return yaml[open.upperBound..<close].split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// The document's states and actions are the lifecycle's, in its order.
    @Test func theDocumentsStatesAndActionsAreTheLifecycles() async throws {
        try await withTestApp { app in
            let document = try await app.request(.get, "/openapi.yaml").text
            #expect(Self.enumeration(after: "\n    State:\n", in: document) == ComplaintState.allCases.map(\.rawValue))
            #expect(Self.enumeration(after: "\n      - name: action\n", in: document) == ComplaintAction.allCases.map(\.rawValue))
        }
    }

    @Test func theParserFindsOperationsAndIgnoresEverythingElse() {
        let yaml = """
            openapi: 3.1.0
            paths:
              /a:
                parameters: []
                get:
                  responses: {}
              /b/{id}:
                patch:
                  summary: x
            components:
              schemas:
                get:
                  type: object
            """
        #expect(Self.operations(in: yaml) == ["GET /a", "PATCH /b/{id}"])
    }

    @Test func unknownRoutesAreProblems() async throws {
        try await withTestApp { app in
            let response = try await app.request(.get, "/api/v1/nothing-here")
            #expect(response.status == .notFound)
            #expect(response.json["code"].string == "not_found")
            #expect(response.headers[.init("X-Request-Id")!] != nil)
        }
    }
}
