// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

// Tests import less precisely than the modules they test.
let testSettings: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "redress",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "redress", targets: ["redress"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
    ],
    targets: [
        // The system's zlib (zlib1g-dev), to inflate a PDF's compressed object streams.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        // The domain: roles, policies, errors, validation. No I/O.
        .target(
            name: "RedressCore",
            dependencies: ["CZlib"],
            // Compiled into the binary: password checks need no file beside it.
            resources: [.embedInCode("Resources/common-passwords.txt"), .embedInCode("Resources/common-passwords-added.txt")],
            swiftSettings: swiftSettings
        ),
        // PostgreSQL: migrations, repositories, row-level security context, the audit chain,
        // and the private PostgreSQL server used when no DATABASE_URL is configured.
        .target(
            name: "RedressStore",
            dependencies: [
                "RedressCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            resources: [.copy("Schema")],
            swiftSettings: swiftSettings
        ),
        // HTTP: router, controllers, middleware, request and response types.
        .target(
            name: "RedressAPI",
            dependencies: [
                "RedressCore",
                "RedressStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "MultipartKit", package: "multipart-kit"),
            ],
            resources: [.copy("openapi.yaml"), .copy("Console/Templates"), .copy("Console/Static")],
            swiftSettings: swiftSettings
        ),
        // Demo and volume data: a realistic world played through the real lifecycle.
        .target(
            name: "RedressDemo",
            dependencies: [
                "RedressCore",
                "RedressStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "redress",
            dependencies: [
                "RedressAPI",
                "RedressDemo",
                "RedressStore",
                "RedressCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Test databases copied from a migrated template, and a clock tests move: the store's tests
        // need nothing else.
        .target(
            name: "StoreTestSupport",
            dependencies: [
                "RedressStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Tests/StoreTestSupport",
            swiftSettings: testSettings
        ),
        // The application on a test database, its seeded world, and helpers to call the API.
        .target(
            name: "TestSupport",
            dependencies: [
                "RedressAPI",
                "StoreTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Tests/TestSupport",
            swiftSettings: testSettings
        ),
        .testTarget(
            name: "RedressCoreTests",
            dependencies: ["RedressCore"],
            swiftSettings: testSettings
        ),
        .testTarget(
            name: "RedressStoreTests",
            dependencies: ["RedressStore", "StoreTestSupport"],
            swiftSettings: testSettings
        ),
        .testTarget(
            name: "RedressAPITests",
            dependencies: [
                "RedressDemo",
                "RedressAPI",
                "StoreTestSupport",
                "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: testSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
