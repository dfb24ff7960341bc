import GlassBox
import Hummingbird

/// The glass box as one responder, for a server that dispatches its own routes and hands the
/// glass box's paths over (`loupe serve` and `loupe web`: the page next to the OpenAI API, on
/// one port, with the model loaded once).
///
///     let box = GlassBox(model: model, tokenizer: tokenizer, file: name)
///     if GlassBoxMount.owns(path) { return try await GlassBoxMount.responder(box: box).respond(to: request, context: context) }
public enum GlassBoxMount {
    /// A router holding only the glass box's routes (`addGlassBoxRoutes`).
    public static func responder(box: GlassBox, maxBody: Int = 1 << 20) -> RouterResponder<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        addGlassBoxRoutes(to: router, box: box, maxBody: maxBody)
        return router.buildResponder()
    }

    /// The page (`/`), its files (`/glassbox/…`) and the API (`/loupe/v1/…`).
    public static func owns(_ path: String) -> Bool {
        path == "/" || path.hasPrefix("/glassbox/") || path.hasPrefix("/loupe/v1/")
    }

    /// The API runs the model, so it asks for the server's key; the page's static files are
    /// free, so a browser can load the page and then ask its user for the key.
    public static func needsKey(_ path: String) -> Bool {
        path.hasPrefix("/loupe/v1/")
    }
}
