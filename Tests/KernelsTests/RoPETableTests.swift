import Testing
@testable import Kernels

@Suite("RoPE angles computed once")
struct RoPETableTests {
    /// The table gives `ropeAngles`'s values bit for bit, for two configurations used in turn
    /// (as Gemma 3's local and global layers do), positions out of order, below and above the
    /// table's limit.
    @Test("the table's angles are ropeAngles's")
    func sameBits() {
        let configs = [RoPEConfig(dimensions: 64, freqBase: 10_000, style: .neox),
                       RoPEConfig(dimensions: 128, freqBase: 1_000_000, freqScale: 0.125, style: .normal)]
        let table = RoPETable()
        for position in [5, 0, 300, 63, 64, 1000, 2, RoPETable.maximumPositions + 3] {
            for config in configs {
                let half = config.dimensions / 2
                var fromTable = [Float](repeating: .nan, count: 2 * half), direct = fromTable
                fromTable.withUnsafeMutableBufferPointer { table.angles(position: position, config: config, cos: $0.baseAddress!, sin: $0.baseAddress! + half) }
                direct.withUnsafeMutableBufferPointer { ropeAngles(position: position, config: config, cos: $0.baseAddress!, sin: $0.baseAddress! + half) }
                #expect(fromTable == direct, "position \(position), \(config.dimensions) dimensions")
            }
        }
    }
}
