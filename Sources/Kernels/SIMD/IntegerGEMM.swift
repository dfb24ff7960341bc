import GGUF

// The prompt's matrix products with 8-bit activations, tiled like the float GEMM
// (`PackedGEMM.swift`), with `integerDot`'s arithmetic to the bit: a token's numbers are the
// same whether it comes alone (generation) or in a batch (a prompt, the server's slots), and on
// every CPU.
//
// - Each token is rounded to int8 exactly as `Int8Activations` rounds it (blocks of 16, one
//   scale each), then the batch is *packed* in panels of W tokens (W = 16 with AVX-512 VNNI,
//   else 8) so that the lanes of a register are tokens: for each group of 4 columns, the W
//   tokens' 4 codes side by side (`PackedInt8Activations`).
// - The weights are decoded 48 rows at a time into their integer codes (bytes, as stored but
//   unpacked) with a scale and an offset per 16 columns (`IntegerRows`).
// - The micro-kernel keeps a tile of W tokens × R rows. For each 4 columns: one load of x and,
//   per row, the row's 4 codes broadcast to every lane and their products with each token's 4
//   codes, added in integers. After each 16 columns (a half-part h) the exact sums S_h are
//   scaled into one of four float chains, j = h mod 4, as `integerDot` does:
//
//      c_j[t, r] = fma(S_h[t, r], sx[t, h]·sw[r, h], c_j[t, r])
//
//   and in a second pass the offset terms o_j = fma(Σx̂[t, h], ow[r, h], o_j).
//
// With VNNI one `vpdpbusd` does the 64 byte products of 16 tokens × 4 columns and adds them into
// 16 Int32 lanes; Q8_0's signed codes are moved up by 128 for it (its operand is unsigned), and
// the 128·Σq this adds is taken off in integers. With AVX2, `vpmaddubsw` makes Int16 pair sums
// of 8 tokens × 4 columns, which are added in Int16 as long as they cannot overflow (codes below
// 32: four groups, 16 columns), then widened by `vpmaddwd`; Q8_0 moves each code's sign onto the
// activation (`vpsignb`), as the one-token product does. Every sum is exact either way.

#if AVX512VNNI
/// Tokens per panel of the integer GEMM: the 16 Int32 lanes of one AVX-512 register.
let integerPanelWidth = 16
/// Rows of the integer GEMM's register tile: 4 rows × 4 chains = 16 of the 32 registers.
let integerTileRows = 4
/// A register of tokens.
typealias TokenFloats = SIMD16<Float>
#else
/// Tokens per panel of the integer GEMM: the 8 Int32 lanes of one AVX2 register.
let integerPanelWidth = 8
/// Rows of the integer GEMM's register tile: 2 rows × 4 chains = 8 of the 16 registers.
let integerTileRows = 2
/// A register of tokens.
typealias TokenFloats = SIMD8<Float>
#endif

/// A batch of tokens rounded to int8, packed for the integer GEMM. Per panel of W tokens and
/// per block h of 16 columns: the codes as 4 groups of [W tokens][4 columns], then the W tokens'
/// scales, sums of rounded values x̂ and sums of codes q.
/// codes: [panels, blocks, 4, W, 4]  scales, sums, codeSums: [panels, blocks, W]
struct PackedInt8Activations {
    let codes: UnsafeMutablePointer<Int8>
    let scales: UnsafeMutablePointer<Float>
    let sums: UnsafeMutablePointer<Float>
    let codeSums: UnsafeMutablePointer<Int32>
    /// Blocks of 16 columns.
    let blocks: Int

    static func panelCount(_ count: Int) -> Int { (count + integerPanelWidth - 1) / integerPanelWidth }

    /// Bytes of scratch for `count` tokens of `columns` activations.
    static func scratchBytes(count: Int, columns: Int) -> Int {
        panelCount(count) * integerPanelWidth * (columns + columns / 16 * 12)
    }

    /// Views `scratch` (64-byte aligned, `scratchBytes` long) as the packing of `count` tokens.
    init(scratch: UnsafeMutableRawPointer, count: Int, columns: Int) {
        let codeCount = Self.panelCount(count) * integerPanelWidth * columns
        blocks = columns / 16
        codes = scratch.bindMemory(to: Int8.self, capacity: codeCount)
        let lanes = codeCount / 16
        scales = (scratch + codeCount).bindMemory(to: Float.self, capacity: lanes)
        sums = (scratch + codeCount + 4 * lanes).bindMemory(to: Float.self, capacity: lanes)
        codeSums = (scratch + codeCount + 8 * lanes).bindMemory(to: Int32.self, capacity: lanes)
    }

