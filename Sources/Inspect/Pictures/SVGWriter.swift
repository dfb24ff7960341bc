/// Builds SVG text element by element. Pictures are plain strings so that they can be written
/// to a `.svg` file or inlined in an HTML page as they are, with no drawing library.
struct SVGWriter {
    private(set) var body = ""

    /// Escapes text for XML content and attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            // XML 1.0 forbids most control characters even as references.
            case "\u{0}" ..< "\u{20}" where c != "\n" && c != "\t" && c != "\r": out += "\u{FFFD}"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A number with at most `digits` decimals and no trailing zeros: short files, stable text.
    static func number(_ value: Double, digits: Int = 2) -> String {
        guard value.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0 ..< digits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        if rounded == rounded.rounded(), abs(rounded) < 1e15 { return String(Int(rounded)) }
        var text = String(rounded)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }

    /// A filled rectangle; `tooltip` becomes a `<title>` the browser shows on hover.
    mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String,
                       stroke: String? = nil, tooltip: String? = nil) {
        body += "<rect x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" width=\"\(Self.number(width))\" "
            + "height=\"\(Self.number(height))\" fill=\"\(fill)\""
        if let stroke { body += " stroke=\"\(stroke)\" stroke-width=\"0.5\"" }
        if let tooltip {
            body += "><title>\(Self.escape(tooltip))</title></rect>"
        } else {
            body += "/>"
        }
    }

    /// A filled disc; `tooltip` becomes a `<title>`.
    mutating func circle(x: Double, y: Double, radius: Double, fill: String, tooltip: String? = nil) {
        body += "<circle cx=\"\(Self.number(x))\" cy=\"\(Self.number(y))\" r=\"\(Self.number(radius))\" fill=\"\(fill)\""
        body += tooltip.map { "><title>\(Self.escape($0))</title></circle>" } ?? "/>"
    }

    /// Text anchored at (x, y); `rotate` turns it about that point (degrees, clockwise).
    mutating func text(_ content: String, x: Double, y: Double, size: Double = 11,
                       anchor: String = "start", fill: String = "#222", weight: String? = nil,
                       rotate: Double? = nil, className: String? = nil) {
        body += "<text x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" font-size=\"\(Self.number(size))\""
        if anchor != "start" { body += " text-anchor=\"\(anchor)\"" }
        if fill != "#222" { body += " fill=\"\(fill)\"" }
        if let weight { body += " font-weight=\"\(weight)\"" }
        if let className { body += " class=\"\(className)\"" }
        if let rotate {
            body += " transform=\"rotate(\(Self.number(rotate)) \(Self.number(x)) \(Self.number(y)))\""
        }
        body += ">\(Self.escape(content))</text>"
    }

    /// A straight line.
    mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String = "#999",
                       width: Double = 1, dashed: Bool = false) {
        body += "<line x1=\"\(Self.number(x1))\" y1=\"\(Self.number(y1))\" x2=\"\(Self.number(x2))\" "
            + "y2=\"\(Self.number(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(Self.number(width))\""
        body += dashed ? " stroke-dasharray=\"3 3\"/>" : "/>"
    }

    /// A polyline through `points`, with dots at each point carrying a tooltip.
    mutating func polyline(_ points: [(x: Double, y: Double)], stroke: String, width: Double = 1.5,
                           tooltips: [String]? = nil) {
        let list = points.map { "\(Self.number($0.x)),\(Self.number($0.y))" }.joined(separator: " ")
        body += "<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(Self.number(width))\"/>"
        if let tooltips {
            for (p, tip) in zip(points, tooltips) {
                body += "<circle cx=\"\(Self.number(p.x))\" cy=\"\(Self.number(p.y))\" r=\"2.2\" fill=\"\(stroke)\">"
                    + "<title>\(Self.escape(tip))</title></circle>"
            }
        }
    }

    /// Opens a group, e.g. to tag the cells of one head with a class.
    mutating func openGroup(className: String? = nil, label: String? = nil) {
        body += "<g"
        if let className { body += " class=\"\(className)\"" }
        if let label { body += " aria-label=\"\(Self.escape(label))\"" }
        body += ">"
    }

    mutating func closeGroup() { body += "</g>" }

    /// The finished document: a standalone SVG of the given size, with a title for screen readers
    /// and `definitions` (patterns, gradients) in a `<defs>` element.
    func document(width: Double, height: Double, title: String, className: String,
                  definitions: String = "") -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"\(className)\" width=\"\(Self.number(width))\" "
            + "height=\"\(Self.number(height))\" viewBox=\"0 0 \(Self.number(width)) \(Self.number(height))\" "
            + "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" role=\"img\">"
            + "<title>\(Self.escape(title))</title>"
            + (definitions.isEmpty ? "" : "<defs>\(definitions)</defs>")
            + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>"
            + body + "</svg>\n"
    }
}
