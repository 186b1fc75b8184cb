// swift-tools-version:6.2
import PackageDescription

// C libraries come from Debian's -dev packages; `make setup` installs them.
func cLibrary(_ name: String, pkgConfig: String, apt: String) -> Target {
    .systemLibrary(name: name, path: "Sources/\(name)", pkgConfig: pkgConfig, providers: [.apt([apt])])
}

let package = Package(
    name: "mailstorm",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mailstorm", targets: ["mailstorm"]),
        .executable(name: "campaignd", targets: ["campaignd"]),
        .library(name: "Harness", targets: ["Harness"]),
        .library(name: "Reports", targets: ["Reports"]),
        .library(name: "Scenarios", targets: ["Scenarios"]),
        .library(name: "SystemUnderTest", targets: ["SystemUnderTest"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        cLibrary("CLibPQ", pkgConfig: "libpq", apt: "libpq-dev"),
        cLibrary("CHiredis", pkgConfig: "hiredis", apt: "libhiredis-dev"),
        cLibrary("CCurl", pkgConfig: "libcurl", apt: "libcurl4-openssl-dev"),
        cLibrary("CJemalloc", pkgConfig: "jemalloc", apt: "libjemalloc-dev"),
        cLibrary("CZlib", pkgConfig: "zlib", apt: "zlib1g-dev"),
        // HMAC-SHA256 for tracking tokens, SHA-256 for stored sessions, constant-time comparison.
        cLibrary("CCrypto", pkgConfig: "libcrypto", apt: "libssl-dev"),
        // glibc's posix_spawn_file_actions_addclosefrom_np, so spawned servers inherit no harness sockets.
        .systemLibrary(name: "CSpawn", path: "Sources/CSpawn"),
        // epoll, eventfd and thread names, for the load engine's own event loop.
        .systemLibrary(name: "CEventLoop", path: "Sources/CEventLoop"),

        // The load engine alone: pacers, workload, client, recording, and the result types it measures into.
        .target(name: "Harness", dependencies: [
            "CZlib", "CEventLoop",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["Environment"],
        // The engine's hot path mutates structs held by classes (recorder, parser, connection state, timer heap),
        // and each such access was checked for exclusivity at run time: 1.5k of the 14k instructions per request.
        // Debug builds, which the tests run, keep the check.
        swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]),
        // What the engine runs in: the embedded stack, the mail sink, monitoring and profiling, planned faults.
        .target(name: "Environment", dependencies: [
            "Harness", "CZlib", "CSpawn",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
            .product(name: "Logging", package: "swift-log"),
        ], path: "Sources/Harness/Environment"),
        .target(name: "Scenarios", dependencies: ["Harness", "Environment", .product(name: "Yams", package: "Yams")]),
        .target(name: "Reports", dependencies: ["Harness", "Environment"]),
        .target(name: "SystemUnderTest", dependencies: [
            "CLibPQ", "CHiredis", "CJemalloc", "CCurl", "CCrypto",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        .target(name: "CommandLineSupport", dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "mailstorm", dependencies: [
            "Harness", "Environment", "Scenarios", "Reports", "CommandLineSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "campaignd", dependencies: [
            "SystemUnderTest", "CommandLineSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], linkerSettings: [.linkedLibrary("jemalloc")]),

        .testTarget(name: "HarnessTests", dependencies: ["Harness"]),
        .testTarget(name: "EnvironmentTests", dependencies: ["Environment", "Harness", .product(name: "NIOEmbedded", package: "swift-nio")]),
        .testTarget(name: "ScenariosTests", dependencies: ["Scenarios"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports"]),
        // Route tests run against the real stack (IntegrationTests), not HummingbirdTesting: that would pull
        // async-http-client and BoringSSL into every CI build for no extra coverage.
        .testTarget(name: "SystemUnderTestTests", dependencies: [
            "SystemUnderTest", .product(name: "Yams", package: "Yams"), .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        // Depends on both executables so that `swift test` builds the binaries it launches.
        .testTarget(name: "IntegrationTests", dependencies: ["Harness", "Environment", "Scenarios", "Reports", "SystemUnderTest", "mailstorm", "campaignd"]),
    ],
    swiftLanguageModes: [.v6]
)

// The project's own code builds without warnings, and stays so: a warning fails its build (dependencies keep theirs).
for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + [.unsafeFlags(["-warnings-as-errors"])]
}
