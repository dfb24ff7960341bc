/// How `loupe serve` listens and what it accepts.
public struct ServerConfiguration: Sendable {
    /// Address to bind: loopback unless told otherwise (a classroom server passes 0.0.0.0).
    public var host = "127.0.0.1"
    /// Port; 0 lets the system choose a free one (printed when ready).
    public var port = 8080
    /// When set, every endpoint but `/health` needs `Authorization: Bearer <apiKey>`.
    public var apiKey: String?
    /// Largest request body accepted (413 beyond).
    public var maxBodyBytes = 1 << 20
    /// Longest time one generation may run.
    public var timeLimit: Duration = .seconds(600)
    /// How long a connection may send nothing (an idle keep-alive, a request that stops
    /// arriving) before it is closed; a connection waiting for its answer is never cut.
    public var idleTimeout: Duration = .seconds(60)
    /// How long in-flight requests may go on after SIGINT/SIGTERM.
    public var shutdownGrace: Duration = .seconds(10)
    /// The model's name in answers and `/v1/models`.
    public var modelName = "loupe"
    /// Write one line per request on standard error.
    public var logRequests = true

    public init() {}
}
