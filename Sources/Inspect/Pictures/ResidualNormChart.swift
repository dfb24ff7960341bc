import Foundation

/// The size of the residual stream through the layers: one line per position, x = layer,
/// y = ‖x‖ (Euclidean norm of the d-dimensional residual vector). Every block adds its
/// attention and MLP outputs to the stream, so the norm grows with depth; a position that
/// serves as an attention sink (often the first token) usually grows far larger than the rest,
/// which is why the y axis switches to a log scale when the norms span more than 20×.
public struct ResidualNormChart: Sendable {
    /// Labels of the positions.   [T]
    public var tokens: [String]
    /// ‖residual‖ after each layer at each position.   [L][T]
    public var norms: [[Float]]
    /// Names of the x ticks; nil means "0", "1", … (one per layer).
    public var layerLabels: [String]?
    /// Log scale on y: nil decides from the data.
    public var logScale: Bool?

    public init(tokens: [String], norms: [[Float]], layerLabels: [String]? = nil, logScale: Bool? = nil) {
        self.tokens = tokens
        self.norms = norms
        self.layerLabels = layerLabels
        self.logScale = logScale
    }

    /// Checks the shapes: norms [L][T], T = tokens.count, L ≥ 1, values finite and ≥ 0.
    public func validate() throws(PictureError) {
        guard !tokens.isEmpty else { throw PictureError("residual norm picture: no tokens") }
        guard !norms.isEmpty else { throw PictureError("residual norm picture: no layers") }
        for (l, row) in norms.enumerated() {
            guard row.count == tokens.count else {
                throw PictureError("residual norm picture: layer \(l) has \(row.count) norms; expected \(tokens.count) (one per position)")
            }
            if let bad = row.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
                throw PictureError("residual norm picture: layer \(l), position \(bad) has norm \(row[bad]); expected a finite value ≥ 0")
            }
        }
        if let layerLabels, layerLabels.count != norms.count {
            throw PictureError("residual norm picture: \(layerLabels.count) layer labels for \(norms.count) layers")
        }
    }

    /// The chart as a standalone SVG document.
    public func svg() throws(PictureError) -> String {
        try validate()
        let layers = norms.count, positions = tokens.count
        let names = layerLabels ?? (0 ..< layers).map(String.init)
        let labels = tokens.map { TokenLabel.display($0) }
        let values = norms.joined().map(Double.init)
        let positive = values.filter { $0 > 0 }
        let high = max(values.max() ?? 1, 1e-6)
        let low = positive.min() ?? high
        let logarithmic = logScale ?? (high / low > 20)

        // Plot area, legend on the right.
        let plotLeft = 56.0, plotTop = 40.0, plotWidth = 560.0, plotHeight = 240.0
        let legendFont = 10.0
        let legendWidth = (labels.map { TokenLabel.estimatedWidth($0, fontSize: legendFont) }.max() ?? 0) + 40
        let legendRows = max(positions, 1)
        let width = plotLeft + plotWidth + 16 + legendWidth
        let height = max(plotTop + plotHeight + 42, plotTop + Double(legendRows) * 14 + 10)

        // y mapping: linear from 0, or log10 between decades around the data.
        let yLow = logarithmic ? pow(10, floor(log10(max(low, 1e-6)))) : 0
        // At least one decade, even when every norm is the same power of ten.
        let yHigh = logarithmic ? max(pow(10, ceil(log10(high))), 10 * yLow) : niceCeiling(high)
        func y(_ v: Double) -> Double {
            let f = logarithmic ? (log10(max(v, yLow)) - log10(yLow)) / (log10(yHigh) - log10(yLow))
                : v / yHigh
            return plotTop + plotHeight * (1 - f)
        }
        func x(_ layer: Int) -> Double {
            plotLeft + (layers == 1 ? plotWidth / 2 : plotWidth * Double(layer) / Double(layers - 1))
        }

        var svg = SVGWriter()
        svg.text("Residual stream norm ‖x‖ after each layer", x: 4, y: 15, size: 13, weight: "bold")
        svg.text("one line per position" + (logarithmic ? "; log scale" : ""), x: 4, y: 29, size: 9.5, fill: "#555")
        // Grid and y ticks.
        let ticks: [Double] = logarithmic
            ? stride(from: log10(yLow), through: log10(yHigh), by: 1).map { pow(10, $0) }
            : (0 ... 4).map { yHigh * Double($0) / 4 }
        for tick in ticks {
            svg.line(x1: plotLeft, y1: y(tick), x2: plotLeft + plotWidth, y2: y(tick), stroke: "#e4e4e4")
            svg.text(SVGWriter.number(tick, digits: 2), x: plotLeft - 5, y: y(tick) + 3, size: 9, anchor: "end", fill: "#444")
        }
        // x ticks: the first, then round layer numbers (every 1, 2, 5, 10… so that about ten show).
        let every = [1, 2, 5, 10, 20, 50, 100].first { layers / $0 <= 12 } ?? layers
        var lastTick = -Double.infinity
        for l in 0 ..< layers {
            let round = Int(names[l]).map { $0 % every == 0 } ?? true
            guard l == 0 || round, x(l) - lastTick >= 24 else { continue }
            lastTick = x(l)
            svg.line(x1: x(l), y1: plotTop + plotHeight, x2: x(l), y2: plotTop + plotHeight + 4, stroke: "#666")
            svg.text(names[l], x: x(l), y: plotTop + plotHeight + 15, size: 9, anchor: "middle", fill: "#444")
        }
        svg.text("layer", x: plotLeft + plotWidth / 2, y: plotTop + plotHeight + 30, size: 10, anchor: "middle", fill: "#444")
        svg.line(x1: plotLeft, y1: plotTop, x2: plotLeft, y2: plotTop + plotHeight, stroke: "#666")
        svg.line(x1: plotLeft, y1: plotTop + plotHeight, x2: plotLeft + plotWidth, y2: plotTop + plotHeight, stroke: "#666")

        for p in 0 ..< positions {
            let colour = Self.palette[p % Self.palette.count]
            let points = (0 ..< layers).map { (x: x($0), y: y(Double(norms[$0][p]))) }
            let tips = (0 ..< layers).map { "\(labels[p]) (position \(p)), layer \(names[$0]): ‖x‖ = \(SVGWriter.number(Double(norms[$0][p]), digits: 2))" }
            svg.openGroup(className: "position", label: labels[p])
            svg.polyline(points, stroke: colour, tooltips: tips)
            svg.closeGroup()
            let ly = plotTop + Double(p) * 14
            let lx = plotLeft + plotWidth + 16
            svg.line(x1: lx, y1: ly, x2: lx + 16, y2: ly, stroke: colour, width: 2.5)
            svg.text("\(p) \(labels[p])", x: lx + 20, y: ly + 3.5, size: legendFont, className: "token")
        }
        return svg.document(width: width, height: height, title: "Residual stream norm", className: "residual-norms")
    }

    /// 1, 2, 2.5 or 5 times a power of ten, at or above `v`: axis ends on a round number.
    private func niceCeiling(_ v: Double) -> Double {
        let decade = pow(10, floor(log10(v)))
        return [1, 2, 2.5, 5, 10].map { $0 * decade }.first { $0 >= v } ?? 10 * decade
    }

    /// Tableau 10: distinct hues that stay apart for the first ten positions.
    static let palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                          "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]
}

/// The residual-norm chart as an SVG document (see `ResidualNormChart`).
///
/// - Parameters:
///   - tokens: the label of every position.   [T]
///   - norms: ‖residual‖ after each layer at each position.   [L][T]
public func residualNormSVG(tokens: [String], norms: [[Float]], layerLabels: [String]? = nil) throws(PictureError) -> String {
    try ResidualNormChart(tokens: tokens, norms: norms, layerLabels: layerLabels).svg()
}
