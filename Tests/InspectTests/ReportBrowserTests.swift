import Foundation
import Testing
@testable import Inspect
import Transformer

/// The report as a student sees it: opened by a real browser, with no network.
@Suite(.enabled(if: Chromium.isAvailable, "chromium is absent: apt-get install chromium"), .serialized)
struct ReportBrowserTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    private func write(_ html: String, name: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try Data(html.utf8).write(to: url)
        return url
    }

    @Test func browserBuildsEveryPictureFromThePage() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let report = PicturesTestData.report(layers: 3, heads: 4)
        let page = try write(try report.html(), name: "report.html")
        let dom = try Chromium.run(["--dump-dom"], page: page)
        // The DOM after parsing: every picture became an SVG element with its labels.
        #expect(dom.components(separatedBy: "<svg").count - 1 == 3 + 2)
        #expect(dom.components(separatedBy: "class=\"layer\"").count - 1 == 3)
        #expect(dom.components(separatedBy: "class=\"head\"").count - 1 == 3 * 4)
        #expect(dom.contains("Layer 2 attention: 4 heads"))
        #expect(dom.contains("Logit lens: the next token each layer would predict"))
        #expect(dom.contains("Residual stream norm"))
        for label in ["␣cat", "␣mat", "&lt;|im_start|&gt;"] { #expect(dom.contains(">\(label)<"), "\(label)") }
        let cells = dom.components(separatedBy: "<title>head ").count - 1
        #expect(cells == 3 * 4 * 8 * 9 / 2)
    }

    @Test func screenshotShowsThePictures() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let size = ["--window-size=1280,2000", "--hide-scrollbars"]
        let blank = directory.appendingPathComponent("blank.png"), shot = directory.appendingPathComponent("report.png")
        _ = try Chromium.run(size + ["--screenshot=\(blank.path)"],
                             page: try write("<!DOCTYPE html><html><body></body></html>", name: "blank.html"))
        let page = try write(try PicturesTestData.report(layers: 6, heads: 9).html(), name: "report.html")
        _ = try Chromium.run(size + ["--screenshot=\(shot.path)"], page: page)

        let empty = try PNGSummary(data: Data(contentsOf: blank))
        let picture = try PNGSummary(data: Data(contentsOf: shot))
        #expect(picture.width == 1280 && picture.height == 2000)
        // A blank page compresses to a few kilobytes; text, heatmaps and charts to far more.
        #expect(picture.compressedBytes > 10 * empty.compressedBytes,
                "report \(picture.compressedBytes) bytes vs blank \(empty.compressedBytes)")
    }

    /// A real model's report, built as `loupe report` builds it, in the browser.
    @Test(arguments: TestModels.names)
    func modelReportRendersEveryHead(model name: String) throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try TestModels.path(of: name)
        let (model, tokenizer) = try TestModels.load(path)
        let run = try Inspector(model: model, tokenizer: tokenizer).run(prompt: TestModels.prompt, lensDepth: 1)
        let html = try HTMLReport(run: run, model: URL(fileURLWithPath: path).lastPathComponent, prompt: TestModels.prompt).html()
        let page = try write(html, name: "model.html")
        let dom = try Chromium.run(["--dump-dom"], page: page)
        let c = model.configuration
        #expect(dom.components(separatedBy: "class=\"layer\"").count - 1 == c.blockCount)
        #expect(dom.components(separatedBy: "class=\"head\"").count - 1 == c.blockCount * c.headCount)
        #expect(dom.components(separatedBy: "class=\"lens-token\"").count - 1 == c.blockCount * run.positionCount)
        for label in run.tokenLabels { #expect(dom.contains(">\(SVGWriter.escape(TokenLabel.display(label)))<")) }
        if name == "SmolLM2" {
            // The last lens row is the model's own output: SmolLM2 completes the prompt with Paris.
            #expect(run.logitLens(top: 1).last?.last?.first?.piece == " Paris")
            #expect(dom.contains(">␣Paris</text>"))
        }
        let shot = directory.appendingPathComponent("model.png")
        _ = try Chromium.run(["--window-size=1280,2000", "--hide-scrollbars", "--screenshot=\(shot.path)"], page: page)
        let png = try PNGSummary(data: Data(contentsOf: shot))
        #expect(png.width == 1280 && png.height == 2000)
        #expect(png.compressedBytes > 50_000, "a blank page is about 10 KB")
    }
}
