import Foundation
import Testing
@testable import Inspect

@Suite struct PicturesBuildingBlockTests {
    @Test func escapesMarkup() {
        #expect(SVGWriter.escape("<a & \"b\" 'c'>") == "&lt;a &amp; &quot;b&quot; &apos;c&apos;&gt;")
        #expect(SVGWriter.escape("x\u{1}y") == "x\u{FFFD}y", "control characters are not allowed in XML")
    }

    @Test func writesShortNumbers() {
        #expect(SVGWriter.number(3) == "3")
        #expect(SVGWriter.number(2.5) == "2.5")
        #expect(SVGWriter.number(0.12345, digits: 3) == "0.123")
        #expect(SVGWriter.number(-1.10) == "-1.1")
        #expect(SVGWriter.number(.nan) == "0")
    }

    @Test func tokenLabelsShowWhitespace() {
        #expect(TokenLabel.display(" cat") == "␣cat")
        #expect(TokenLabel.display("\n\t") == "⏎⇥")
        #expect(TokenLabel.display("") == "∅")
        #expect(TokenLabel.display("\u{1}") == "\\u{1}")
        #expect(TokenLabel.display("abcdefghijklmnop", limit: 6) == "abcde…")
    }

    @Test func colourScaleRunsLightToDark() {
        #expect(ColorScale.blues.color(0) == "#f7fbff")
        #expect(ColorScale.blues.color(1) == "#08306b")
        #expect(ColorScale.blues.color(-3) == ColorScale.blues.color(0), "clamped")
        #expect(ColorScale.blues.color(.nan) == ColorScale.blues.color(0))
        #expect(!ColorScale.blues.needsLightText(0))
        #expect(ColorScale.blues.needsLightText(1))
        #expect(ColorScale.heat.color(0.5) == "#fe9929")
    }
}

@Suite struct AttentionPictureTests {
    let tokens = PicturesTestData.tokens

    @Test func drawsOneCellPerVisibleKeyAndHatchesTheMask() throws {
        let patterns = PicturesTestData.attention(layers: 1, heads: 4, tokens: tokens.count)[0]
        let svg = try attentionSVG(tokens: tokens, patterns: patterns, layer: 7)
        let xml = try #require(XMLSummary.parse(svg), "well-formed XML")
        let cells = xml.elements("rect").filter { $0["fill"]?.hasPrefix("#") == true && $0["width"] == $0["height"] }
        let t = tokens.count
        // Visible cells carry a tooltip title; count them through the titles' text pattern.
        let tooltips = svg.components(separatedBy: "<title>head ").count - 1
        #expect(tooltips == 4 * t * (t + 1) / 2, "lower triangle, diagonal included, every head")
        #expect(cells.count >= 4 * t * (t + 1) / 2)
        let masked = xml.elements("rect").filter { $0["fill"] == "url(#masked)" }
        #expect(masked.count == 4 * (t - 1), "one hatched strip per row but the last, per head")
        #expect(xml.counts["pattern"] == 1)
        #expect(xml.texts.contains("Layer 7 attention: 4 heads"))
        for head in 0 ..< 4 { #expect(xml.texts.contains("head \(head)")) }
        for label in ["<|im_start|>", "␣cat", "␣mat", "⏎"] { #expect(xml.texts.contains(label), "\(label)") }
    }

    @Test func colourFollowsTheWeight() throws {
        // Query 1 puts all its weight on key 1; query 0 on key 0 (the only choice).
        let svg = try AttentionHeatmap(tokens: ["a", "b"], weights: [[1, 0], [0, 1]]).svg()
        let xml = try #require(XMLSummary.parse(svg))
        let fills = xml.elements("rect").compactMap { $0["fill"] }
        #expect(fills.filter { $0 == "#08306b" }.count >= 2, "weight 1 is the darkest blue")
        #expect(fills.contains("#f7fbff"), "weight 0 is the lightest")
        #expect(svg.contains("head 0: b → a 0<"))
        #expect(svg.contains("head 0: b → b 1<"))
    }

    @Test func queriesMayBeTheLastRowsOfALongerContext() throws {
        // One new token attending over 3 cached ones plus itself: nothing is masked.
        let svg = try AttentionHeatmap(tokens: ["a", "b", "c", "d"], patterns: [[[0.1, 0.2, 0.3, 0.4]]]).svg()
        #expect(!svg.contains("url(#masked)\""))
        #expect(svg.contains("head 0: d → a 0.1<"))
    }

    @Test func rejectsShapesThatDoNotMatch() {
        #expect(throws: PictureError("attention picture: head 0, query 1 has 1 keys; expected 2 (one per token)")) {
            try AttentionHeatmap(tokens: ["a", "b"], weights: [[1, 0], [1]]).svg()
        }
        #expect(throws: PictureError("attention picture: 3 query rows for 2 tokens; expected 1…2")) {
            try AttentionHeatmap(tokens: ["a", "b"], weights: [[1, 0], [1, 0], [1, 0]]).svg()
        }
        #expect(throws: PictureError("attention picture: head 1 has 1 query rows, head 0 has 2")) {
            try AttentionHeatmap(tokens: ["a", "b"], patterns: [[[1, 0], [0, 1]], [[1, 0]]]).svg()
        }
        #expect(throws: PictureError.self) { try AttentionHeatmap(tokens: [], patterns: []).svg() }
        #expect(throws: PictureError.self) { try AttentionHeatmap(tokens: ["a"], patterns: []).svg() }
    }
}

