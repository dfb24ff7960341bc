import GlassBox
import Hummingbird
import Logging

/// `loupe web`'s server: the glass box alone on a Hummingbird application.
public enum GlassBoxServer {
    /// Serves `box` on `host:port` until SIGINT or SIGTERM; `onReady` receives the bound port
    /// (useful with port 0: any free port).
    public static func run(box: GlassBox, host: String, port: Int, onReady: @escaping @Sendable (Int) -> Void) async throws {
        let router = Router()
        addGlassBoxRoutes(to: router, box: box)
        var logger = Logger(label: "loupe-web")
        logger.logLevel = .error
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "loupe"),
            onServerRunning: { channel in onReady(channel.localAddress?.port ?? port) },
            logger: logger)
        try await app.runService()
    }
}
