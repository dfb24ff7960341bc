import Foundation

/// The attention patterns of one layer as a grid of heatmaps, one per head: row = query
/// position, column = key position, colour = softmax weight. Cells above the diagonal are keys
/// the causal mask hides from the query; they are drawn hatched grey, not white, so that
/// "masked" and "weight 0" look different.
///
///     let svg = try AttentionHeatmap(tokens: labels, patterns: attn[3], layer: 3).svg()
public struct AttentionHeatmap: Sendable {
    /// Labels of the key positions, in order.   [P]
    public var tokens: [String]
    /// Softmax weights.   [head][query][key]   [h, T, P] with T ≤ P; query t sits at position P − T + t.
    public var patterns: [[[Float]]]
    /// The layer, for the title; nil leaves it out.
    public var layer: Int?
    /// Colour = weight^gamma. Attention often puts most of its weight on the first token (an
    /// "attention sink"); a gamma below 1 keeps the small weights visible. 1 is linear.
    public var gamma: Double
    /// The id of the hatch pattern; pictures inlined in one HTML page need different ids.
    var maskPatternID = "masked"

    public init(tokens: [String], patterns: [[[Float]]], layer: Int? = nil, gamma: Double = 0.5) {
        self.tokens = tokens
        self.patterns = patterns
        self.layer = layer
        self.gamma = gamma
    }

    /// One head's pattern: a grid of one.   weights: [query][key]
    public init(tokens: [String], weights: [[Float]], layer: Int? = nil, gamma: Double = 0.5) {
        self.init(tokens: tokens, patterns: [weights], layer: layer, gamma: gamma)
    }

    /// Checks the shapes: every head [T, P] with P = tokens.count and 1 ≤ T ≤ P.
    public func validate() throws(PictureError) {
        let keys = tokens.count
        guard keys > 0 else { throw PictureError("attention picture: no tokens") }
        guard let first = patterns.first else { throw PictureError("attention picture: no heads") }
        let queries = first.count
        guard queries >= 1, queries <= keys else {
            throw PictureError("attention picture: \(queries) query rows for \(keys) tokens; expected 1…\(keys)")
        }
        for (h, head) in patterns.enumerated() {
            guard head.count == queries else {
                throw PictureError("attention picture: head \(h) has \(head.count) query rows, head 0 has \(queries)")
            }
            for (t, row) in head.enumerated() where row.count != keys {
                throw PictureError("attention picture: head \(h), query \(t) has \(row.count) keys; expected \(keys) (one per token)")
            }
        }
    }

