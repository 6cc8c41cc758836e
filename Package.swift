// swift-tools-version:6.1
// Duet: self-supervised audio-visual training in Swift. See DESIGN.md (../shared/DESIGN.md) for the map.
import PackageDescription
import Foundation

// Release builds target the build machine's CPU (AVX-512 where present) as llama.cpp and ggml do:
// the transcendental kernels are 2-4x faster with it. DUET_PORTABLE=1 builds for baseline x86-64.
let portable = ProcessInfo.processInfo.environment["DUET_PORTABLE"] == "1"
let nativeFlags: [SwiftSetting] = portable ? [] : [
    .unsafeFlags(["-Xcc", "-march=native"], .when(configuration: .release)),
]
let optimise: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

let package = Package(
    name: "Duet",
    products: [
        .executable(name: "duet", targets: ["duet"]),
        .library(name: "DuetTensor", targets: ["DuetTensor"]),
        .library(name: "DuetNN", targets: ["DuetNN"]),
        .library(name: "DuetMedia", targets: ["DuetMedia"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .target(
            name: "DuetTensor",
            dependencies: ["CBLAS"],
            swiftSettings: nativeFlags + optimise
        ),
        .systemLibrary(
            name: "CFFmpeg",
            path: "Sources/CFFmpeg",
            pkgConfig: "libavformat libavcodec libavutil libswscale libswresample",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavutil-dev", "libswscale-dev", "libswresample-dev"])]
        ),
        .target(
            name: "DuetMedia",
            dependencies: ["CFFmpeg"],
            swiftSettings: nativeFlags + optimise
        ),
        .target(
            name: "DuetNN",
            dependencies: ["DuetTensor"],
            swiftSettings: nativeFlags + optimise
        ),
        .target(
            name: "DuetModels",
            dependencies: ["DuetNN", "DuetTensor"],
            swiftSettings: nativeFlags + optimise
        ),
        .target(
            name: "DuetObjectives",
            dependencies: ["DuetModels", "DuetNN", "DuetTensor"],
            swiftSettings: nativeFlags + optimise
        ),
        .target(
            name: "DuetTrain",
            dependencies: ["DuetData", "DuetMedia", "DuetObjectives", "DuetModels", "DuetNN", "DuetTensor", .product(name: "Yams", package: "Yams")],
            swiftSettings: nativeFlags + optimise
        ),
        .target(
            name: "DuetData",
            dependencies: ["DuetMedia", "DuetTensor"],
            swiftSettings: nativeFlags + optimise
        ),
        .executableTarget(
            name: "duet",
            dependencies: [
                "DuetTensor",
                "DuetNN",
                "DuetTrain",
                "DuetMedia",
                "DuetData",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: nativeFlags + optimise
        ),
        // Fixtures, parity and gradient-check helpers shared by every test target.
        .target(
            name: "DuetTestSupport",
            dependencies: ["DuetTensor", "DuetNN"],
            path: "Tests/Support"
        ),
        .testTarget(
            name: "DuetTensorTests",
            dependencies: ["DuetTensor", "DuetTestSupport"]
        ),
        .testTarget(
            name: "DuetNNTests",
            dependencies: ["DuetNN", "DuetTensor", "DuetTestSupport"]
        ),
        .testTarget(
            name: "DuetDataTests",
            dependencies: ["DuetData", "DuetMedia", "DuetTensor", "DuetTestSupport"]
        ),
        .testTarget(
            name: "DuetModelsTests",
            dependencies: ["DuetModels", "DuetNN", "DuetTensor", "DuetTestSupport"]
        ),
        .testTarget(
            name: "DuetObjectivesTests",
            dependencies: ["DuetObjectives", "DuetModels", "DuetNN", "DuetTensor", "DuetTestSupport"]
        ),
        .testTarget(
            name: "DuetTrainTests",
            dependencies: ["DuetTrain", "DuetObjectives", "DuetModels", "DuetNN", "DuetTensor", "DuetTestSupport"]
        ),
        .testTarget(
            name: "DuetMediaTests",
            dependencies: ["DuetMedia", "DuetTensor", "DuetTestSupport"],
            exclude: ["Data"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
