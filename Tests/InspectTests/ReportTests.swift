import Foundation
import Testing
@testable import Inspect

@Suite struct ReportTests {
    @Test func pageHoldsEveryPictureAndNothingExternal() throws {
        let page = try PicturesTestData.report(layers: 4, heads: 3).html()
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.components(separatedBy: "<svg ").count - 1 == 4 + 2, "one per layer, the lens and the norms")
        #expect(page.components(separatedBy: "<figure class=\"layer\"").count - 1 == 4)
        for layer in 0 ..< 4 { #expect(page.contains("id=\"masked-\(layer)\"")) }
        #expect(page.contains("<li><b>␣cat</b><small>3</small></li>"))
        #expect(page.contains("<pre class=\"prompt\">The cat sat on the mat\n</pre>"))
        #expect(page.contains("<li><span>layers</span> 4</li>"))
        // Self-contained: no script, no fetched resource; the only URL is the SVG namespace.
        #expect(!page.contains("<script"))
        for attribute in ["src=", "href=", "@import", "url(http"] { #expect(!page.contains(attribute), "\(attribute)") }
        let urls = page.components(separatedBy: "http").count - 1
        #expect(urls == page.components(separatedBy: "xmlns=\"http://www.w3.org/2000/svg\"").count - 1)
    }

    @Test func everyInlinedPictureIsWellFormed() throws {
        let page = try PicturesTestData.report(layers: 2, heads: 2).html()
        var rest = page[...]
        var count = 0
        while let start = rest.range(of: "<svg "), let end = rest.range(of: "</svg>", range: start.upperBound ..< rest.endIndex) {
            #expect(XMLSummary.parse(String(rest[start.lowerBound ..< end.upperBound])) != nil)
            rest = rest[end.upperBound...]
            count += 1
        }
        #expect(count == 4)
    }

    @Test func escapesThePrompt() throws {
        var report = PicturesTestData.report(layers: 1, heads: 1)
        report.prompt = "<script>alert(1)</script>"
        let page = try report.html()
        #expect(!page.contains("<script"))
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
    }

    @Test func rejectsMismatchedData() {
        var report = PicturesTestData.report(layers: 2, heads: 1)
        report.tokenIDs = [1]
        #expect(throws: PictureError("report: 1 token ids for 8 tokens")) { try report.html() }
        report = PicturesTestData.report(layers: 2, heads: 1)
        report.residualNorms.removeLast(1)
        report.residualNorms[0].removeLast()
        #expect(throws: PictureError.self) { try report.html() }
    }
}