    /// The picture as a standalone SVG document.
    public func svg() throws(PictureError) -> String {
        try validate()
        let labels = tokens.map { TokenLabel.display($0) }
        let heads = patterns.count, queries = patterns[0].count, keys = tokens.count
        let offset = keys - queries   // absolute position of query 0

        // Layout: cells shrink as the prompt grows, so that a head stays about 220 px wide.
        let cell = min(22, max(5, 220 / Double(keys)))
        let fontSize = min(11, max(7, cell * 0.8))
        let labelWidth = (labels.map { TokenLabel.estimatedWidth($0, fontSize: fontSize) }.max() ?? 0) + 6
        let columns = Int(Double(heads).squareRoot().rounded(.up))
        let rows = (heads + columns - 1) / columns
        let mapWidth = cell * Double(keys), mapHeight = cell * Double(queries)
        let panelTitle = 16.0, gap = 14.0, header = 62.0
        let panelWidth = mapWidth + gap
        let panelHeight = panelTitle + mapHeight + labelWidth + gap
        let width = max(labelWidth + Double(columns) * panelWidth + 4, 420)   // room for the subtitle
        let height = header + Double(rows) * panelHeight

        var svg = SVGWriter()
        let title = (layer.map { "Layer \($0) attention" } ?? "Attention") + (heads > 1 ? ": \(heads) heads" : "")
        svg.text(title, x: 4, y: 15, size: 13, weight: "bold")
        svg.text("row = query (the token that looks), column = key (the token looked at)",
                 x: 4, y: 29, size: 9.5, fill: "#555")
        drawLegend(&svg, x0: 4, y0: 36)

        for h in 0 ..< heads {
            let x0 = labelWidth + Double(h % columns) * panelWidth
            let y0 = header + Double(h / columns) * panelHeight
            svg.openGroup(className: "head", label: "head \(h)")
            svg.text("head \(h)", x: x0, y: y0 + 12, size: 10, fill: "#444")
            let top = y0 + panelTitle
            for t in 0 ..< queries {
                let y = top + Double(t) * cell
                let visible = offset + t + 1   // keys 0…offset+t; the mask hides the rest
                for s in 0 ..< visible {
                    let w = Double(patterns[h][t][s])
                    svg.rect(x: x0 + Double(s) * cell, y: y, width: cell, height: cell, fill: color(w),
                             tooltip: "head \(h): \(labels[offset + t]) → \(labels[s]) \(SVGWriter.number(w, digits: 3))")
                }
                if visible < keys {
                    svg.rect(x: x0 + Double(visible) * cell, y: y, width: Double(keys - visible) * cell,
                             height: cell, fill: "url(#\(maskPatternID))")
                }
            }
            svg.rect(x: x0, y: top, width: mapWidth, height: mapHeight, fill: "none", stroke: "#888")
            // Query labels left of the first column, key labels under every panel.
            if h % columns == 0 {
                for t in 0 ..< queries {
                    svg.text(labels[offset + t], x: x0 - 4, y: top + (Double(t) + 0.5) * cell + fontSize * 0.35,
                             size: fontSize, anchor: "end", className: "token")
                }
            }
            for s in 0 ..< keys {
                let x = x0 + (Double(s) + 0.5) * cell + fontSize * 0.35
                svg.text(labels[s], x: x, y: top + mapHeight + 4, size: fontSize, anchor: "end",
                         rotate: -90, className: "token")
            }
            svg.closeGroup()
        }
        return svg.document(width: width, height: height, title: title, className: "attention",
                            definitions: hatch)
    }

    private func color(_ weight: Double) -> String {
        ColorScale.blues.color(pow(max(weight, 0), gamma))
    }

    /// A colour bar with ticks at 0, 0.1, 0.5 and 1, placed by the same gamma as the cells.
    private func drawLegend(_ svg: inout SVGWriter, x0: Double, y0: Double) {
        let barWidth = 120.0, steps = 24
        for i in 0 ..< steps {
            let v = Double(i) / Double(steps - 1)
            svg.rect(x: x0 + Double(i) * barWidth / Double(steps), y: y0, width: barWidth / Double(steps) + 0.3,
                     height: 9, fill: ColorScale.blues.color(v))
        }
        svg.rect(x: x0, y: y0, width: barWidth, height: 9, fill: "none", stroke: "#888")
        for tick in [0, 0.1, 0.5, 1] {
            let x = x0 + pow(tick, gamma) * barWidth
            svg.line(x1: x, y1: y0 + 9, x2: x, y2: y0 + 12, stroke: "#666")
            svg.text(SVGWriter.number(tick), x: x, y: y0 + 21, size: 8.5, anchor: "middle", fill: "#444")
        }
        svg.text("weight (colour ∝ weight^\(SVGWriter.number(gamma)); hatched = masked)", x: x0 + barWidth + 8, y: y0 + 8,
                 size: 8.5, fill: "#444")
    }

    /// Diagonal grey hatching for masked cells.
    private var hatch: String {
        "<pattern id=\"\(maskPatternID)\" width=\"4\" height=\"4\" patternUnits=\"userSpaceOnUse\">"
            + "<rect width=\"4\" height=\"4\" fill=\"#f2f2f2\"/><path d=\"M0,4 L4,0\" stroke=\"#d0d0d0\" stroke-width=\"0.7\"/>"
            + "</pattern>"
    }
}

/// The attention patterns of one layer as an SVG document: a grid of heatmaps, one per head,
/// with the token labels on the axes (see `AttentionHeatmap`). This is what `save attn L FILE.svg`
/// writes.
///
/// - Parameters:
///   - tokens: the label of every position.   [P]
///   - patterns: the layer's softmax weights.   [head][query][key]   [h, T, P]
///   - layer: the layer number, for the title.
public func attentionSVG(tokens: [String], patterns: [[[Float]]], layer: Int) throws(PictureError) -> String {
    try AttentionHeatmap(tokens: tokens, patterns: patterns, layer: layer).svg()
}
