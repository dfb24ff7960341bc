import Builtin

// Software prefetch of the weights a few rows ahead.
//
// A product streams its weights from memory once, row after row. When each row also costs a lot
// of arithmetic (the server's 8 tokens per row), the core asks for the next bytes too late for
// the hardware prefetcher alone: `perf annotate` put a quarter of the batched unembedding on the
// first load of each block. Asking for the row `prefetchBytes` ahead while the current one is
// multiplied hides the memory's latency: measured on SmolLM2's Q8_0 unembedding for 8 tokens,
// 6.3 → 3.7 ms with one thread, 3.4 → 2.1 ms with two (`loupe bench --batch 8`).

/// How far ahead the rows are asked for: a few rows of every matrix (a SmolLM2 Q8_0 row is 612
/// bytes, a Q4_1 row 360 or 960), about as far as the memory's latency at the speed rows are
/// consumed. Measured with 8 tokens and two threads: 1.25 KB and 10 KB slower, 5 KB the same.
let prefetchBytes = 2_560

/// Asks the cache for the 64-byte line at `p` (`prefetcht0`: into every level). A hint: it
/// never faults, and costs one instruction.
@inline(__always)
func prefetch(_ p: UnsafeRawPointer) {
    Builtin.int_prefetch_RawPointer(p._rawValue, Int32(0)._value, Int32(3)._value, Int32(1)._value)
}

extension WeightMatrix {
    /// Prefetches the row `prefetchBytes` ahead of row `r`, every line of it: called once per
    /// row of a loop over rows. Past the end of a thread's chunk of rows too: the next chunk is
    /// read next, by this thread or the other (then from the shared cache).
    @inline(__always)
    func prefetchRowAhead(of r: Int) {
        let bytes = rowBytes, ahead = r &+ max(1, prefetchBytes / bytes)
        guard ahead < rows else { return }
        let row = self.row(ahead)
        var o = 0
        while o < bytes {
            prefetch(row + o)
            o &+= 64
        }
    }
}
