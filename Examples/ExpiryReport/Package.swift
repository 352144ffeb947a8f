// swift-tools-version: 6.0
import PackageDescription

// A small program that embeds the ClientSecrets library: it opens a vault with an identity file
// and prints what expires in the next N days.
let package = Package(
    name: "ExpiryReport",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "secrets", path: "../..")],
    targets: [
        .executableTarget(
            name: "ExpiryReport",
            dependencies: [
                .product(name: "ClientSecrets", package: "secrets"),
                .product(name: "Age", package: "secrets"),
                .product(name: "CryptoPrimitives", package: "secrets"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
