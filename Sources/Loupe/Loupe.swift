/// Loupe: a transformer inference engine you can read and look inside.
///
/// `import Loupe` brings every module: the GGUF loader, the kernels, the tokenizers, the grammars of constrained decoding, the model,
/// the decoding loop and the inspection layer.
@_exported import GGUF
@_exported import Kernels
@_exported import Tokenizers
@_exported import Grammar
@_exported import Transformer
@_exported import Decoding
@_exported import Inspect
