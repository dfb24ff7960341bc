/// MT19937, the 32-bit Mersenne Twister of C++'s `std::mt19937`, which llama.cpp seeds for its
/// random sampling. Reproducing it bit for bit makes `--seed N` mean the same in both.
public struct MersenneTwister: Sendable {
    private var state: [UInt32]
    private var index: Int

    public init(seed: UInt32) {
        state = [UInt32](repeating: 0, count: 624)
        state[0] = seed
        for i in 1 ..< 624 {
            state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
        }
        index = 624
    }

    /// The next 32 random bits.
    public mutating func next() -> UInt32 {
        if index >= 624 { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// A double uniform in [0, 1) from two draws, as libstdc++'s `generate_canonical<double, 53>`
    /// (what `std::uniform_real_distribution<double>(0, 1)` returns).
    public mutating func nextUnitDouble() -> Double {
        let low = Double(next())
        let high = Double(next())
        let value = (low + high * 4_294_967_296.0) / 18_446_744_073_709_551_616.0
        return value >= 1 ? 1.0.nextDown : value
    }

    private mutating func twist() {
        for i in 0 ..< 624 {
            let x = (state[i] & 0x8000_0000) | (state[(i + 1) % 624] & 0x7FFF_FFFF)
            var shifted = x >> 1
            if x & 1 != 0 { shifted ^= 0x9908_B0DF }
            state[i] = state[(i + 397) % 624] ^ shifted
        }
        index = 0
    }
}
