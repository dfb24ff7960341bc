import Foundation
import Grammar

/// A JSON value, as a request body is read and a response written.
///
/// Requests are decoded into this tree (not straight into `Codable` structs) so that every
/// wrong type can be reported with the name of the field, as OpenAI's `param`.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses `bytes`; nil when they are not one JSON value.
    public static func parse(_ bytes: [UInt8]) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    /// The JSON text, keys sorted (so answers are stable and diffable).
    public var serialized: String {
        var out = ""
        write(into: &out)
        return out
    }

    private func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let x):
            // JSON has no NaN or infinities; a log-probability of −∞ is written as a very low number.
            if !x.isFinite { out += x.isNaN ? "null" : (x < 0 ? "-1e30" : "1e30"); return }
            if x == x.rounded(), abs(x) < 1e15 { out += String(Int64(x)) } else { out += "\(x)" }
        case .string(let s): JSONValue.writeString(s, into: &out)
        case .array(let a):
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                v.write(into: &out)
            }
            out += "]"
        case .object(let o):
            out += "{"
            for (i, key) in o.keys.sorted().enumerated() {
                if i > 0 { out += "," }
                JSONValue.writeString(key, into: &out)
                out += ":"
                o[key]!.write(into: &out)
            }
            out += "}"
        }
    }

    private static func writeString(_ s: String, into out: inout String) {
        out += jsonStringLiteral(s)
    }
}

extension JSONValue: Decodable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let x = try? c.decode(Double.self) { self = .number(x) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}

extension JSONValue {
    /// A number from an integer.
    static func int(_ i: Int) -> JSONValue { .number(Double(i)) }
}

/// Typed access to the fields of a request body, each wrong type a 400 naming the field.
struct RequestFields {
    let object: [String: JSONValue]
    /// The body's JSON text, when these are its top-level fields: what keeps the order of keys
    /// where it matters (a JSON Schema's `properties`).
    let text: [UInt8]?

    init(_ body: JSONValue, text: [UInt8]? = nil) throws(APIError) {
        guard case .object(let o) = body else { throw APIError.invalid("the request body must be a JSON object", param: nil) }
        object = o
        self.text = text
    }

    /// The field, or nil when absent or `null` (OpenAI's clients send `null` for "not given").
    func value(_ key: String) -> JSONValue? {
        guard let v = object[key], v != .null else { return nil }
        return v
    }

    func string(_ key: String) throws(APIError) -> String? {
        guard let v = value(key) else { return nil }
        guard case .string(let s) = v else { throw .wrongType(key, "a string") }
        return s
    }

    func bool(_ key: String) throws(APIError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard case .bool(let b) = v else { throw .wrongType(key, "a boolean") }
        return b
    }

    func number(_ key: String, in range: ClosedRange<Double>? = nil) throws(APIError) -> Double? {
        guard let v = value(key) else { return nil }
        guard case .number(let x) = v else { throw .wrongType(key, "a number") }
        if let range, !range.contains(x) {
            throw .invalid("'\(key)' must be between \(format(range.lowerBound)) and \(format(range.upperBound)); got \(format(x))", param: key)
        }
        return x
    }

    func int(_ key: String, in range: ClosedRange<Int>? = nil) throws(APIError) -> Int? {
        guard let v = value(key) else { return nil }
        guard case .number(let x) = v, x == x.rounded(), abs(x) < 9e15 else { throw .wrongType(key, "an integer") }
        let i = Int(x)
        if let range, !range.contains(i) {
            throw .invalid("'\(key)' must be between \(range.lowerBound) and \(range.upperBound); got \(i)", param: key)
        }
        return i
    }

    private func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x)
    }
}
