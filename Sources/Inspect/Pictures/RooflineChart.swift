import Foundation

/// The roofline picture: log-log axes, arithmetic intensity (FLOP/byte) across and GFLOP/s up,
/// the machine's two roofs as one bent line (bandwidth × intensity, then the flat peak), and each
/// backend's kernels as points: a disc for one token (generation), a square for a prompt.
/// A point's distance below the roof is what its kernel leaves on the table.
public struct RooflineChart: Sendable {
    public var roofline: Roofline

    public init(_ roofline: Roofline) { self.roofline = roofline }

    /// Checks that the roofs and every point are positive and finite (a log scale needs it).
    public func validate() throws(PictureError) {
        let r = roofline
        guard r.bandwidth.isFinite, r.bandwidth > 0, r.peak.isFinite, r.peak > 0 else {
            throw PictureError("roofline: bandwidth \(r.bandwidth) GB/s and peak \(r.peak) GFLOP/s must be finite and > 0")
        }
        guard !r.points.isEmpty else { throw PictureError("roofline: no kernel was measured") }
        for p in r.points where !(p.intensity.isFinite && p.intensity > 0 && p.gflops.isFinite && p.gflops > 0) {
            throw PictureError("roofline: \(p.backend) with \(p.tokens) tokens has intensity \(p.intensity) and speed \(p.gflops); both must be finite and > 0")
        }
    }

