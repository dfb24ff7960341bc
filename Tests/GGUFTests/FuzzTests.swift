import Foundation
import GGUF
import Testing

/// A mutation fuzzer over the reader, seeded from the tiny models' headers: whatever the bytes,
/// parsing either succeeds with every tensor inside the file, or throws a `GGUFError` whose
/// offset lies inside the file. A crash, a trap or a hang fails the test run.
@Suite struct FuzzTests {
    static let iterations = 3000

    /// Seeds: the sample file, and each tiny model cut after its tensor infos plus some data.
    func corpus() throws -> [[UInt8]] {
        var seeds = [sampleFile().serialized()]
        for path in try TestFiles.tinyModels().prefix(4) {
            let file = try GGUFFile(path: path)
            seeds.append(withExtendedLifetime(file) { Array(file.bytes.prefix(file.dataOffset)) })
        }
        return seeds
    }

    func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var b = input
        let edits = 1 + Int(rng.next() % 4)
        for _ in 0 ..< edits where !b.isEmpty {
            let at = Int(rng.next() % UInt64(b.count))
            switch rng.next() % 6 {
            case 0: b[at] ^= UInt8(1 << (rng.next() % 8))
            case 1: b[at] = UInt8(truncatingIfNeeded: rng.next())
            case 2: // an "interesting" 8-byte value: 0, max, a huge count
                let v: [UInt64] = [0, .max, 1 << 32, 1 << 62, 0x7FFF_FFFF_FFFF_FFFF, 255]
                let value = v[Int(rng.next() % UInt64(v.count))]
                for k in 0 ..< min(8, b.count - at) { b[at + k] = UInt8(truncatingIfNeeded: value >> (8 * k)) }
            case 3: b.removeSubrange(at ..< min(b.count, at + Int(rng.next() % 16)))
            case 4: b.insert(contentsOf: (0 ..< rng.next() % 16).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
            default: b = Array(b.prefix(at))
            }
        }
        return b
    }

    @Test func mutatedFilesNeverCrash() throws {
        let seeds = try corpus()
        var rng = SplitMix64(seed: 2026)
        var accepted = 0, rejected = 0
        for i in 0 ..< Self.iterations {
            let input = mutate(seeds[i % seeds.count], &rng)
            let outcome: GGUFError? = input.withUnsafeBytes { raw -> GGUFError? in
                do {
                    let file = try GGUFFile(mapping: MappedFile(unownedBytes: raw, path: "fuzz.gguf"))
                    for t in file.tensors { #expect(t.fileOffset + t.byteCount <= raw.count) }
                    return nil
                } catch { return error as? GGUFError }
            }
            if let e = outcome {
                rejected += 1
                #expect((e.offset ?? 0) <= input.count)
                #expect(!e.description.isEmpty)
            } else {
                accepted += 1
            }
        }
        #expect(rejected > Self.iterations / 2)
    }
}
