import Testing
import GGUF
@testable import Kernels

/// Every block struct has ggml's exact size, so that a row of blocks in the file can be read
/// as an array of them.
@Suite struct BlockLayoutTests {
    @Test func blockSizesMatchGGML() {
        #expect(MemoryLayout<BlockQ4_0>.size == 18)
        #expect(MemoryLayout<BlockQ4_1>.size == 20)
        #expect(MemoryLayout<BlockQ5_0>.size == 22)
        #expect(MemoryLayout<BlockQ5_1>.size == 24)
        #expect(MemoryLayout<BlockQ8_0>.size == 34)
        #expect(MemoryLayout<BlockQ2_K>.size == 84)
        #expect(MemoryLayout<BlockQ3_K>.size == 110)
        #expect(MemoryLayout<BlockQ4_K>.size == 144)
        #expect(MemoryLayout<BlockQ5_K>.size == 176)
        #expect(MemoryLayout<BlockQ6_K>.size == 210)
        #expect(MemoryLayout<BlockQ8_K>.size == 292)
    }

    @Test func blockSizesAgreeWithGGMLType() {
        func check<B: QuantizedBlock>(_: B.Type) {
            #expect(MemoryLayout<B>.size == B.type.bytesPerBlock, "\(B.type)")
            #expect(MemoryLayout<B>.stride == B.type.bytesPerBlock, "\(B.type) stride")
        }
        check(BlockQ4_0.self); check(BlockQ4_1.self); check(BlockQ5_0.self); check(BlockQ5_1.self)
        check(BlockQ8_0.self); check(BlockQ2_K.self); check(BlockQ3_K.self); check(BlockQ4_K.self)
        check(BlockQ5_K.self); check(BlockQ6_K.self); check(BlockQ8_K.self)
    }

    /// Field offsets as in ggml-common.h.
    @Test func fieldOffsetsMatchGGML() {
        #expect(MemoryLayout<BlockQ4_1>.offset(of: \.qs) == 4)
        #expect(MemoryLayout<BlockQ5_0>.offset(of: \.qh) == 2)
        #expect(MemoryLayout<BlockQ5_0>.offset(of: \.qs) == 6)
        #expect(MemoryLayout<BlockQ5_1>.offset(of: \.qs) == 8)
        #expect(MemoryLayout<BlockQ2_K>.offset(of: \.qs) == 16)
        #expect(MemoryLayout<BlockQ2_K>.offset(of: \.d) == 80)
        #expect(MemoryLayout<BlockQ3_K>.offset(of: \.scales) == 96)
        #expect(MemoryLayout<BlockQ3_K>.offset(of: \.d) == 108)
        #expect(MemoryLayout<BlockQ4_K>.offset(of: \.qs) == 16)
        #expect(MemoryLayout<BlockQ5_K>.offset(of: \.qh) == 16)
        #expect(MemoryLayout<BlockQ5_K>.offset(of: \.qs) == 48)
        #expect(MemoryLayout<BlockQ6_K>.offset(of: \.qh) == 128)
        #expect(MemoryLayout<BlockQ6_K>.offset(of: \.scales) == 192)
        #expect(MemoryLayout<BlockQ6_K>.offset(of: \.d) == 208)
        #expect(MemoryLayout<BlockQ8_K>.offset(of: \.qs) == 4)
        #expect(MemoryLayout<BlockQ8_K>.offset(of: \.bsums) == 260)
    }
}
