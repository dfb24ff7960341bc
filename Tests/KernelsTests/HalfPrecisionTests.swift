import Testing
@testable import Kernels

@Suite struct HalfPrecisionTests {
    /// Every one of the 65536 halves converts to the float it denotes and back to itself.
    @Test func everyHalfRoundTrips() {
        for bits in 0...UInt16.max {
            let f = floatFromHalf(bits)
            if f.isNaN {
                #expect(bits & 0x7C00 == 0x7C00 && bits & 0x03FF != 0)
                continue
            }
            #expect(halfFromFloat(f) == bits, "half 0x\(String(bits, radix: 16))")
            #expect(f == referenceFloat(fromHalf: bits), "half 0x\(String(bits, radix: 16))")
        }
    }

    /// Value of a half from its definition: (−1)^s · 2^(e−15) · (1 + m/1024), or subnormal.
    func referenceFloat(fromHalf h: UInt16) -> Float {
        let sign: Float = h & 0x8000 != 0 ? -1 : 1
        let e = Int(h >> 10) & 0x1F, m = Float(h & 0x3FF)
        if e == 0 { return sign * m * Float(sign: .plus, exponent: -24, significand: 1) }
        if e == 31 { return sign * .infinity }
        return sign * Float(sign: .plus, exponent: e - 15, significand: 1 + m / 1024)
    }

    /// Rounding to nearest even, overflow to infinity and underflow to subnormals and zero.
    @Test func floatToHalfRounds() {
        #expect(halfFromFloat(1) == 0x3C00)
        #expect(halfFromFloat(-2) == 0xC000)
        #expect(halfFromFloat(65504) == 0x7BFF)          // largest half
        #expect(halfFromFloat(65519.99) == 0x7BFF)       // rounds down
        #expect(halfFromFloat(65520) == 0x7C00)          // ties to even: infinity
        #expect(halfFromFloat(1e6) == 0x7C00)
        #expect(halfFromFloat(-.infinity) == 0xFC00)
        #expect(halfFromFloat(.nan) == 0x7E00)
        #expect(halfFromFloat(1 + 1.0 / 2048) == 0x3C00)  // halfway between 1 and next: even (1)
        #expect(halfFromFloat(1 + 3.0 / 2048) == 0x3C02)  // halfway between 1+1/1024 and 1+2/1024: even
        #expect(halfFromFloat(5.960_464_5e-8) == 0x0001) // smallest subnormal
        #expect(halfFromFloat(2.9e-8) == 0x0000)          // below half of it
        #expect(halfFromFloat(-0.0) == 0x8000)
    }

    #if arch(x86_64) && os(Linux) || arch(arm64)
    /// Agrees with the hardware / standard library conversion on a sweep of floats.
    @Test func floatToHalfAgreesWithFloat16() {
        var bits: UInt32 = 0
        while bits < 0x7F80_0000 {
            let f = Float(bitPattern: bits)
            #expect(halfFromFloat(f) == Float16(f).bitPattern, "float bits 0x\(String(bits, radix: 16))")
            #expect(halfFromFloat(-f) == Float16(-f).bitPattern)
            bits &+= 4093   // a prime stride visits every exponent and many mantissas
        }
    }
    #endif

    @Test func bfloat16RoundsToNearestEven() {
        #expect(bfloat16FromFloat(1) == 0x3F80)
        #expect(floatFromBFloat16(0x3F80) == 1)
        #expect(bfloat16FromFloat(Float(bitPattern: 0x3F80_8000)) == 0x3F80)   // tie, even stays
        #expect(bfloat16FromFloat(Float(bitPattern: 0x3F81_8000)) == 0x3F82)   // tie, odd rounds up
        #expect(bfloat16FromFloat(Float(bitPattern: 0x3F80_8001)) == 0x3F81)
        #expect(bfloat16FromFloat(.infinity) == 0x7F80)
        #expect(floatFromBFloat16(bfloat16FromFloat(.nan)).isNaN)
        for bits in stride(from: UInt32(0), to: 0x7F80_0000, by: 65537) {
            let f = Float(bitPattern: bits)
            let back = floatFromBFloat16(bfloat16FromFloat(f))
            #expect(abs(back - f) <= abs(f) / 256)
        }
    }
}
