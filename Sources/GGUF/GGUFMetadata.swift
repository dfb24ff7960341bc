/// Typed access to metadata, with errors that name the key.
///
/// Model code asks for what it needs (`try file.int("llama.block_count")`) and gets either a
/// value of the right type or an error such as
/// `model.gguf: metadata key 'llama.block_count' is string, expected an integer`.
extension GGUFFile {
    /// `general.architecture` (`llama`, `gemma3`, …), or nil when absent.
    public var architecture: String? { metadata["general.architecture"]?.stringValue }

    /// The value of `key`; throws `missingKey` when absent.
    public func value(_ key: String) throws(GGUFError) -> GGUFValue {
        guard let value = metadata[key] else { throw error(.missingKey(key)) }
        return value
    }

    /// An integer of any width and signedness.
    public func int(_ key: String) throws(GGUFError) -> Int {
        let v = try value(key)
        guard let i = v.intValue else { throw error(.wrongType(key: key, expected: "an integer", found: v.type)) }
        return i
    }

    /// An integer, or `fallback` when the key is absent (a present key of another type still throws).
    public func int(_ key: String, default fallback: Int) throws(GGUFError) -> Int {
        metadata[key] == nil ? fallback : try int(key)
    }

    /// A float32 or float64 (integers are accepted too).
    public func float(_ key: String) throws(GGUFError) -> Float {
        let v = try value(key)
        guard let d = v.doubleValue else { throw error(.wrongType(key: key, expected: "a number", found: v.type)) }
        return Float(d)
    }

    public func float(_ key: String, default fallback: Float) throws(GGUFError) -> Float {
        metadata[key] == nil ? fallback : try float(key)
    }

    public func string(_ key: String) throws(GGUFError) -> String {
        let v = try value(key)
        guard let s = v.stringValue else { throw error(.wrongType(key: key, expected: "a string", found: v.type)) }
        return s
    }

    public func string(_ key: String, default fallback: String?) throws(GGUFError) -> String? {
        metadata[key] == nil ? fallback : try string(key)
    }

    public func bool(_ key: String) throws(GGUFError) -> Bool {
        let v = try value(key)
        guard let b = v.boolValue else { throw error(.wrongType(key: key, expected: "a bool", found: v.type)) }
        return b
    }

    public func bool(_ key: String, default fallback: Bool) throws(GGUFError) -> Bool {
        metadata[key] == nil ? fallback : try bool(key)
    }

    /// An array of strings (`tokenizer.ggml.tokens`, `tokenizer.ggml.merges`).
    public func strings(_ key: String) throws(GGUFError) -> [String] {
        let elements = try array(key, of: .string, expected: "an array of strings")
        return elements.map { $0.stringValue ?? "" }
    }

    /// An array of numbers as floats (`tokenizer.ggml.scores`).
    public func floats(_ key: String) throws(GGUFError) -> [Float] {
        let v = try value(key)
        guard case .array(_, let elements) = v else {
            throw error(.wrongType(key: key, expected: "an array of numbers", found: v.type))
        }
        var out: [Float] = []
        out.reserveCapacity(elements.count)
        for e in elements {
            guard let d = e.doubleValue else {
                throw error(.wrongType(key: key, expected: "an array of numbers", found: e.type))
            }
            out.append(Float(d))
        }
        return out
    }

    /// An array of integers of any width (`tokenizer.ggml.token_type`).
    public func ints(_ key: String) throws(GGUFError) -> [Int] {
        let v = try value(key)
        guard case .array(_, let elements) = v else {
            throw error(.wrongType(key: key, expected: "an array of integers", found: v.type))
        }
        var out: [Int] = []
        out.reserveCapacity(elements.count)
        for e in elements {
            guard let i = e.intValue else {
                throw error(.wrongType(key: key, expected: "an array of integers", found: e.type))
            }
            out.append(i)
        }
        return out
    }

    private func array(_ key: String, of type: GGUFValueType, expected: String) throws(GGUFError) -> [GGUFValue] {
        let v = try value(key)
        guard case .array(let t, let elements) = v, t == type || elements.isEmpty else {
            if case .array(let t, _) = v { throw error(.wrongType(key: key, expected: expected, found: t)) }
            throw error(.wrongType(key: key, expected: expected, found: v.type))
        }
        return elements
    }

    /// An error about this file with no particular offset.
    public func error(_ kind: GGUFError.Kind) -> GGUFError {
        GGUFError(file: path, offset: nil, kind: kind)
    }
}
