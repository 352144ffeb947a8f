// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "secrets",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Age", targets: ["Age"]),
        .library(name: "CryptoPrimitives", targets: ["CryptoPrimitives"]),
        .library(name: "ClientSecrets", targets: ["ClientSecrets", "Rotation"]),
        .library(name: "Hooks", targets: ["Hooks"]),
        .library(name: "HTTPClient", targets: ["HTTPClient"]),
        .library(name: "EntraID", targets: ["EntraID"]),
        .library(name: "Providers", targets: ["Providers"]),
        .library(name: "JamfPro", targets: ["JamfPro", "JamfProAPI"]),
        .executable(name: "secrets", targets: ["secrets"]),
        .executable(name: "secrets-rotate", targets: ["secrets-rotate"]),
        .executable(name: "age-decrypt-benchmark", targets: ["AgeDecryptBenchmark"]),
        .executable(name: "secrets-emulator", targets: ["SecretsEmulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        // The diagnostic log (SECRETS_LOG_LEVEL): HTTP exchanges, retries and rotation steps.
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        // Test-support only: the loopback emulators of Microsoft Graph and Jamf Pro.
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.27.0"),
    ],
    targets: [
        // libcrypto from the system (Debian: libssl-dev), plus a shim for macros Swift cannot import.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]
        ),
        // libcurl from the system (Debian: libcurl4-openssl-dev), called directly by HTTPClient so
        // that no decompressor runs on what a server sends and a write callback can stop a body.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"]), .brew(["curl"])]
        ),
        // prctl(2) for SecretsCLI's process set-up: variadic in C, so Swift needs a wrapper.
        .systemLibrary(name: "CProcessControl", path: "Sources/CProcessControl"),
        // The only Swift code that calls OpenSSL: typed primitives and self-wiping key storage.
        .target(name: "CryptoPrimitives", dependencies: ["COpenSSL"]),
        // The age v1 file format.
        .target(name: "Age", dependencies: ["CryptoPrimitives"]),
        // The storage seam: what the vault asks of a database (transactions, SQL, rows), no backend.
        .target(name: "Storage"),
        // The team backend: the same tables on a PostgreSQL server, through libpq loaded at run
        // time (only a vault on PostgreSQL loads it; see LibPQ.swift).
        .target(name: "StoragePostgreSQL", dependencies: ["Storage"]),
        // The embedded backend: one SQLite file through GRDB, and the SQLite C API to read a
        // listing's columns in place (see Vault.expiring).
        .target(
            name: "StorageSQLite",
            dependencies: [
                "Storage", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        // The model, the encrypted vault (records, keyring, audit, journal) and the lifecycle rules,
        // written once above the storage seam.
        .target(
            name: "ClientSecrets",
            dependencies: ["Age", "CryptoPrimitives", "Storage", "StorageSQLite", "StoragePostgreSQL", .product(name: "Logging", package: "swift-log")]
        ),
        // One process runner for every hook: an administrator's command with a secret on stdin,
        // a clean environment, its own process group, bounded output and time.
        .target(name: "Hooks", dependencies: ["ClientSecrets", "Rotation", "CryptoPrimitives", .product(name: "Logging", package: "swift-log")]),
        // The rotation engine: plans, the five journaled steps, retirement, rollback, and the
        // Issuer / SecretConsumer protocols the services implement. No service, no CLI text.
        .target(name: "Rotation", dependencies: ["ClientSecrets", "CryptoPrimitives", .product(name: "Logging", package: "swift-log")]),
        // The one bounded HTTP layer under Graph, the token endpoint and Jamf Pro: a body size
        // limit, a real deadline, no redirects, and Retry-After / expires_in read without traps.
        .target(name: "HTTPClient", dependencies: ["CCurl", "CryptoPrimitives", .product(name: "Logging", package: "swift-log")]),
        // Microsoft Graph and the Entra ID token endpoint: the Entra ID issuer.
        .target(
            name: "EntraID",
            dependencies: ["Rotation", "ClientSecrets", "CryptoPrimitives", "HTTPClient", .product(name: "Logging", package: "swift-log")]),
        // The Intune-integration payload and runbook: no networking, so `secrets` can print it.
        .target(name: "JamfPro", dependencies: ["Rotation", "ClientSecrets", "CryptoPrimitives"]),
        // The Jamf Pro API over URLSession: the Intune consumer and the API-client issuer.
        .target(
            name: "JamfProAPI",
            dependencies: ["Rotation", "JamfPro", "ClientSecrets", "CryptoPrimitives", "Hooks", "HTTPClient", .product(name: "Logging", package: "swift-log")]),
        // Every command. It links no HTTP client: FoundationNetworking would load libcurl and two
        // dozen more libraries on every start, so `rotate` and `rollback` run in `secrets-rotate`.
        .target(
            name: "SecretsCLI",
            dependencies: ["Rotation", 
                "Age",
                "ClientSecrets",
                "CProcessControl",
                "JamfPro",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Builds issuers and consumers from an app's settings: those that talk HTTP, and hooks.
        // Below the command line: `secrets-rotate` hands it to SecretsCLI.
        .target(name: "Providers", dependencies: ["Rotation", "ClientSecrets", "Hooks", "EntraID", "JamfPro", "JamfProAPI"]),
        .executableTarget(name: "secrets", dependencies: ["SecretsCLI"]),
        // `secrets` with HTTP; `secrets rotate` and `secrets rollback` exec it.
        .executableTarget(name: "secrets-rotate", dependencies: ["SecretsCLI", "Providers"]),
        .executableTarget(
            name: "AgeDecryptBenchmark",
            dependencies: ["Age"],
            path: "Benchmarks/AgeDecrypt"
        ),
        // Loopback emulators of Microsoft Graph + the Entra ID token endpoint and of the Jamf Pro API,
        // speaking real HTTP; used by the tests and runnable as `secrets-emulator`.
        .target(
            name: "Emulators",
            // CryptoPrimitives checks client assertions' signatures; it is itself checked
            // against Python's cryptography (RSACertificateTests, ClientAssertionTests).
            dependencies: ["CryptoPrimitives", .product(name: "FlyingFox", package: "FlyingFox")],
            path: "TestSupport/Emulators"
        ),
        .executableTarget(name: "SecretsEmulator", dependencies: ["Emulators"], path: "Tools/secrets-emulator"),
        .testTarget(name: "CryptoPrimitivesTests", dependencies: ["CryptoPrimitives", "ProcessHarness"]),
        .testTarget(name: "EntraIDTests", dependencies: ["Rotation", "EntraID", "ClientSecrets", "CryptoPrimitives", "Emulators", "HTTPClient", "ProcessHarness"]),
        .testTarget(
            name: "JamfProTests",
            dependencies: ["Rotation", "JamfPro", "JamfProAPI", "ClientSecrets", "CryptoPrimitives", "Emulators", "Hooks", "ProcessHarness", "HTTPClient"]),
        // Runs child processes with time limits: shared by the tests that drive real programs.
        .target(name: "ProcessHarness", path: "TestSupport/ProcessHarness"),
        // The PostgreSQL server the tests run against, when one is named.
        .target(name: "TestPostgreSQL", dependencies: ["StoragePostgreSQL", "ProcessHarness"], path: "TestSupport/TestPostgreSQL"),
        .testTarget(name: "HooksTests", dependencies: ["Rotation", "Hooks", "ClientSecrets", "CryptoPrimitives", "ProcessHarness"]),
        .testTarget(name: "AgeTests", dependencies: ["Age", "CryptoPrimitives", "ProcessHarness"]),
        .testTarget(
            name: "ClientSecretsTests",
            dependencies: [
                "Rotation", "ClientSecrets", "Age", "CryptoPrimitives", "ProcessHarness", "Storage", "StorageSQLite", "TestPostgreSQL",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // The storage seam's contract, run against every backend.
        .testTarget(name: "StorageTests", dependencies: ["Storage", "StorageSQLite", "StoragePostgreSQL", "ProcessHarness", "TestPostgreSQL"]),
        // The command line's own pieces, in process: output writers, option parsing.
        .testTarget(name: "SecretsCLITests", dependencies: ["SecretsCLI", "ClientSecrets"]),
        // Runs the built `secrets` binary as a user would.
        .testTarget(name: "EndToEndTests", dependencies: ["Age", "ProcessHarness", "Emulators", "TestPostgreSQL"]),
    ],
    swiftLanguageModes: [.v6]
)
