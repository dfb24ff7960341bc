/// Divides every logit by the temperature: below 1 sharpens the distribution, above 1 flattens
/// it. At 0 or below only the highest logit survives (the others become −∞), as in llama.cpp.
public final class Temperature: Sampler {
    public let temperature: Float

    public init(_ temperature: Float) {
        self.temperature = temperature
    }

    public var name: String { "temperature \(temperature)" }

    public func apply(_ candidates: inout Candidates) {
        guard !candidates.tokens.isEmpty else { return }
        if temperature <= 0 {
            var best = 0
            for i in candidates.tokens.indices.dropFirst() where candidates.tokens[i].logit > candidates.tokens[best].logit {
                best = i
            }
            for i in candidates.tokens.indices where i != best { candidates.tokens[i].logit = -.infinity }
            return
        }
        for i in candidates.tokens.indices { candidates.tokens[i].logit /= temperature }
    }
}