    /// Rounds the tokens of panel p (`Int8Activations`, in `rounding`: at least
    /// `Int8Activations.scratchBytes(columns)` bytes) and packs them; missing tokens are zeros.
    /// x: [count, columns]
    func pack(_ x: UnsafePointer<Float>, count: Int, columns: Int, panel p: Int, rounding: UnsafeMutableRawPointer) {
        let width = integerPanelWidth
        let panelCodes = codes + p &* blocks &* 16 &* width, lane0 = p &* blocks &* width
        let t0 = p &* width, tokens = min(width, count &- t0)
        if tokens < width {
            panelCodes.update(repeating: 0, count: blocks &* 16 &* width)
            for i in lane0 ..< lane0 &+ blocks &* width { scales[i] = 0; sums[i] = 0; codeSums[i] = 0 }
        }
        for j in 0..<tokens {
            let q = Int8Activations(x + (t0 &+ j) &* columns, columns, scratch: rounding)
            for h in 0..<blocks {
                for g in 0..<4 {
                    let from: Int = h &* 16 &+ g &* 4, to: Int = ((h &* 4 &+ g) &* width &+ j) &* 4
                    let quad = UnsafeRawPointer(q.codes).loadUnaligned(fromByteOffset: from, as: UInt32.self)
                    UnsafeMutableRawPointer(panelCodes).storeBytes(of: quad, toByteOffset: to, as: UInt32.self)
                }
                var total: Int32 = 0
                for k in 0..<16 { total &+= Int32(q.codes[h &* 16 &+ k]) }
                let lane = lane0 &+ h &* width &+ j
                scales[lane] = q.spreadScales[(h >> 1) &* 8 &+ (h & 1) &* 4]
                sums[lane] = q.sums[h]
                codeSums[lane] = total
            }
        }
    }
}

/// Rows of a weight as byte codes with a scale and an offset per block of 16 columns:
/// weight[r, k] = scale[r, k/16]·code[r, k] + offset[r, k/16]. Q8_0's codes are signed (with
/// VNNI: moved up by 128, `centred`).
/// codes: [rows, columns]  scales, offsets: [rows, columns/16]
struct IntegerRows {
    let codes: UnsafeMutablePointer<UInt8>
    let scales: UnsafeMutablePointer<Float>
    let offsets: UnsafeMutablePointer<Float>
    let columns: Int
    /// The type's codes are signed bytes (Q8_0), which has no offsets.
    var signedCodes = false
    /// The largest unsigned code (for how many byte products AVX2 may add in Int16).
    var largestCode = 0

    /// Floats of scratch for `rows` rows of `columns` (codes counted in floats, 4 per float).
    static func scratchFloats(rows: Int, columns: Int) -> Int { rows * (columns / 4 + columns / 8) }

    init(scratch: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        self.columns = columns
        scales = scratch
        offsets = scratch + rows * columns / 16
        codes = UnsafeMutableRawPointer(scratch + rows * columns / 8).bindMemory(to: UInt8.self, capacity: rows * columns)
    }

    /// Decodes rows `rows` of w (a type with integer codes) into this scratch, row 0 first.
    mutating func decode(_ w: WeightMatrix, _ rows: Range<Int>) {
        @inline(__always) func each<D: IntegerPartDecoder>(_: D.Type, largestCode: Int) {
            signedCodes = D.signedCodes
            self.largestCode = largestCode
            let parts = columns / 32
            for (i, r) in rows.enumerated() {
                let row = w.row(r)
                for p in 0..<parts {
                    var (c, scale, offset) = D.codes(row + (p / D.parts) &* D.bytes, p % D.parts)
                    #if AVX512VNNI
                    if D.signedCodes { c = codeBytes(unsafeBitCast(c, to: PackedBytes.self) ^ everyByte(0x80)) }
                    #endif
                    let at: Int = i &* columns &+ p &* 32
                    UnsafeMutableRawPointer(codes).storeBytes(of: c, toByteOffset: at, as: SIMD32<UInt8>.self)
                    let h = i &* (columns / 16) &+ 2 &* p
                    scales[h] = scale[0]; scales[h &+ 1] = scale[1]
                    offsets[h] = offset[0]; offsets[h &+ 1] = offset[1]
                }
            }
        }
        switch w.type {
        case .q4_0: each(Q4_0Decoder.self, largestCode: 15)
        case .q4_1: each(Q4_1Decoder.self, largestCode: 15)
        case .q5_0: each(Q5_0Decoder.self, largestCode: 31)
        case .q5_1: each(Q5_1Decoder.self, largestCode: 31)
        case .q8_0: each(Q8_0Decoder.self, largestCode: 128)
        case .q2_K: each(Q2_KDecoder.self, largestCode: 3)
        case .q3_K: each(Q3_KDecoder.self, largestCode: 7)
        case .q4_K: each(Q4_KDecoder.self, largestCode: 15)
        case .q5_K: each(Q5_KDecoder.self, largestCode: 31)
        case .q6_K: each(Q6_KDecoder.self, largestCode: 63)
        default: preconditionFailure("\(w.name): \(w.type) has no integer codes")
        }
    }
}

