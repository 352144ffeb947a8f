// swift-tools-version: 6.0
// libFuzzer targets for the parsers that read untrusted input: age headers and stanzas, identity
// files, `secrets export` documents, Azure (`az` / Graph) JSON, issuers' answers (Graph, the token
// endpoint, Jamf Pro) and PEM/DER certificates and RSA keys. A package of its own, so the
// main build and `swift test` never see the sanitizer flags. Build and run with Scripts/fuzz.sh,
// which passes `-Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library`: the flags must
// reach every module (so the libraries are instrumented for coverage), not only these targets.
import PackageDescription

let package = Package(
    name: "SecretsFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "secrets", path: "..")],
    targets: [
        // What every target shares: property checks that trap, the testkit's identities, scratch vaults.
        .target(
            name: "FuzzSupport",
            dependencies: [
                .product(name: "Age", package: "secrets"),
                .product(name: "ClientSecrets", package: "secrets"),
                .product(name: "CryptoPrimitives", package: "secrets"),
            ]
        ),
        .executableTarget(
            name: "FuzzAgeHeader",
            dependencies: ["FuzzSupport", .product(name: "Age", package: "secrets"), .product(name: "CryptoPrimitives", package: "secrets")]
        ),
        .executableTarget(
            name: "FuzzIdentityFile",
            dependencies: ["FuzzSupport", .product(name: "Age", package: "secrets"), .product(name: "CryptoPrimitives", package: "secrets")]
        ),
        .executableTarget(
            name: "FuzzExportDocument",
            dependencies: ["FuzzSupport", .product(name: "ClientSecrets", package: "secrets")]
        ),
        .executableTarget(
            name: "FuzzAzureImport",
            dependencies: ["FuzzSupport", .product(name: "ClientSecrets", package: "secrets")]
        ),
        .executableTarget(
            name: "FuzzCertificate",
            dependencies: ["FuzzSupport", .product(name: "CryptoPrimitives", package: "secrets")]
        ),
        .executableTarget(
            name: "FuzzIssuerAnswers",
            dependencies: [
                "FuzzSupport", .product(name: "ClientSecrets", package: "secrets"), .product(name: "CryptoPrimitives", package: "secrets"),
                .product(name: "EntraID", package: "secrets"), .product(name: "JamfPro", package: "secrets"),
                .product(name: "HTTPClient", package: "secrets"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
