import Foundation

/// The cos and sin of every RoPE angle, computed once per position and configuration and then
/// read back: each layer rotates q and k at the same positions with the same angles, and the
/// `cos`/`sin`/`pow` calls were 7–8 % of a Gemma 3 prompt (`perf`). Entries are
/// `ropeAngles`'s own values, so a rotation gives the same bits with or without the table.
/// Shared by all backends and threads (a lock around each lookup); a few configurations at once
/// (Gemma 3 alternates two), positions below `maximumPositions`.
final class RoPETable: @unchecked Sendable {
    /// The process-wide table.
    static let shared = RoPETable()
    /// Positions kept per configuration: 8192 × 128 pairs × 2 floats = 8 MB at most.
    static let maximumPositions = 8192
    /// Configurations kept at once; the oldest goes first.
    static let maximumConfigurations = 4

    private struct Entry {
        let config: RoPEConfig
        /// [positions, 2, dimensions / 2]: cos then sin for each position.
        var values: [Float] = []
        var positions: Int { values.count / max(1, config.dimensions) }
    }
    private var entries: [Entry] = []
    private let lock = NSLock()

    /// Writes the cos and sin of `position`'s angles for `config` (dimensions/2 each), from the
    /// table when it holds them.
    func angles(position: Int, config: RoPEConfig, cos c: UnsafeMutablePointer<Float>, sin s: UnsafeMutablePointer<Float>) {
        let half = config.dimensions / 2
        guard position < Self.maximumPositions, half > 0 else {
            return ropeAngles(position: position, config: config, cos: c, sin: s)
        }
        lock.lock()
        defer { lock.unlock() }
        var index = entries.firstIndex { $0.config == config }
        if index == nil {
            if entries.count == Self.maximumConfigurations { entries.removeFirst() }
            entries.append(Entry(config: config))
            index = entries.count - 1
        }
        let i = index!
        if entries[i].positions <= position {
            // Grow to the position (at least doubling), computing the new rows.
            let from = entries[i].positions
            let to = min(Self.maximumPositions, max(position + 1, 2 * from, 64))
            entries[i].values += [Float](repeating: 0, count: (to - from) * 2 * half)
            entries[i].values.withUnsafeMutableBufferPointer { v in
                for p in from..<to {
                    let row = v.baseAddress! + p * 2 * half
                    ropeAngles(position: p, config: config, cos: row, sin: row + half)
                }
            }
        }
        entries[i].values.withUnsafeBufferPointer { v in
            let row = v.baseAddress! + position * 2 * half
            c.update(from: row, count: half)
            s.update(from: row + half, count: half)
        }
    }
}