/// One of the four chains of `integerDot` (half-parts h ≡ j mod 4) for the rows of a tile,
/// each lane a token.
struct TileChain {
    var r0 = TokenFloats(), r1 = TokenFloats()
    #if AVX512VNNI
    var r2 = TokenFloats(), r3 = TokenFloats()
    #endif
}

/// How a tile's exact sums of one half-part are made: which instructions, for which codes.
enum HalfSumKind {
    /// VNNI, unsigned codes (Q8_0's moved up by 128, `centred`).
    case vnni(centred: Bool)
    /// AVX2: Int16 pair sums of `groups` of 4 columns added before widening (4, 2 or 1).
    case pairs(groups: Int)
    /// AVX2, Q8_0's signed codes.
    case signed
}

/// Y[:, rows] for W rows `rows` (at most `decodedRowCount`), all tokens.
/// w: [rows, columns]  x: packed  -> y: [count, w.rows] (columns `rows` written)
func integerGEMMRows(_ w: WeightMatrix, _ rows: Range<Int>, _ x: PackedInt8Activations, count: Int,
                     _ y: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
    var decoded = IntegerRows(scratch: scratch, rows: rows.count, columns: w.columns)
    decoded.decode(w, rows)
    for p in 0..<PackedInt8Activations.panelCount(count) {
        let t0 = p &* integerPanelWidth, tokens = min(integerPanelWidth, count &- t0)
        var r = 0
        while r < rows.count {
            let tile = min(integerTileRows, rows.count &- r)
            let out = y + (t0 &* w.rows &+ rows.lowerBound &+ r)
            // Each kind a separate copy of the kernel, its choice made once per tile.
            #if AVX512VNNI
            if decoded.signedCodes {
                integerMicroKernel(x, panel: p, decoded, firstRow: r, rows: tile, .vnni(centred: true), out, ldy: w.rows, tokens: tokens)
            } else {
                integerMicroKernel(x, panel: p, decoded, firstRow: r, rows: tile, .vnni(centred: false), out, ldy: w.rows, tokens: tokens)
            }
            #else
            // A pair sum is at most 2·code·127: four of them fit in Int16 for codes below 32,
            // two for codes below 64.
            if decoded.signedCodes {
                integerMicroKernel(x, panel: p, decoded, firstRow: r, rows: tile, .signed, out, ldy: w.rows, tokens: tokens)
            } else if decoded.largestCode < 32 {
                integerMicroKernel(x, panel: p, decoded, firstRow: r, rows: tile, .pairs(groups: 4), out, ldy: w.rows, tokens: tokens)
            } else {
                integerMicroKernel(x, panel: p, decoded, firstRow: r, rows: tile, .pairs(groups: 2), out, ldy: w.rows, tokens: tokens)
            }
            #endif
            r &+= integerTileRows
        }
    }
}

