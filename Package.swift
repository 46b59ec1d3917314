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
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        // Without its swift-configuration support (a trait): we read our own configuration files.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // Domain: attendees, roles, countries, the event log and its fold, CSV roster parsing,
        // text folding and the search index. No I/O beyond reading bytes handed to it.
        .target(name: "AccueilCore"),
        // Registration exports as files: CSV or Excel workbooks (.xlsx, through ZIPFoundation and
        // Foundation's XML parser), told apart by their bytes.
        .target(
            name: "RosterFiles",
            dependencies: ["AccueilCore", .product(name: "ZIPFoundation", package: "ZIPFoundation")]
        ),
        // How every SQLite file is opened (WAL, synchronous FULL, busy timeout, migrated under a
        // lock file): the kiosk's store, the central store, the mail queue.
        .target(
            name: "StoreSupport",
            dependencies: [
                "AccueilCore", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        // The kiosk's local store: SQLite through GRDB (WAL), event log, projection, outbox.
        .target(
            name: "KioskStore",
            dependencies: [
                "AccueilCore", "StoreSupport", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"), .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // C libraries from Debian's -dev packages (see scripts/deps.sh), one module each.
        .systemLibrary(name: "CQRencode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),
        .systemLibrary(
            name: "CPangoCairo", pkgConfig: "pangocairo", providers: [.apt(["libpango1.0-dev", "libcairo2-dev"])]),
        .systemLibrary(name: "CRsvg", pkgConfig: "librsvg-2.0", providers: [.apt(["librsvg2-dev"])]),
        .systemLibrary(name: "CZbar", pkgConfig: "zbar", providers: [.apt(["libzbar-dev"])]),
        // (Not "CZlib": ZIPFoundation has a module of that name.)
        .systemLibrary(name: "CZlibSystem", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Debian 12's libcups2-dev ships no cups.pc: the module map links libcups itself.
        .systemLibrary(name: "CCups", providers: [.apt(["libcups2-dev"])]),
        // What a badge says and how it is trusted, with no C library: the signed QR payload and its
        // verifier, the keyring, registration tickets' digests, the templates as data (role colours
        // and labels). A verifier (a session door, the server) needs only this.
        .target(name: "BadgeCore", dependencies: ["AccueilCore", .product(name: "Crypto", package: "swift-crypto")]),
        // Badges drawn: the QR matrix (libqrencode), PDF/PNG rendering (cairo, pango, librsvg), QR
        // reading (zbar), e-badges and certificates.
        .target(
            name: "Badges",
            dependencies: [
                "AccueilCore", "BadgeCore", "CQRencode", "CPangoCairo", "CRsvg", "CZbar", "CZlibSystem",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Printing: CUPS destinations and jobs, ZPL for thermal printers, the durable print spooler,
        // and what a job is made of (the badge signed and drawn with the printer's settings).
        .target(
            name: "Printing",
            dependencies: [
                "CCups", "BadgeCore", "Badges", "KioskStore", "AccueilCore", "CPangoCairo",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        // Invitations: each attendee's badge code by e-mail before the event (MIME letters in their
        // language, the durable mail queue, the sendmail(8) and SMTP (STARTTLS, AUTH) transports).
        .target(
            name: "Invitations",
            dependencies: [
                "AccueilCore", "BadgeCore", "Badges", "Tooling", "StoreSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // An HTTP/1.1 client on SwiftNIO (keep-alive, one deadline per request, HTTPS through
        // NIOSSL): the kiosk's sync, the benchmarks, the tests.
        .target(
            name: "WebClient",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // Sync: wire types shared by kiosk and server, and the kiosk's sync loop as a state machine.
        .target(name: "Sync", dependencies: ["AccueilCore"]),
        // What the server's and the kiosk's HTTP sides share: the request context (who is asking),
        // JSON answers, page files served from the binary.
        .target(
            name: "WebSupport",
            dependencies: [
                "AccueilCore", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The central store, apart from the HTTP server (so that `token create`, `backup`, `purge`
        // need no web stack): every kiosk's events once under a global sequence, tokens, organisers,
        // the keyring, what kiosks reported; on SQLite (GRDB) or PostgreSQL (postgres-nio).
        .target(
            name: "CentralStorage",
            dependencies: [
                "AccueilCore", "Sync", "BadgeCore", "StoreSupport", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // The central server over HTTP (Hummingbird): the sync API on a `CentralStore`, its in-memory projection, the
        // dashboard, reports and /metrics.
        .target(
            name: "Server",
            dependencies: [
                "AccueilCore", "Sync", "BadgeCore", "Badges", "WebSupport", "CentralStorage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            // The dashboard's page, style, script and words, compiled into the binary.
            resources: [.embedInCode("Pages")]
        ),
        // The kiosk's services: the HTTP sync client and the background sync (`accueil kiosk`).
        .target(
            name: "Kiosk",
            dependencies: [
                "AccueilCore", "KioskStore", "Sync", "WebClient",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // What a service of this machine needs from systemd, without libsystemd: sd_notify
        // (READY, the watchdog, STOPPING) and the journal's native protocol for logs; and its
        // configuration files (server.yaml, kiosk.yaml), checked against their options.
        .target(
            name: "Ops",
            dependencies: [
                "AccueilCore", .product(name: "Logging", package: "swift-log"), .product(name: "Yams", package: "Yams"),
            ]),
        // The kiosk station's application (`accueil kiosk`): its local HTTP API and the screens of
        // each mode (door, session door, self-service), the staff gate, the door's search index.
        // `buildKioskRouter` / `buildKioskApplication` take a plain configuration; no central server.
        .target(
            name: "KioskApp",
            dependencies: [
                "AccueilCore", "KioskStore", "BadgeCore", "Sync", "Kiosk", "WebSupport", "Ops",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // The kiosk's web pages (.html, .css, .js) and the words of each language (words-*.json),
            // compiled into the binary: the install stays one file.
            resources: [.embedInCode("Pages")]
        ),
        // What every command shares: the option groups (--data, --badges, --printer), the station's
        // configuration, exit statuses, output helpers, the central store opened for one call.
        .target(
            name: "CommandSupport",
            dependencies: [
                "AccueilCore", "KioskStore", "BadgeCore", "Badges", "Printing", "Sync", "CentralStorage", "KioskApp",
                "Ops", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // `accueil bench`: the benchmarks whose figures BENCHMARKS.md gives, apart from the
        // product's commands; the command-line target links it as one subcommand.
        .target(
            name: "Benchmarks",
            dependencies: [
                "AccueilCore", "KioskStore", "BadgeCore", "Badges", "Printing", "Sync", "CentralStorage", "Server",
                "Kiosk", "KioskApp", "Tooling", "RosterFiles", "WebClient", "WebSupport", "CommandSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The commands and the terminal door screen; `accueil` only calls into it.
        .target(
            name: "AccueilCLI",
            dependencies: [
                "AccueilCore", "KioskStore", "BadgeCore", "Badges", "Printing", "Sync", "CentralStorage", "Server",
                "Kiosk", "KioskApp", "Ops", "Tooling", "CommandSupport", "Benchmarks",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                "RosterFiles", "Invitations",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                "WebClient",
            ]
        ),
        .executableTarget(name: "accueil", dependencies: ["AccueilCLI", "AccueilCore"]),
        // Running programs without Foundation's Process (see Spawn.swift), loopback HTTP, and a
        // WebDriver client for headless Chromium: for the tests and `accueil bench kiosk`.
        .target(name: "Tooling"),
        // Test helpers: QR decoding of printed PDFs, plus Tooling.
        .target(
            name: "TestSupport",
            dependencies: [
                "Tooling", "WebClient", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/TestSupport"),
        .testTarget(name: "AccueilCoreTests", dependencies: ["AccueilCore"]),
        .testTarget(name: "RosterFilesTests", dependencies: ["RosterFiles", "AccueilCore", "TestSupport"]),
        .testTarget(name: "KioskStoreTests", dependencies: ["KioskStore", "AccueilCore", "StoreSupport"]),
        .testTarget(name: "BadgesTests", dependencies: ["BadgeCore", "Badges", "AccueilCore", "TestSupport"]),
        .testTarget(
            name: "WebClientTests",
            dependencies: [
                "WebClient", "Tooling", "TestSupport", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]),
        .testTarget(name: "SyncTests", dependencies: ["Sync", "KioskStore", "AccueilCore"]),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server", "CentralStorage", "Sync", "AccueilCore", "KioskStore", "Kiosk",
                "TestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The kiosk's routes, served in this process on a loopback port (no browser, no root).
        .testTarget(
            name: "KioskAppTests",
            dependencies: [
                "KioskApp", "KioskStore", "BadgeCore", "AccueilCore", "WebSupport", "Kiosk", "Sync",
                "TestSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Runs the real `accueil` binary, as organisers and their scripts do.
        .testTarget(
            name: "AccueilCLITests", dependencies: ["accueil", "AccueilCore", "KioskStore", "Printing", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)

// Swift 6.3.1's release builds drop the store of nil into an optional field of a value an async
// function returns indirectly, when another path of the function overwrites it: LLVM's dead store
// elimination takes the coroutine's `unreachable` exits for paths that never return
// (docs/release-crash.md, docs/release-crash-repro.swift). Limiting it to stores overwritten in
// the same block removes the case; CompilerWorkaroundTests checks the reproduction with this flag.
let deadStoreWorkaround = ["-Xllvm", "-dse-memoryssa-otherbb-cost=1000"]

for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.unsafeFlags(deadStoreWorkaround, .when(configuration: .release)))
    target.swiftSettings = settings
}
