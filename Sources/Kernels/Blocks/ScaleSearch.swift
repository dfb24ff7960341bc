// The searches ggml's K-type reference quantizers use to choose a group's scale (and min).
// Ported operation for operation from ggml-quants.c so that the bytes come out the same;
// the comments say what each search is after.

/// ggml's `make_qkx2_quants`: fits x[i] ≈ scale · L[i] − min with L in 0...maxLevel, trying
/// `steps + 1` candidate scales around (maxLevel + rmin + rdelta·k) / (max − min) and, for each,
/// the least-squares scale and min for those levels. Error is weighted by `weights`, squared or
/// absolute. Writes the levels and returns (scale, min) with min ≥ 0 meaning "subtract".
func fitScaleAndMin(_ x: UnsafePointer<Float>, count n: Int, maxLevel: Int, weights: UnsafePointer<Float>,
                    levels L: UnsafeMutablePointer<UInt8>, rmin: Float, rdelta: Float, steps: Int,
                    absoluteError: Bool) -> (scale: Float, min: Float) {
    var minX = x[0], maxX = x[0]
    var sumW = weights[0]
    var sumX = sumW * x[0]
    for i in 1..<n {
        if x[i] < minX { minX = x[i] }
        if x[i] > maxX { maxX = x[i] }
        let w = weights[i]
        sumW += w
        sumX += w * x[i]
    }
    if minX > 0 { minX = 0 }
    if maxX == minX {
        for i in 0..<n { L[i] = 0 }
        return (0, -minX)
    }
    let nmax = Float(maxLevel)
    var iscale = nmax / (maxX - minX)
    var scale = 1 / iscale
    var bestError: Float = 0
    for i in 0..<n {
        let l = nearestInt(iscale * (x[i] - minX))
        L[i] = UInt8(max(0, min(maxLevel, l)))
        var diff = scale * Float(L[i]) + minX - x[i]
        diff = absoluteError ? abs(diff) : diff * diff
        bestError += weights[i] * diff
    }
    if steps < 1 { return (scale, -minX) }

    var candidate = [UInt8](repeating: 0, count: n)
    for step in 0...steps {
        iscale = (rmin + rdelta * Float(step) + nmax) / (maxX - minX)
        var sumL: Float = 0, sumL2: Float = 0, sumXL: Float = 0
        for i in 0..<n {
            let l = max(0, min(maxLevel, nearestInt(iscale * (x[i] - minX))))
            candidate[i] = UInt8(l)
            let w = weights[i]
            let fl = Float(l)
            sumL += w * fl
            sumL2 += w * fl * fl
            sumXL += w * fl * x[i]
        }
        let D = sumW * sumL2 - sumL * sumL
        if D > 0 {
            var thisScale = (sumW * sumXL - sumX * sumL) / D
            var thisMin = (sumL2 * sumX - sumL * sumXL) / D
            if thisMin > 0 {
                thisMin = 0
                thisScale = sumXL / sumL2
            }
            var error: Float = 0
            for i in 0..<n {
                var diff = thisScale * Float(candidate[i]) + thisMin - x[i]
                diff = absoluteError ? abs(diff) : diff * diff
                error += weights[i] * diff
            }
            if error < bestError {
                for i in 0..<n { L[i] = candidate[i] }
                bestError = error
                scale = thisScale
                minX = thisMin
            }
        }
    }
    return (scale, -minX)
}

/// ggml's `make_qx_quants` with `rmse_type = 1` and no importance weights (what
/// `quantize_row_q6_K_ref` calls): fits x[i] ≈ scale · l[i] with l in −maxLevel..<maxLevel,
/// weighting errors by x², trying 19 scales around −maxLevel / max. Writes L = l + maxLevel.
func fitSymmetricScale(_ x: UnsafePointer<Float>, count n: Int, maxLevel nmax: Int,
                       levels L: UnsafeMutablePointer<Int8>) -> Float {
    var max: Float = 0, amax: Float = 0
    for i in 0..<n where abs(x[i]) > amax {
        amax = abs(x[i]); max = x[i]
    }
    if amax < 1e-15 {
        for i in 0..<n { L[i] = 0 }
        return 0
    }
    func level(_ iscale: Float, _ xi: Float) -> Int {
        Swift.max(-nmax, Swift.min(nmax - 1, nearestInt(iscale * xi)))
    }
    var iscale = -Float(nmax) / max
    var sumLX: Float = 0, sumL2: Float = 0
    for i in 0..<n {
        let l = level(iscale, x[i])
        L[i] = Int8(l + nmax)
        let w = x[i] * x[i]
        sumLX += w * x[i] * Float(l)
        sumL2 += w * Float(l) * Float(l)
    }
    var scale: Float = sumL2 != 0 ? sumLX / sumL2 : 0
    var best = scale * sumLX
    for step in -9...9 where step != 0 {
        iscale = -(Float(nmax) + 0.1 * Float(step)) / max
        sumLX = 0; sumL2 = 0
        for i in 0..<n {
            let l = level(iscale, x[i])
            let w = x[i] * x[i]
            sumLX += w * x[i] * Float(l)
            sumL2 += w * Float(l) * Float(l)
        }
        if sumL2 > 0 && sumLX * sumLX > best * sumL2 {
            for i in 0..<n { L[i] = Int8(level(iscale, x[i]) + nmax) }
            scale = sumLX / sumL2
            best = scale * sumLX
        }
    }
    return scale
}

/// ggml's `make_q3_quants` with `do_rmse`: starts from l = round(−maxLevel · x / max), then
/// moves single levels while that lowers the x²-weighted error (up to 5 passes).
/// Writes L = l + maxLevel and returns the least-squares scale.
func fitSymmetricScale3(_ x: UnsafePointer<Float>, count n: Int, maxLevel nmax: Int,
                        levels L: UnsafeMutablePointer<Int8>) -> Float {
    var max: Float = 0, amax: Float = 0
    for i in 0..<n where abs(x[i]) > amax {
        amax = abs(x[i]); max = x[i]
    }
    if amax < 1e-15 {
        for i in 0..<n { L[i] = 0 }
        return 0
    }
    let iscale = -Float(nmax) / max
    var sumLX: Float = 0, sumL2: Float = 0
    for i in 0..<n {
        let l = Swift.max(-nmax, Swift.min(nmax - 1, nearestInt(iscale * x[i])))
        L[i] = Int8(l)
        let w = x[i] * x[i]
        sumLX += w * x[i] * Float(l)
        sumL2 += w * Float(l) * Float(l)
    }
    for _ in 0..<5 {
        var changed = 0
        for i in 0..<n {
            let w = x[i] * x[i]
            let li = Float(L[i])
            var slx = sumLX - w * x[i] * li
            if slx > 0 {
                var sl2 = sumL2 - w * li * li
                let newL = Swift.max(-nmax, Swift.min(nmax - 1, nearestInt(x[i] * sl2 / slx)))
                if newL != Int(L[i]) {
                    slx += w * x[i] * Float(newL)
                    sl2 += w * Float(newL) * Float(newL)
                    if sl2 > 0 && slx * slx * sumL2 > sumLX * sumLX * sl2 {
                        L[i] = Int8(newL); sumLX = slx; sumL2 = sl2
                        changed += 1
                    }
                }
            }
        }
        if changed == 0 { break }
    }
    for i in 0..<n { L[i] += Int8(nmax) }
    return sumL2 > 0 ? sumLX / sumL2 : 0
}
