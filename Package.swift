// swift-tools-version:6.0
import Foundation
import PackageDescription

// Hand-written SIMD is only fast when the compiler may use the CPU's real vector width
// (AVX2/FMA, AVX-512, NEON). `-target-cpu native` asks for exactly the machine we build on.
let nativeCPU: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "native"])]

// Swift has no `#if` on CPU features: where the machine we build on (the one `native` means)
// has AVX-512, the kernels are told so, to shape their register tiles for 32 vector registers.
// AVX512 needs F and BW (64-byte integer products); AVX512VNNI adds the one-instruction
// integer dot product. `LOUPE_KERNELS=avx2` (or `avx512`) before `swift build`/`swift test`
// builds fewer of them than the machine has, to test those paths on it.
let buildMachineFlags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
    .split(separator: "\n").first { $0.hasPrefix("flags") }?
    .split(separator: " ").map(String.init) ?? []
let requestedKernels = ProcessInfo.processInfo.environment["LOUPE_KERNELS"]
let hasAVX512 = buildMachineFlags.contains("avx512f") && buildMachineFlags.contains("avx512bw")
    && requestedKernels != "avx2"
let hasAVX512VNNI = hasAVX512 && buildMachineFlags.contains("avx512_vnni") && requestedKernels != "avx512"
let cpuFeatures: [SwiftSetting] = (hasAVX512 ? [.define("AVX512")] : []) + (hasAVX512VNNI ? [.define("AVX512VNNI")] : [])

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
        // `loupe serve`'s and `loupe web`'s HTTP server.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
    ],
    targets: [
        // MARK: - File format
        .target(name: "GGUF"),

        // MARK: - Arithmetic
        /// Loads OpenBLAS at run time (dlopen), so the package builds and runs where it is absent.
        .target(name: "COpenBLAS", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        .target(name: "Kernels", dependencies: ["GGUF", "COpenBLAS"], swiftSettings: nativeCPU + builtinModule + cpuFeatures),

        // MARK: - Text
        .target(name: "Tokenizers", dependencies: ["GGUF"]),

        // MARK: - Constrained decoding
        .target(name: "Grammar"),

        // MARK: - Model
        .target(name: "Transformer", dependencies: ["GGUF", "Kernels"], swiftSettings: nativeCPU),
        .target(name: "Decoding", dependencies: ["Transformer", "Tokenizers", "Kernels", "Grammar"]),
        .target(name: "Inspect", dependencies: ["Transformer", "Decoding", "Grammar", "Tokenizers", "Kernels", "GGUF"]),

        // MARK: - OpenAI-compatible HTTP server (`loupe serve`)
        .target(name: "Server", dependencies: [
            "Transformer", "Decoding", "Grammar", "Tokenizers", "Kernels", "GGUF",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),

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
        .target(name: "Loupe", dependencies: ["GGUF", "Kernels", "Tokenizers", "Grammar", "Transformer", "Decoding", "Inspect"]),
        .executableTarget(name: "loupe", dependencies: [
            "Loupe", "Server", "GlassBox", "GlassBoxHTTP",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "loupe-benchmarks", dependencies: ["Loupe"], path: "Benchmarks",
                          swiftSettings: nativeCPU),

        // MARK: - Tests (one target per module)
        /// The conformance data of Tests/Conformance, and the quantized models made from it.
        .target(name: "ConformanceData", dependencies: ["GGUF", "Kernels"], path: "Tests/ConformanceData"),
        .testTarget(name: "GGUFTests", dependencies: ["GGUF", "ConformanceData"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "GGUF", "ConformanceData"],
                    exclude: ["make_fixtures.py", "measure_quantization_error.py"],
                    resources: [.copy("Fixtures")],
                    // The tests call the x86 instructions of IntegerProducts.swift directly.
                    swiftSettings: nativeCPU),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "GGUF", "ConformanceData"]),
        .testTarget(name: "GrammarTests", dependencies: ["Grammar", "Decoding", "Transformer", "Tokenizers", "ConformanceData"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "TransformerTests", dependencies: ["Transformer", "Kernels", "GGUF", "ConformanceData"]),
        .testTarget(name: "DecodingTests", dependencies: ["Decoding", "Transformer", "Tokenizers", "GGUF", "Kernels", "Grammar"],
                    exclude: ["make_real_chat_template_cases.py"]),
        .testTarget(name: "InspectTests", dependencies: ["Inspect", "ConformanceData"]),
        .testTarget(name: "LoupeCLITests", dependencies: ["Loupe", "ConformanceData"]),
        .testTarget(name: "ServerTests", dependencies: ["Server", "Loupe"], exclude: ["openai_client_test.py"]),
        .testTarget(name: "GlassBoxTests", dependencies: ["GlassBox", "GlassBoxHTTP", "Loupe"],
                    exclude: ["browser_test.py"]),
    ],
    swiftLanguageModes: [.v6]
)