    /// The picture as a standalone SVG document.
    public func svg() throws(PictureError) -> String {
        try validate()
        let r = roofline
        let intensities = r.points.map(\.intensity) + [r.ridge]
        let speeds = r.points.map(\.gflops) + [r.peak]
        // Whole decades around the data, with room for the roof's labels.
        let xLow = pow(10, floor(log10(intensities.min()! / 2))), xHigh = pow(10, ceil(log10(intensities.max()! * 2)))
        let yLow = pow(10, floor(log10(min(speeds.min()!, r.roof(at: xLow)) / 2))), yHigh = pow(10, ceil(log10(r.peak * 2)))

        let plotLeft = 64.0, plotTop = 44.0, plotWidth = 520.0, plotHeight = 320.0
        let legendWidth = 170.0
        func x(_ v: Double) -> Double { plotLeft + plotWidth * (log10(v) - log10(xLow)) / (log10(xHigh) - log10(xLow)) }
        func y(_ v: Double) -> Double { plotTop + plotHeight * (1 - (log10(v) - log10(yLow)) / (log10(yHigh) - log10(yLow))) }

        var svg = SVGWriter()
        svg.text("Roofline: \(r.model), \(r.threads) thread\(r.threads == 1 ? "" : "s")", x: 4, y: 16, size: 13, weight: "bold")
        svg.text("speed ≤ min(bandwidth × intensity, peak), both measured in the same run", x: 4, y: 31, size: 9.5, fill: "#555")

        // Decade grid and ticks.
        for e in Int(log10(xLow)) ... Int(log10(xHigh)) {
            let v = pow(10, Double(e))
            svg.line(x1: x(v), y1: plotTop, x2: x(v), y2: plotTop + plotHeight, stroke: "#e4e4e4")
            svg.text(Self.tick(v), x: x(v), y: plotTop + plotHeight + 15, size: 9, anchor: "middle", fill: "#444")
        }
        for e in Int(log10(yLow)) ... Int(log10(yHigh)) {
            let v = pow(10, Double(e))
            svg.line(x1: plotLeft, y1: y(v), x2: plotLeft + plotWidth, y2: y(v), stroke: "#e4e4e4")
            svg.text(Self.tick(v), x: plotLeft - 5, y: y(v) + 3, size: 9, anchor: "end", fill: "#444")
        }
        svg.line(x1: plotLeft, y1: plotTop, x2: plotLeft, y2: plotTop + plotHeight, stroke: "#666")
        svg.line(x1: plotLeft, y1: plotTop + plotHeight, x2: plotLeft + plotWidth, y2: plotTop + plotHeight, stroke: "#666")
        svg.text("arithmetic intensity (FLOP per byte read)", x: plotLeft + plotWidth / 2, y: plotTop + plotHeight + 32,
                 size: 10, anchor: "middle", fill: "#444")
        svg.text("GFLOP/s", x: 14, y: plotTop + plotHeight / 2, size: 10, anchor: "middle", fill: "#444", rotate: -90)

        // The roof: the memory slope up to the ridge, then the arithmetic peak.
        let bandwidth = SVGWriter.number(r.bandwidth, digits: 1), peak = SVGWriter.number(r.peak, digits: 0)
        let roofStart = max(xLow, yLow / r.bandwidth)
        svg.openGroup(className: "roof", label: "memory roof \(bandwidth) GB/s, arithmetic roof \(peak) GFLOP/s")
        svg.polyline([(x(roofStart), y(r.roof(at: roofStart))), (x(r.ridge), y(r.peak)), (x(xHigh), y(r.peak))],
                     stroke: "#333", width: 2)
        svg.closeGroup()
        let slope = -atan((y(r.roof(at: 10 * roofStart)) - y(r.roof(at: roofStart))) / (x(10 * roofStart) - x(roofStart))) * 180 / .pi
        let memoryLabelAt = pow(10, (log10(roofStart) + log10(r.ridge)) / 2)
        svg.text("memory: \(bandwidth) GB/s", x: x(memoryLabelAt), y: y(r.roof(at: memoryLabelAt)) - 6, size: 10,
                 anchor: "middle", fill: "#333", rotate: -slope)
        svg.text("arithmetic: \(peak) GFLOP/s", x: plotLeft + plotWidth - 4, y: y(r.peak) - 6, size: 10, anchor: "end", fill: "#333")
        if let sgemm = r.sgemm, sgemm > yLow, sgemm < yHigh {
            svg.line(x1: x(r.ridge), y1: y(sgemm), x2: plotLeft + plotWidth, y2: y(sgemm), stroke: "#999", dashed: true)
            svg.text("BLAS sgemm: \(SVGWriter.number(sgemm, digits: 0)) GFLOP/s", x: x(r.ridge) + 4, y: y(sgemm) + 12,
                     size: 9, fill: "#777")
        }

        // The kernels.
        let backends = r.points.map(\.backend).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        for p in r.points {
            let colour = Self.colour(p.backend, among: backends)
            let cx = x(p.intensity), cy = y(p.gflops)
            let tip = "\(p.backend), \(p.tokens) token\(p.tokens == 1 ? "" : "s"): \(SVGWriter.number(p.intensity, digits: 1)) FLOP/byte, "
                + "\(SVGWriter.number(p.gflops, digits: 2)) GFLOP/s (\(SVGWriter.number(100 * p.gflops / r.roof(at: p.intensity), digits: 0)) % of the roof)"
            svg.openGroup(className: "kernel", label: tip)
            if p.tokens == 1 {
                svg.circle(x: cx, y: cy, radius: 5, fill: colour, tooltip: tip)
            } else {
                svg.rect(x: cx - 5, y: cy - 5, width: 10, height: 10, fill: colour, stroke: "#222", tooltip: tip)
            }
            svg.text(p.backend, x: cx + 8, y: cy + 4, size: 9.5, fill: colour)
            svg.closeGroup()
        }

        // Legend: one line per backend, then the two shapes.
        let lx = plotLeft + plotWidth + 18
        for (i, name) in backends.enumerated() {
            let ly = plotTop + 8 + Double(i) * 16
            svg.circle(x: lx + 5, y: ly - 3.5, radius: 5, fill: Self.colour(name, among: backends))
            svg.text(name, x: lx + 16, y: ly, size: 10)
        }
        let shapesTop = plotTop + 16 + Double(backends.count) * 16
        svg.circle(x: lx + 5, y: shapesTop - 3.5, radius: 5, fill: "#888")
        svg.text("1 token (generation)", x: lx + 16, y: shapesTop, size: 10)
        let promptTokens = r.points.first { $0.tokens > 1 }?.tokens ?? 128
        svg.rect(x: lx, y: shapesTop + 7.5, width: 10, height: 10, fill: "#888", stroke: "#222")
        svg.text("\(promptTokens) tokens (a prompt)", x: lx + 16, y: shapesTop + 16, size: 10)

        return svg.document(width: lx + legendWidth, height: plotTop + plotHeight + 44,
                            title: "Roofline of \(r.model): kernels against memory bandwidth and arithmetic peak",
                            className: "roofline")
    }

    /// 0.1, 1, 10, 100, 1k, 10k: decade labels.
    static func tick(_ v: Double) -> String {
        v >= 1000 ? SVGWriter.number(v / 1000, digits: 0) + "k" : SVGWriter.number(v, digits: 3)
    }

    /// One colour per backend, the same as in the other pictures' palette order.
    static func colour(_ backend: String, among backends: [String]) -> String {
        ResidualNormChart.palette[(backends.firstIndex(of: backend) ?? 0) % ResidualNormChart.palette.count]
    }
}

/// The roofline picture of `roofline` as an SVG document (see `RooflineChart`).
public func rooflineSVG(_ roofline: Roofline) throws(PictureError) -> String {
    try RooflineChart(roofline).svg()
}
