/// One self-contained HTML page about one prompt: the tokens, the residual-stream norms, the
/// logit lens and every layer's attention heads. Pictures are inline SVG and the style sheet is
/// inline CSS; there is no script and no link, so the file opens offline, can be mailed, and
/// shows the same thing on every machine.
///
///     let page = try HTMLReport(model: "SmolLM2-135M-Instruct Q4_1", prompt: p, tokens: labels,
///                               attention: attn, lensTokens: top, lensProbabilities: probs,
///                               residualNorms: norms).html()
public struct HTMLReport: Sendable {
    /// What produced the data, shown under the title (e.g. the model file and its quantization).
    public var model: String
    /// The prompt as typed.
    public var prompt: String
    /// Labels of the prompt's tokens (BOS included if the model adds it).   [T]
    public var tokens: [String]
    /// Their ids, shown under the labels; empty leaves them out.   [T]
    public var tokenIDs: [Int]
    /// Softmax attention weights.   [layer][head][query][key]   [L, h, T, T]
    public var attention: [[[[Float]]]]
    /// Logit lens: the top next token and its probability.   [L][T] each
    public var lensTokens: [[String]]
    public var lensProbabilities: [[Float]]
    /// Row names of the logit lens; nil numbers the layers from 0.
    public var lensLabels: [String]?
    /// ‖residual‖ at each depth.   [depths][T]
    public var residualNorms: [[Float]]
    /// The x ticks of the norm chart ("emb", "0", …); nil numbers them from 0.
    public var residualNormLabels: [String]?
    /// Facts listed under the title as "name: value" (layers, heads, backend…).
    public var facts: [(name: String, value: String)]
    /// The language of the headings and notes.
    public var language: Language = .en

    public init(model: String, prompt: String, tokens: [String], tokenIDs: [Int] = [],
                attention: [[[[Float]]]], lensTokens: [[String]], lensProbabilities: [[Float]],
                residualNorms: [[Float]], lensLabels: [String]? = nil, residualNormLabels: [String]? = nil,
                facts: [(name: String, value: String)] = []) {
        self.model = model
        self.prompt = prompt
        self.tokens = tokens
        self.tokenIDs = tokenIDs
        self.attention = attention
        self.lensTokens = lensTokens
        self.lensProbabilities = lensProbabilities
        self.residualNorms = residualNorms
        self.lensLabels = lensLabels
        self.residualNormLabels = residualNormLabels
        self.facts = facts
    }

    /// The page. Throws when a picture's data has the wrong shape.
    public func html() throws(PictureError) -> String {
        guard tokenIDs.isEmpty || tokenIDs.count == tokens.count else {
            throw PictureError("report: \(tokenIDs.count) token ids for \(tokens.count) tokens")
        }
        let e = SVGWriter.escape
        let text = language.strings.report
        func t(_ key: String) -> String { e(text[key] ?? key) }
        var page = """
            <!DOCTYPE html>
            <html lang="\(language.rawValue)">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Loupe report: \(e(String(prompt.prefix(60))))</title>
            <style>\(Self.style)</style>
            </head>
            <body>
            <header>
            <h1>\(t("title"))</h1>
            <p class="model">\(e(model))</p>

            """
        if !facts.isEmpty {
            page += "<ul class=\"facts\">"
                + facts.map { "<li><span>\(e($0.name))</span> \(e($0.value))</li>" }.joined() + "</ul>\n"
        }
        page += "</header>\n<section id=\"prompt\">\n<h2>\(t("tokens"))</h2>\n"
        page += "<pre class=\"prompt\">\(e(prompt))</pre>\n<ol class=\"tokens\" start=\"0\">"
        for (i, token) in tokens.enumerated() {
            let id = tokenIDs.isEmpty ? "" : "<small>\(tokenIDs[i])</small>"
            page += "<li><b>\(e(TokenLabel.display(token, limit: 24)))</b>\(id)</li>"
        }
        page += "</ol>\n<p class=\"note\">\(tokens.count) \(t("tokensNote"))</p>\n</section>\n"

        page += "<section id=\"residual\">\n<h2>\(t("residual"))</h2>\n<p class=\"note\">\(t("residualNote"))</p>\n"
        page += "<figure>" + (try ResidualNormChart(tokens: tokens, norms: residualNorms,
                                                     layerLabels: residualNormLabels).svg()) + "</figure>\n</section>\n"

        page += "<section id=\"lens\">\n<h2>\(t("lens"))</h2>\n<p class=\"note\">\(t("lensNote"))</p>\n"
        page += "<figure>" + (try LogitLensTable(tokens: tokens, topTokens: lensTokens,
                                                 probabilities: lensProbabilities, layerLabels: lensLabels).svg()) + "</figure>\n</section>\n"

        page += "<section id=\"attention\">\n<h2>\(t("attention"))</h2>\n<p class=\"note\">\(t("attentionNote"))</p>\n"
            + "<div class=\"layers\">\n"
        for (layer, patterns) in attention.enumerated() {
            var heatmap = AttentionHeatmap(tokens: tokens, patterns: patterns, layer: layer)
            heatmap.maskPatternID = "masked-\(layer)"
            page += "<figure class=\"layer\" id=\"layer-\(layer)\">" + (try heatmap.svg()) + "</figure>\n"
        }
        page += "</div>\n</section>\n<footer>\(t("footer"))</footer>\n"
            + "</body>\n</html>\n"
        return page
    }

    /// Inline style: readable type, pictures scaled to the page width.
    static let style = """
        body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;color:#222;background:#fafafa;margin:0 auto;\
        max-width:1240px;padding:16px 20px}
        h1{margin:0 0 2px;font-size:24px}h2{font-size:18px;margin:22px 0 6px;border-bottom:1px solid #ddd;padding-bottom:3px}
        .model{margin:0;color:#555}.note{color:#555;font-size:13px;max-width:900px;margin:4px 0 8px}
        .facts{list-style:none;padding:0;margin:6px 0;display:flex;flex-wrap:wrap;gap:4px 14px;font-size:13px}
        .facts span{color:#777}
        pre.prompt{background:#fff;border:1px solid #ddd;padding:8px 10px;white-space:pre-wrap;margin:4px 0 8px;font-size:14px}
        ol.tokens{list-style:none;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:5px}
        ol.tokens li{background:#fff;border:1px solid #c6dbef;border-radius:4px;padding:3px 7px;text-align:center;\
        font-family:"DejaVu Sans Mono",monospace;font-size:13px}
        ol.tokens small{display:block;color:#888;font-size:10px}
        figure{margin:0;background:#fff;border:1px solid #e2e2e2;padding:6px;overflow-x:auto}
        figure svg{display:block;max-width:100%;height:auto}
        .layers{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:10px}
        footer{margin:24px 0 8px;color:#888;font-size:12px}
        """
}
