import GGUF
import Kernels

/// A language model of one of the families Loupe runs (`Architecture.supported`): its configuration, its weights (bound in place in the
/// memory-mapped file) and the backend that computes with them.
///
/// A model holds no per-conversation state; an `InferenceSession` adds the KV cache and the
/// activation buffers. Several sessions may share one model.
///
///     let model = try Model(path: "Weights/SmolLM2-135M-Instruct.Q4_1.gguf", backend: NaiveBackend())
///     let session = try InferenceSession(model: model)
///     let logits = try session.evaluate([504, 3575, 282, 4649, 314])   // [V] of the last token
public final class Model: @unchecked Sendable {
    /// The mapped GGUF file; the weights point into it.
    public let file: GGUFFile
    public let configuration: ModelConfiguration
    public let weights: ModelWeights
    /// The kernels every step of the forward pass calls.
    public let backend: any Backend

    /// Reads the configuration and binds every weight of `file`, checking names, shapes and types.
    public init(file: GGUFFile, backend: any Backend) throws(ModelError) {
        self.file = file
        self.configuration = try ModelConfiguration(file: file)
        self.weights = try ModelWeights(file: file, configuration: configuration)
        self.backend = backend
    }

    /// Maps the GGUF file at `path` and loads it.
    public convenience init(path: String, backend: any Backend) throws(ModelError) {
        let file: GGUFFile
        do { file = try GGUFFile(path: path) } catch { throw .metadata(error) }
        try self.init(file: file, backend: backend)
    }

    /// The context length a session gets when none is asked for: the model's, at most 4096
    /// (llama.cpp's default).
    public var defaultContextLength: Int { min(configuration.contextLength, 4096) }

    /// The RoPE of block `i` in a session of `contextLength` positions: the model's, with a
    /// local (sliding-window) layer's own base and no scaling, and the frequency factors of the
    /// file (`rope_freqs`, or Phi-3's short factors up to the original context, long beyond).
    public func rope(block i: Int, contextLength: Int) -> RoPEConfig {
        let c = configuration
        var rope = c.rope
        if c.architecture.isLocal(block: i), let window = c.architecture.slidingWindow {
            rope.freqBase = window.ropeBase
            rope.freqScale = 1
        }
        rope.frequencyFactors = weights.ropeFrequencyFactors
            ?? (contextLength > c.ropeOriginalContext ? weights.ropeFactorsLong : weights.ropeFactorsShort)
        return rope
    }
}