/// The register-blocked kernel: a [tokens ≤ W, rows ≤ R] tile of Y from panel p of X and rows
/// `first ..< first + rows` of the decoded weights, with `integerDot`'s four chains per (row,
/// token).
@inline(__always)
func integerMicroKernel(_ x: PackedInt8Activations, panel p: Int, _ w: IntegerRows, firstRow first: Int, rows: Int,
                        _ kind: HalfSumKind, _ y: UnsafeMutablePointer<Float>, ldy: Int, tokens: Int) {
    let k = w.columns, blocks = x.blocks, width = integerPanelWidth
    // Missing rows of a short tile read row `first` again; their results are not stored.
    @inline(__always) func row(_ i: Int) -> Int { first &+ (i < rows ? i : 0) }
    @inline(__always) func codes(_ i: Int) -> UnsafeRawPointer { UnsafeRawPointer(w.codes + row(i) &* k) }
    let c0 = codes(0), c1 = codes(1), s0 = w.scales + row(0) &* blocks, s1 = w.scales + row(1) &* blocks
    let o0 = w.offsets + row(0) &* blocks, o1 = w.offsets + row(1) &* blocks
    #if AVX512VNNI
    let c2 = codes(2), c3 = codes(3), s2 = w.scales + row(2) &* blocks, s3 = w.scales + row(3) &* blocks
    let o2 = w.offsets + row(2) &* blocks, o3 = w.offsets + row(3) &* blocks
    #endif
    let xc = UnsafeRawPointer(x.codes + p &* blocks &* 16 &* width), lane0 = p &* blocks &* width
    let xs = UnsafeRawPointer(x.scales + lane0), xsums = UnsafeRawPointer(x.sums + lane0)
    let xcodeSums = UnsafeRawPointer(x.codeSums + lane0)
    let laneBytes = width &* 4

    #if AVX512VNNI
    /// Half-part h (16 columns) into `chain`: four `vpdpbusd` per row, exact, then scaled.
    @inline(__always) func addProducts(_ h: Int, _ chain: inout TileChain) {
        var i0 = SIMD16<Int32>(), i1 = SIMD16<Int32>(), i2 = SIMD16<Int32>(), i3 = SIMD16<Int32>()
        for g in 0..<4 {
            let q = xc.loadUnaligned(fromByteOffset: (h &* 4 &+ g) &* 64, as: SIMD16<Int32>.self)
            let at = h &* 16 &+ g &* 4
            i0 = accumulatingDotByQuads(i0, SIMD16(repeating: c0.loadUnaligned(fromByteOffset: at, as: Int32.self)), q)
            i1 = accumulatingDotByQuads(i1, SIMD16(repeating: c1.loadUnaligned(fromByteOffset: at, as: Int32.self)), q)
            i2 = accumulatingDotByQuads(i2, SIMD16(repeating: c2.loadUnaligned(fromByteOffset: at, as: Int32.self)), q)
            i3 = accumulatingDotByQuads(i3, SIMD16(repeating: c3.loadUnaligned(fromByteOffset: at, as: Int32.self)), q)
        }
        if case .vnni(centred: true) = kind {
            // Codes were moved up by 128: take 128·Σq off, in integers.
            let excess = xcodeSums.loadUnaligned(fromByteOffset: h &* 64, as: SIMD16<Int32>.self) &<< 7
            i0 &-= excess; i1 &-= excess; i2 &-= excess; i3 &-= excess
        }
        let dx = xs.loadUnaligned(fromByteOffset: h &* 64, as: SIMD16<Float>.self)
        chain.r0 = chain.r0.addingProduct(floats(i0), dx * s0[h])
        chain.r1 = chain.r1.addingProduct(floats(i1), dx * s1[h])
        chain.r2 = chain.r2.addingProduct(floats(i2), dx * s2[h])
        chain.r3 = chain.r3.addingProduct(floats(i3), dx * s3[h])
    }
    #else
    /// Σ over half-part h of one row's codes (at `c`) times the 8 tokens' codes, exact.
    @inline(__always) func rowSums(_ c: UnsafeRawPointer, _ h: Int) -> SIMD8<Int32> {
        /// Pair sums of 4 columns: Int16, 2 per token.
        @inline(__always) func group(_ g: Int) -> SIMD16<Int16> {
            let q = xc.loadUnaligned(fromByteOffset: (h &* 4 &+ g) &* 32, as: SIMD32<Int8>.self)
            let broadcast = unsafeBitCast(SIMD8(repeating: c.loadUnaligned(fromByteOffset: h &* 16 &+ g &* 4, as: UInt32.self)),
                                          to: SIMD32<UInt8>.self)
            if case .signed = kind {
                let signed = unsafeBitCast(broadcast, to: SIMD32<Int8>.self)
                return multiplyAddPairs(unsafeBitCast(copySign(of: signed, to: signed), to: SIMD32<UInt8>.self),
                                        copySign(of: signed, to: q))
            }
            return multiplyAddPairs(broadcast, q)
        }
        let ones = SIMD16<Int16>(repeating: 1)
        switch kind {
        case .pairs(groups: 4):
            return multiplyAddPairs(group(0) &+ group(1) &+ group(2) &+ group(3), ones)
        case .pairs(groups: 2):
            return multiplyAddPairs(group(0) &+ group(1), ones) &+ multiplyAddPairs(group(2) &+ group(3), ones)
        default:
            return multiplyAddPairs(group(0), ones) &+ multiplyAddPairs(group(1), ones)
                &+ multiplyAddPairs(group(2), ones) &+ multiplyAddPairs(group(3), ones)
        }
    }
    /// Half-part h (16 columns) into `chain`: each row's exact sums, then scaled.
    @inline(__always) func addProducts(_ h: Int, _ chain: inout TileChain) {
        let dx = xs.loadUnaligned(fromByteOffset: h &* 32, as: SIMD8<Float>.self)
        chain.r0 = chain.r0.addingProduct(floats(rowSums(c0, h)), dx * s0[h])
        chain.r1 = chain.r1.addingProduct(floats(rowSums(c1, h)), dx * s1[h])
    }
    #endif
    /// Half-part h's offset terms into `chain`.
    @inline(__always) func addOffsets(_ h: Int, _ chain: inout TileChain) {
        let sumX = xsums.loadUnaligned(fromByteOffset: h &* laneBytes, as: TokenFloats.self)
        chain.r0 = chain.r0.addingProduct(sumX, TokenFloats(repeating: o0[h]))
        chain.r1 = chain.r1.addingProduct(sumX, TokenFloats(repeating: o1[h]))
        #if AVX512VNNI
        chain.r2 = chain.r2.addingProduct(sumX, TokenFloats(repeating: o2[h]))
        chain.r3 = chain.r3.addingProduct(sumX, TokenFloats(repeating: o3[h]))
        #endif
    }

    // The four chains of the products over every half-part, h ascending, then those of the
    // offset terms. (Half-parts come in even numbers, parts being 32 columns: the last group
    // may have 2.)
    var p0 = TileChain(), p1 = TileChain(), p2 = TileChain(), p3 = TileChain()
    var h = 0
    while h &+ 4 <= blocks { addProducts(h, &p0); addProducts(h &+ 1, &p1); addProducts(h &+ 2, &p2); addProducts(h &+ 3, &p3); h &+= 4 }
    if h < blocks { addProducts(h, &p0); addProducts(h &+ 1, &p1) }
    // Q8_0 has no offsets: its offset chains would be +0, which adding 0 reproduces.
    var q0 = TileChain(), q1 = TileChain(), q2 = TileChain(), q3 = TileChain()
    if !w.signedCodes {
        h = 0
        while h &+ 4 <= blocks { addOffsets(h, &q0); addOffsets(h &+ 1, &q1); addOffsets(h &+ 2, &q2); addOffsets(h &+ 3, &q3); h &+= 4 }
        if h < blocks { addOffsets(h, &q0); addOffsets(h &+ 1, &q1) }
    }

    // y[t, r] = ((c0 + o0) + (c1 + o1)) + ((c2 + o2) + (c3 + o3)), as `IntegerChains.dot`;
    // through a buffer on the stack, as in the float kernel.
    @inline(__always) func dot(_ c: (TokenFloats, TokenFloats, TokenFloats, TokenFloats),
                               _ o: (TokenFloats, TokenFloats, TokenFloats, TokenFloats)) -> TokenFloats {
        ((c.0 + o.0) + (c.1 + o.1)) + ((c.2 + o.2) + (c.3 + o.3))
    }
    withUnsafeTemporaryAllocation(of: TokenFloats.self, capacity: integerTileRows) { columns in
        columns[0] = dot((p0.r0, p1.r0, p2.r0, p3.r0), (q0.r0, q1.r0, q2.r0, q3.r0))
        columns[1] = dot((p0.r1, p1.r1, p2.r1, p3.r1), (q0.r1, q1.r1, q2.r1, q3.r1))
        #if AVX512VNNI
        columns[2] = dot((p0.r2, p1.r2, p2.r2, p3.r2), (q0.r2, q1.r2, q2.r2, q3.r2))
        columns[3] = dot((p0.r3, p1.r3, p2.r3, p3.r3), (q0.r3, q1.r3, q2.r3, q3.r3))
        #endif
        let tile = UnsafeRawPointer(columns.baseAddress!).assumingMemoryBound(to: Float.self)   // [R, W]
        for t in 0..<tokens {
            for r in 0..<rows { y[t &* ldy &+ r] = tile[r &* width &+ t] }
        }
    }
}
