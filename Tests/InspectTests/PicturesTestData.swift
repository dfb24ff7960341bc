import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import Inspect

/// Deterministic, plausible-looking data for pictures: causal softmax patterns with a sink on
/// token 0, a lens whose predictions settle with depth, norms that grow with depth.
enum PicturesTestData {
    static let tokens = ["<|im_start|>", "The", " cat", " sat", " on", " the", " mat", "\n"]

    /// A small linear congruential generator: same numbers on every platform.
    struct Numbers {
        var state: UInt64
        mutating func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24)
        }
    }

    /// [layers][heads][T][T], every row a softmax over keys 0…t.
    static func attention(layers: Int, heads: Int, tokens: Int, seed: UInt64 = 1) -> [[[[Float]]]] {
        var numbers = Numbers(state: seed)
        return (0 ..< layers).map { _ in
            (0 ..< heads).map { _ in
                (0 ..< tokens).map { t in
                    var row = (0 ..< tokens).map { s -> Float in
                        s > t ? 0 : Foundation.exp(4 * numbers.next() + (s == 0 ? 2 : 0))
                    }
                    let sum = row.reduce(0, +)
                    for s in row.indices { row[s] /= sum }
                    return row
                }
            }
        }
    }

    /// Top tokens [L][T]: the next token appears from the middle layer on.
    static func lens(layers: Int) -> (tokens: [[String]], probabilities: [[Float]]) {
        let next = Array(tokens.dropFirst()) + [" and"]
        let tops = (0 ..< layers).map { l in tokens.indices.map { p in l >= layers / 2 ? next[p] : "junk\(p)" } }
        let probs = (0 ..< layers).map { l in tokens.indices.map { p in Float(l + 1) / Float(layers) * (p % 2 == 0 ? 1 : 0.6) } }
        return (tops, probs)
    }

    /// Norms [L][T]: the sink (position 0) about 50× the others.
    static func norms(layers: Int) -> [[Float]] {
        (0 ..< layers).map { l in tokens.indices.map { p in (p == 0 ? 400 : 3 + Float(p)) * (1 + Float(l) / 4) } }
    }

    static func report(layers: Int = 4, heads: Int = 3) -> HTMLReport {
        let lens = lens(layers: layers)
        return HTMLReport(model: "synthetic test model", prompt: "The cat sat on the mat\n", tokens: tokens,
                          tokenIDs: Array(1 ... tokens.count), attention: attention(layers: layers, heads: heads, tokens: tokens.count),
                          lensTokens: lens.tokens, lensProbabilities: lens.probabilities,
                          residualNorms: norms(layers: layers), facts: [("layers", "\(layers)"), ("heads", "\(heads)")])
    }
}

/// Counts elements and collects text of an XML document (the SVGs must be well-formed XML).
final class XMLSummary: NSObject, XMLParserDelegate {
    var counts: [String: Int] = [:]
    var texts: [String] = []
    var attributes: [[String: String]] = []
    private var current = ""
    private var open: [String] = []

    static func parse(_ text: String) -> XMLSummary? {
        let summary = XMLSummary()
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = summary
        return parser.parse() ? summary : nil
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        counts[name, default: 0] += 1
        self.attributes.append(attributes.merging(["<element>": name]) { a, _ in a })
        open.append(name)
        current = ""
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { current += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text" { texts.append(current) }
        open.removeLast()
        current = ""
    }

    /// Attributes of every element called `name`, in document order.
    func elements(_ name: String) -> [[String: String]] { attributes.filter { $0["<element>"] == name } }
}
