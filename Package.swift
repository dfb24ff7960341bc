// swift-tools-version:6.0
import PackageDescription

// Hand-written SIMD is only fast when the compiler may use the CPU's real vector width
// (AVX2/FMA, AVX-512, NEON). `-target-cpu native` asks for exactly the machine we build on.
let nativeCPU: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "native"])]

// The integer dot products call two x86 instructions by name through the compiler's `Builtin`
// module (see Sources/Kernels/SIMD/IntegerProducts.swift).
let builtinModule: [SwiftSetting] = [.unsafeFlags(["-Xfrontend", "-enable-builtin-module"])]

let package = Package(
    name: "Loupe",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Loupe", targets: ["Loupe"]),
        .executable(name: "loupe", targets: ["loupe"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // `loupe web`'s HTTP server (and `loupe serve`'s).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
    ],
    targets: [
        // MARK: - File format
        .target(name: "GGUF"),

        // MARK: - Arithmetic
        /// Loads OpenBLAS at run time (dlopen), so the package builds and runs where it is absent.
        .target(name: "COpenBLAS", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        .target(name: "Kernels", dependencies: ["GGUF", "COpenBLAS"], swiftSettings: nativeCPU + builtinModule),

        // MARK: - Text
        .target(name: "Tokenizers", dependencies: ["GGUF"]),

        // MARK: - Model
        .target(name: "Transformer", dependencies: ["GGUF", "Kernels"], swiftSettings: nativeCPU),
        .target(name: "Decoding", dependencies: ["Transformer", "Tokenizers", "Kernels"]),
        .target(name: "Inspect", dependencies: ["Transformer", "Decoding", "Tokenizers", "Kernels", "GGUF"]),

        // MARK: - The glass box in the browser (`loupe web`)
        /// The JSON API's requests, responses and handlers, independent of any HTTP framework.
        .target(name: "GlassBox", dependencies: ["Inspect", "Transformer", "Decoding", "Tokenizers", "Kernels", "GGUF"]),
        /// The page and the Hummingbird routes that serve GlassBox under `/loupe/v1/`.
        .target(name: "GlassBoxHTTP", dependencies: [
            "GlassBox",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ], resources: [.copy("Page")]),

        // MARK: - Umbrella and command line
        .target(name: "Loupe", dependencies: ["GGUF", "Kernels", "Tokenizers", "Transformer", "Decoding", "Inspect"]),
        .executableTarget(name: "loupe", dependencies: [
            "Loupe", "GlassBox", "GlassBoxHTTP",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "loupe-benchmarks", dependencies: ["Loupe"], path: "Benchmarks",
                          swiftSettings: nativeCPU),

        // MARK: - Tests (one target per module)
        .testTarget(name: "GGUFTests", dependencies: ["GGUF"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "GGUF"],
                    exclude: ["make_fixtures.py", "measure_quantization_error.py"],
                    resources: [.copy("Fixtures")],
                    // The tests call the x86 instructions of IntegerProducts.swift directly.
                    swiftSettings: nativeCPU),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "GGUF"]),
        .testTarget(name: "TransformerTests", dependencies: ["Transformer", "Kernels", "GGUF"]),
        .testTarget(name: "DecodingTests", dependencies: ["Decoding", "Transformer", "Tokenizers"]),
        .testTarget(name: "InspectTests", dependencies: ["Inspect"]),
        .testTarget(name: "LoupeCLITests", dependencies: ["Loupe"]),
        .testTarget(name: "GlassBoxTests", dependencies: ["GlassBox", "GlassBoxHTTP", "Loupe"],
                    exclude: ["browser_test.py"]),
    ],
    swiftLanguageModes: [.v6]
)
