/// The logit lens as a table: one row per layer, one column per position. Each cell shows the
/// token the model would predict next if the residual stream stopped at that layer (final norm
/// and unembedding applied early), coloured by its probability. Cells whose token is already
/// the final prediction are written in bold, so one sees at which depth the answer settles.
///
///     let svg = try LogitLensTable(tokens: labels, topTokens: lens.tokens, probabilities: lens.probs).svg()
public struct LogitLensTable: Sendable {
    /// Labels of the input positions.   [T]
    public var tokens: [String]
    /// The most likely next token at each layer and position.   [L][T]
    public var topTokens: [[String]]
    /// Its probability.   [L][T]
    public var probabilities: [[Float]]
    /// Row names; nil means "0", "1", … (one per layer).
    public var layerLabels: [String]?

    public init(tokens: [String], topTokens: [[String]], probabilities: [[Float]], layerLabels: [String]? = nil) {
        self.tokens = tokens
        self.topTokens = topTokens
        self.probabilities = probabilities
        self.layerLabels = layerLabels
    }

    /// Checks the shapes: topTokens and probabilities both [L][T], T = tokens.count, L ≥ 1.
    public func validate() throws(PictureError) {
        guard !tokens.isEmpty else { throw PictureError("logit lens picture: no tokens") }
        guard !topTokens.isEmpty else { throw PictureError("logit lens picture: no layers") }
        guard probabilities.count == topTokens.count else {
            throw PictureError("logit lens picture: \(topTokens.count) layers of tokens but \(probabilities.count) of probabilities")
        }
        for (l, (row, probs)) in zip(topTokens, probabilities).enumerated() {
            guard row.count == tokens.count, probs.count == tokens.count else {
                throw PictureError("logit lens picture: layer \(l) has \(row.count) tokens and \(probs.count) probabilities; expected \(tokens.count) (one per position)")
            }
        }
        if let layerLabels, layerLabels.count != topTokens.count {
            throw PictureError("logit lens picture: \(layerLabels.count) layer labels for \(topTokens.count) layers")
        }
    }

    /// The table as a standalone SVG document.
    public func svg() throws(PictureError) -> String {
        try validate()
        let layers = topTokens.count, positions = tokens.count
        let rowNames = layerLabels ?? (0 ..< layers).map(String.init)
        let inputs = tokens.map { TokenLabel.display($0, limit: 9) }
        let cells = topTokens.map { $0.map { TokenLabel.display($0, limit: 9) } }
        let final = topTokens[layers - 1]

        let fontSize = 10.0, rowHeight = 17.0
        let widest = (cells.joined() + inputs).map { TokenLabel.estimatedWidth($0, fontSize: fontSize) }.max() ?? 0
        let columnWidth = max(44, widest + 10)
        let labelWidth = max(46, (rowNames.map { TokenLabel.estimatedWidth($0, fontSize: fontSize) }.max() ?? 0) + 12)
        let header = 58.0, legendHeight = 26.0
        let width = max(labelWidth + columnWidth * Double(positions) + 8, 430)
        let height = header + rowHeight * Double(layers) + legendHeight

        var svg = SVGWriter()
        svg.text("Logit lens: the next token each layer would predict", x: 4, y: 15, size: 13, weight: "bold")
        svg.text("colour = its probability; bold = same as the final prediction", x: 4, y: 29, size: 9.5, fill: "#555")
        svg.text("layer", x: labelWidth - 6, y: header - 6, size: fontSize, anchor: "end", fill: "#555")
        for (p, label) in inputs.enumerated() {
            svg.text(label, x: labelWidth + (Double(p) + 0.5) * columnWidth, y: header - 6, size: fontSize,
                     anchor: "middle", weight: "bold", className: "token")
        }
        svg.line(x1: labelWidth, y1: header - 1, x2: labelWidth + columnWidth * Double(positions), y2: header - 1,
                 stroke: "#888")
        for l in 0 ..< layers {
            let y = header + Double(l) * rowHeight
            svg.text(rowNames[l], x: labelWidth - 6, y: y + rowHeight * 0.7, size: fontSize, anchor: "end", fill: "#444")
            for p in 0 ..< positions {
                let probability = Double(probabilities[l][p])
                let x = labelWidth + Double(p) * columnWidth
                svg.rect(x: x, y: y, width: columnWidth, height: rowHeight, fill: ColorScale.heat.color(probability),
                         stroke: "#fff",
                         tooltip: "layer \(rowNames[l]), after \(inputs[p]): \(cells[l][p]) p=\(SVGWriter.number(probability, digits: 3))")
                svg.text(cells[l][p], x: x + columnWidth / 2, y: y + rowHeight * 0.7, size: fontSize, anchor: "middle",
                         fill: ColorScale.heat.needsLightText(probability) ? "#fff" : "#222",
                         weight: topTokens[l][p] == final[p] ? "bold" : nil, className: "lens-token")
            }
        }
        drawLegend(&svg, x0: labelWidth, y0: header + Double(layers) * rowHeight + 8)
        return svg.document(width: width, height: height, title: "Logit lens", className: "logit-lens")
    }

    private func drawLegend(_ svg: inout SVGWriter, x0: Double, y0: Double) {
        let barWidth = 120.0, steps = 24
        svg.text("probability", x: x0 + barWidth + 8, y: y0 + 8, size: 8.5, fill: "#444")
        for i in 0 ..< steps {
            svg.rect(x: x0 + Double(i) * barWidth / Double(steps), y: y0, width: barWidth / Double(steps) + 0.3,
                     height: 9, fill: ColorScale.heat.color(Double(i) / Double(steps - 1)))
        }
        svg.rect(x: x0, y: y0, width: barWidth, height: 9, fill: "none", stroke: "#888")
        for tick in [0, 0.5, 1] {
            svg.text(SVGWriter.number(tick), x: x0 + tick * barWidth, y: y0 + 19, size: 8.5, anchor: "middle", fill: "#444")
        }
    }
}

/// The logit lens as an SVG table (see `LogitLensTable`). This is what `save lens FILE.svg` writes.
///
/// - Parameters:
///   - tokens: the label of every input position.   [T]
///   - topTokens: the top next token at each layer and position.   [L][T]
///   - probabilities: its probability.   [L][T]
///   - layerLabels: row names; nil numbers the layers from 0.
public func logitLensSVG(tokens: [String], topTokens: [[String]], probabilities: [[Float]],
                         layerLabels: [String]? = nil) throws(PictureError) -> String {
    try LogitLensTable(tokens: tokens, topTokens: topTokens, probabilities: probabilities,
                       layerLabels: layerLabels).svg()
}
