// swift-tools-version: 6.0
// A small package that embeds the `Age` library from this repository.
import PackageDescription

let package = Package(
    name: "EmbeddingAge",
    dependencies: [.package(name: "secrets", path: "../..")],
    targets: [
        .executableTarget(
            name: "EmbeddingAge",
            dependencies: [
                .product(name: "Age", package: "secrets"),
                .product(name: "CryptoPrimitives", package: "secrets"),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