@Suite struct LogitLensPictureTests {
    let tokens = PicturesTestData.tokens

    @Test func writesTheTopTokenInEveryCellAndBoldsTheFinalAnswer() throws {
        let lens = PicturesTestData.lens(layers: 6)
        let svg = try logitLensSVG(tokens: tokens, topTokens: lens.tokens, probabilities: lens.probabilities)
        let xml = try #require(XMLSummary.parse(svg))
        let cells = xml.elements("text").filter { $0["class"] == "lens-token" }
        #expect(cells.count == 6 * tokens.count)
        // Layers 3…5 predict the final answer: bold; layers 0…2 do not.
        #expect(cells.filter { $0["font-weight"] == "bold" }.count == 3 * tokens.count)
        #expect(xml.texts.contains("␣sat"))
        #expect(xml.texts.contains("junk0"))
        #expect(xml.texts.filter { $0 == "5" }.count == 1, "row label of the last layer")
        #expect(svg.contains("layer 5, after The: ␣cat p=0.6<"))
    }

    @Test func darkCellsGetWhiteText() throws {
        let svg = try LogitLensTable(tokens: ["a", "b"], topTokens: [["x", "y"]], probabilities: [[1, 0]],
                                     layerLabels: ["final"]).svg()
        let xml = try #require(XMLSummary.parse(svg))
        let cells = xml.elements("text").filter { $0["class"] == "lens-token" }
        #expect(cells.map { $0["fill"] ?? "#222" } == ["#fff", "#222"])
        #expect(xml.texts.contains("final"))
    }

    @Test func rejectsShapesThatDoNotMatch() {
        #expect(throws: PictureError("logit lens picture: layer 1 has 1 tokens and 2 probabilities; expected 2 (one per position)")) {
            try LogitLensTable(tokens: ["a", "b"], topTokens: [["x", "y"], ["x"]], probabilities: [[1, 1], [1, 1]]).svg()
        }
        #expect(throws: PictureError("logit lens picture: 2 layers of tokens but 1 of probabilities")) {
            try LogitLensTable(tokens: ["a"], topTokens: [["x"], ["y"]], probabilities: [[1]]).svg()
        }
        #expect(throws: PictureError("logit lens picture: 3 layer labels for 1 layers")) {
            try LogitLensTable(tokens: ["a"], topTokens: [["x"]], probabilities: [[1]], layerLabels: ["0", "1", "2"]).svg()
        }
    }
}

@Suite struct ResidualNormPictureTests {
    @Test func drawsOneLinePerPositionWithAPointPerLayer() throws {
        let tokens = PicturesTestData.tokens
        let svg = try residualNormSVG(tokens: tokens, norms: PicturesTestData.norms(layers: 5))
        let xml = try #require(XMLSummary.parse(svg))
        let lines = xml.elements("polyline")
        #expect(lines.count == tokens.count)
        for line in lines {
            #expect(line["points"]?.split(separator: " ").count == 5)
        }
        #expect(xml.counts["circle"] == 5 * tokens.count)
        #expect(xml.texts.contains { $0.hasSuffix("log scale") }, "the sink is 50× the rest")
        #expect(svg.contains("␣cat (position 2), layer 4: ‖x‖ = 10<"))
    }

    @Test func linearScaleWhenNormsAreClose() throws {
        let svg = try ResidualNormChart(tokens: ["a", "b"], norms: [[1, 2], [3, 4]]).svg()
        let xml = try #require(XMLSummary.parse(svg))
        #expect(!xml.texts.contains { $0.contains("log scale") })
        // Points: larger norm → smaller y (higher on the page).
        let points = try #require(xml.elements("polyline").first?["points"])
        let ys = points.split(separator: " ").map { Double($0.split(separator: ",")[1])! }
        #expect(ys[0] > ys[1])
    }

    @Test func rejectsBadNorms() {
        #expect(throws: PictureError("residual norm picture: layer 0, position 1 has norm nan; expected a finite value ≥ 0")) {
            try ResidualNormChart(tokens: ["a", "b"], norms: [[1, .nan]]).svg()
        }
        #expect(throws: PictureError("residual norm picture: layer 0 has 1 norms; expected 2 (one per position)")) {
            try ResidualNormChart(tokens: ["a", "b"], norms: [[1]]).svg()
        }
    }
}

@Suite struct ResidualNormScaleTests {
    @Test func forcedLogScaleWithEqualNormsStaysFinite() throws {
        let svg = try ResidualNormChart(tokens: ["a"], norms: [[10], [10]], logScale: true).svg()
        #expect(!svg.contains("nan") && !svg.contains("inf"))
        let xml = try #require(XMLSummary.parse(svg))
        #expect(xml.texts.contains("10") && xml.texts.contains("100"), "ticks span one decade")
    }
}
