// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Accueil",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "accueil", targets: ["accueil"]),
        .library(name: "AccueilCore", targets: ["AccueilCore"]),
        .library(name: "KioskStore", targets: ["KioskStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // Domain: attendees, roles, countries, the event log and its fold, CSV roster parsing,
        // text folding and the search index. No I/O beyond reading bytes handed to it.
        .target(name: "AccueilCore"),
        // The kiosk's local store: SQLite through GRDB (WAL), event log, projection, outbox.
        .target(
            name: "KioskStore",
            dependencies: ["AccueilCore", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // Commands, terminal door screen and benchmarks; `accueil` only calls into it.
        .target(
            name: "AccueilCLI",
            dependencies: [
                "AccueilCore", "KioskStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "accueil", dependencies: ["AccueilCLI"]),
        .testTarget(name: "AccueilCoreTests", dependencies: ["AccueilCore"]),
        .testTarget(name: "KioskStoreTests", dependencies: ["KioskStore", "AccueilCore"]),
        // Runs the real `accueil` binary, as organisers and their scripts do.
        .testTarget(name: "AccueilCLITests", dependencies: ["accueil", "AccueilCore", "KioskStore"]),
    ],
    swiftLanguageModes: [.v6]
)

for target in package.targets {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    target.swiftSettings = settings
}
