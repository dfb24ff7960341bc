import Foundation

/// JSON Schema → GBNF, the subset of llama.cpp's `json-schema-to-grammar` and with the same
/// output shapes: the same primitive rules, the same `space` between tokens, required
/// properties first then optional ones in `properties` order, rules named after their path
/// (`root-items-nom`). A keyword outside the subset is an error naming it and its JSON path.
enum JSONSchemaConverter {
    /// The GBNF text for a schema given as JSON bytes.
    static func gbnf(schema data: Data) throws(GrammarError) -> String {
        try gbnf(schema: try JSONReader.parse(Array(data)))
    }

    /// The GBNF text for a parsed schema.
    static func gbnf(schema root: JSONValue) throws(GrammarError) -> String {
        var converter = Converter(root: root)
        _ = try converter.visit(root, name: "", path: "")
        return converter.grammarText()
    }

    /// Whitespace between JSON tokens: nothing, one space, or one or two newlines and an indent.
    static let space = #"| " " | "\n"{1,2} [ \t]{0,20}"#

    /// Rule bodies llama.cpp defines once and reuses, with the rules each one needs.
    static let primitives: [String: (body: String, needs: [String])] = [
        "boolean": (#"("true" | "false")"#, []),
        "decimal-part": ("[0-9]{1,16}", []),
        "integral-part": ("[0] | [1-9] [0-9]{0,15}", []),
        "number": (#"("-"? integral-part) ("." decimal-part)? ([eE] [-+]? integral-part)?"#, ["integral-part", "decimal-part"]),
        "integer": (#"("-"? integral-part)"#, ["integral-part"]),
        "value": ("object | array | string | number | boolean | null", ["object", "array", "string", "number", "boolean", "null"]),
        "object": (#""{" space ( string ":" space value ("," space string ":" space value)* )? space "}""#, ["string", "value"]),
        "array": (#""[" space ( value ("," space value)* )? space "]""#, ["value"]),
        "uuid": (#""\"" [0-9a-fA-F]{8} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{12} "\"""#, []),
        "char": (#"[^"\\\x7F\x00-\x1F] | [\\] (["\\bfnrt] | "u" [0-9a-fA-F]{4})"#, []),
        "string": (#""\"" char* "\"""#, ["char"]),
        "null": (#""null""#, []),
        "date": (#"[0-9]{4} "-" ( "0" [1-9] | "1" [0-2] ) "-" ( "0" [1-9] | [1-2] [0-9] | "3" [0-1] )"#, []),
        "time": (#"([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9] ":" [0-5] [0-9] ( "." [0-9]{3} )? ( "Z" | ( "+" | "-" ) ( [01] [0-9] | "2" [0-3] ) ":" [0-5] [0-9] )"#, []),
        "date-time": (#"date "T" time"#, ["date", "time"]),
        "date-string": (#""\"" date "\"""#, ["date"]),
        "time-string": (#""\"" time "\"""#, ["time"]),
        "date-time-string": (#""\"" date-time "\"""#, ["date-time"]),
    ]

    /// Keywords that only annotate (they never constrain the text), accepted and ignored.
    static let annotations: Set<String> = ["$schema", "$id", "title", "description", "default", "examples", "$comment",
                                           "$defs", "definitions", "readOnly", "writeOnly", "deprecated"]
    /// The type each type-specific keyword constrains.
    static let owners: [String: Set<String>] = [
        "properties": ["object"], "required": ["object"], "additionalProperties": ["object"],
        "items": ["array"], "prefixItems": ["array"], "minItems": ["array"], "maxItems": ["array"],
        "minLength": ["string"], "maxLength": ["string"], "format": ["string"],
        "minimum": ["integer"], "maximum": ["integer"],
    ]
    /// Keywords with a meaning here.
    static let supported: Set<String> = ["type", "properties", "required", "additionalProperties", "items", "prefixItems",
                                         "minItems", "maxItems", "enum", "const", "anyOf", "oneOf", "$ref",
                                         "minLength", "maxLength", "format", "minimum", "maximum"]

    private struct Converter {
        let root: JSONValue
        var rules: [String: String] = ["space": JSONSchemaConverter.space]
        var resolving: Set<String> = []

        init(root: JSONValue) { self.root = root }

        func grammarText() -> String {
            rules.keys.sorted().map { "\($0) ::= \(rules[$0]!)" }.joined(separator: "\n") + "\n"
        }

        /// Adds `body` under `name` (made a valid rule name); a different body under a taken
        /// name gets a number (`item1`).
        mutating func addRule(_ name: String, _ body: String) -> String {
            let clean = String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") ? $0 : "-" })
            if rules[clean] == nil || rules[clean] == body {
                rules[clean] = body
                return clean
            }
            var i = 0
            while let existing = rules["\(clean)\(i)"], existing != body { i += 1 }
            rules["\(clean)\(i)"] = body
            return "\(clean)\(i)"
        }

        mutating func primitive(_ name: String, as ruleName: String? = nil) -> String {
            let (body, needs) = JSONSchemaConverter.primitives[name]!
            let n = addRule(ruleName ?? name, body)
            for dependency in needs where rules[dependency] == nil { _ = primitive(dependency) }
            return n
        }

        static func literal(_ text: String) -> String {
            var out = "\""
            for c in text.unicodeScalars {
                switch c {
                case "\r": out += "\\r"
                case "\n": out += "\\n"
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                default: out.unicodeScalars.append(c)
                }
            }
            return out + "\""
        }

        /// The rule name for `schema`, adding the rules it needs.
        mutating func visit(_ schema: JSONValue, name: String, path: String) throws(GrammarError) -> String {
            let reserved = name == "root" || JSONSchemaConverter.primitives[name] != nil
            let ruleName = reserved ? name + "-" : name.isEmpty ? "root" : name
            let sub = name.isEmpty ? "" : name + "-"

            if case .bool(true) = schema { return addRule(ruleName, primitive("value")) }
            guard case .object(let members) = schema else {
                throw GrammarError(.invalidSchema("a schema must be an object or true"), schemaPath: path)
            }
            for (key, _) in members where !JSONSchemaConverter.supported.contains(key) && !JSONSchemaConverter.annotations.contains(key) {
                throw GrammarError(.unsupportedKeyword(key), schemaPath: path + "/" + key)
            }

            if let ref = schema["$ref"] {
                guard case .string(let target) = ref else { throw GrammarError(.invalidSchema("$ref must be a string"), schemaPath: path + "/$ref") }
                return addRule(ruleName, try resolve(target, path: path + "/$ref"))
            }
            for key in ["anyOf", "oneOf"] {
                if let alternatives = schema[key] {
                    guard case .array(let options) = alternatives, !options.isEmpty else {
                        throw GrammarError(.invalidSchema("\(key) must be a non-empty array"), schemaPath: path + "/" + key)
                    }
                    var names: [String] = []
                    for (i, option) in options.enumerated() {
                        names.append(try visit(option, name: name + (name.isEmpty ? "alternative-" : "-") + "\(i)", path: path + "/\(key)/\(i)"))
                    }
                    return addRule(ruleName, names.joined(separator: " | "))
                }
            }
            if let constant = schema["const"] {
                return addRule(ruleName, Self.literal(constant.serialized))
            }
            if let values = schema["enum"] {
                guard case .array(let items) = values else { throw GrammarError(.invalidSchema("enum must be an array"), schemaPath: path + "/enum") }
                return addRule(ruleName, "(" + items.map { Self.literal($0.serialized) }.joined(separator: " | ") + ")")
            }

            var type: String?
            switch schema["type"] {
            case nil: break
            case .string(let t)?: type = t
            case .array(let types)?:
                // A list of types is a choice between copies of the schema, one per type.
                var names: [String] = []
                for (i, t) in types.enumerated() {
                    guard case .string(let typeName) = t else {
                        throw GrammarError(.invalidSchema("type lists strings"), schemaPath: path + "/type/\(i)")
                    }
                    // Each copy keeps the keywords of its own type (maxLength goes with string only).
                    var copy = members.filter { $0.0 != "type" && (JSONSchemaConverter.owners[$0.0]?.contains(typeName) ?? true) }
                    copy.append(("type", t))
                    names.append(try visit(.object(copy), name: name + (name.isEmpty ? "alternative-" : "-") + "\(i)", path: path + "/type/\(i)"))
                }
                return addRule(ruleName, names.joined(separator: " | "))
            default:
                throw GrammarError(.invalidSchema("type must be a string or a list of strings"), schemaPath: path + "/type")
            }
            if type == nil {
                if schema["properties"] != nil || schema["additionalProperties"] != nil { type = "object" }
                else if schema["items"] != nil || schema["prefixItems"] != nil { type = "array" }
                else if schema["minLength"] != nil || schema["maxLength"] != nil || schema["format"] != nil { type = "string" }
                else if schema["minimum"] != nil || schema["maximum"] != nil { type = "integer" }
            }
            try refuse(members, allowedFor: type, path: path)

            switch type {
            case nil:
                return addRule(ruleName, primitive("value"))
            case "object":
                return addRule(ruleName, try object(schema, name: name, path: path, ruleName: ruleName))
            case "array":
                return try array(schema, name: name, sub: sub, path: path, ruleName: ruleName)
            case "string":
                return try string(schema, path: path, ruleName: ruleName)
            case "integer":
                let minimum = try integerBound(schema["minimum"], path: path + "/minimum")
                let maximum = try integerBound(schema["maximum"], path: path + "/maximum")
                if minimum == nil && maximum == nil { return primitive("integer", as: ruleName == "root" ? "root" : "integer") }
                if let minimum, let maximum, minimum > maximum {
                    throw GrammarError(.invalidSchema("minimum \(minimum) is above maximum \(maximum)"), schemaPath: path)
                }
                return addRule(ruleName, "(" + IntegerRange.gbnf(minimum: minimum, maximum: maximum) + ")")
            case "number", "boolean", "null":
                return primitive(type!, as: ruleName == "root" ? "root" : type!)
            default:
                throw GrammarError(.invalidSchema("unknown type '\(type!)'"), schemaPath: path + "/type")
            }
        }

        /// Keywords that constrain another type than the schema's are refused rather than ignored.
        func refuse(_ members: [(String, JSONValue)], allowedFor type: String?, path: String) throws(GrammarError) {
            for (key, _) in members {
                guard let types = JSONSchemaConverter.owners[key] else { continue }
                if let type, !types.contains(type) {
                    let detail = key == "minimum" || key == "maximum" ? " (only integer bounds are supported)" : ""
                    throw GrammarError(.unsupportedKeyword(key + " with type \(type)" + detail), schemaPath: path + "/" + key)
                }
            }
        }

        func integerBound(_ value: JSONValue?, path: String) throws(GrammarError) -> Int64? {
            guard let value else { return nil }
            guard case .number(let text) = value, let double = Double(text), double == double.rounded(), abs(double) < 1e15 else {
                throw GrammarError(.invalidSchema("an integer bound must be a whole number below 10^15"), schemaPath: path)
            }
            return Int64(double)
        }

        func count(_ value: JSONValue?, path: String) throws(GrammarError) -> Int? {
            guard let value else { return nil }
            guard case .number(let text) = value, let n = Int(text), n >= 0 else {
                throw GrammarError(.invalidSchema("expecting a non-negative integer"), schemaPath: path)
            }
            return n
        }

        mutating func resolve(_ reference: String, path: String) throws(GrammarError) -> String {
            guard reference.hasPrefix("#") else {
                throw GrammarError(.invalidSchema("only local references (#/$defs/…) are supported, not '\(reference)'"), schemaPath: path)
            }
            let fragment = String(reference.dropFirst())
            let name = "ref" + String(fragment.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") ? $0 : "-" })
            if rules[name] != nil || resolving.contains(reference) { return name }
            var target = root
            for part in fragment.split(separator: "/", omittingEmptySubsequences: true) {
                let key = part.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
                var next: JSONValue?
                if case .array(let items) = target, let i = Int(key), items.indices.contains(i) { next = items[i] } else { next = target[key] }
                guard let next else { throw GrammarError(.invalidSchema("unresolved $ref '\(reference)'"), schemaPath: path) }
                target = next
            }
            resolving.insert(reference)
            defer { resolving.remove(reference) }
            return try visit(target, name: name, path: fragment)
        }

        mutating func object(_ schema: JSONValue, name: String, path: String, ruleName: String) throws(GrammarError) -> String {
            var properties: [(String, JSONValue)] = []
            if let p = schema["properties"] {
                guard case .object(let members) = p else { throw GrammarError(.invalidSchema("properties must be an object"), schemaPath: path + "/properties") }
                properties = members
            }
            var required: Set<String> = []
            if let r = schema["required"] {
                guard case .array(let names) = r else { throw GrammarError(.invalidSchema("required must be an array"), schemaPath: path + "/required") }
                for n in names {
                    guard case .string(let s) = n else { throw GrammarError(.invalidSchema("required lists strings"), schemaPath: path + "/required") }
                    required.insert(s)
                }
            }
            let additional = schema["additionalProperties"]
            if properties.isEmpty, additional == nil || additional == .bool(true) {
                return primitive("object")
            }
            let prefix = name.isEmpty ? "" : name + "-"
            var kv: [String: String] = [:]
            var requiredNames: [String] = [], optionalNames: [String] = []
            for (property, propertySchema) in properties {
                let valueRule = try visit(propertySchema, name: prefix + property, path: path + "/properties/" + property)
                kv[property] = addRule(prefix + property + "-kv", Self.literal(jsonStringLiteral(property)) + " space \":\" space " + valueRule)
                if required.contains(property) { requiredNames.append(property) } else { optionalNames.append(property) }
            }
            if let additional, additional != .bool(false) {
                let valueRule: String
                if additional == .bool(true) || additional == .object([]) {
                    valueRule = primitive("value")
                } else {
                    valueRule = try visit(additional, name: prefix + "additional-value", path: path + "/additionalProperties")
                }
                let keyRule = properties.isEmpty ? primitive("string") : addRule(prefix + "additional-k", notStrings(properties.map(\.0)))
                kv["*"] = addRule(prefix + "additional-kv", keyRule + " \":\" space " + valueRule)
                optionalNames.append("*")
            }
            if requiredNames.isEmpty && optionalNames.isEmpty { return #""{" space "}""# }

            var body = #""{" space "#
            body += requiredNames.map { kv[$0]! }.joined(separator: #" "," space "#)
            if !optionalNames.isEmpty {
                body += " ("
                if !requiredNames.isEmpty { body += #" "," space ( "# }
                // Optional properties keep their order: after choosing to start at one, each later
                // one may follow (`a-rest ::= ( "," space b-kv )? b-rest`).
                func chain(_ keys: ArraySlice<String>, firstOptional: Bool) -> String {
                    guard let k = keys.first else { return "" }
                    let comma = #"( "," space "# + kv[k]! + " )"
                    var out = firstOptional ? comma + (k == "*" ? "*" : "?") : kv[k]! + (k == "*" ? " " + comma + "*" : "")
                    if keys.count > 1 {
                        out += " " + addRule(prefix + (k == "*" ? "additional" : k) + "-rest", chain(keys.dropFirst(), firstOptional: true))
                    }
                    return out
                }
                body += optionalNames.indices.map { chain(optionalNames[$0...], firstOptional: false) }.joined(separator: " | ")
                if !requiredNames.isEmpty { body += " )" }
                body += " )?"
            }
            return body + #" space "}""#
        }

        /// A JSON string that is none of `names` (keys of additional properties).
        mutating func notStrings(_ names: [String]) -> String {
            let char = primitive("char")
            // A character trie of the names: at each node, either a child character (then more),
            // or any other character followed by anything.
            final class Node { var children: [(Character, Node)] = []; var isEnd = false }
            let top = Node()
            for n in names {
                var node = top
                for c in n {
                    if let next = node.children.first(where: { $0.0 == c })?.1 { node = next } else {
                        let next = Node(); node.children.append((c, next)); node = next
                    }
                }
                node.isEnd = true
            }
            func escaped(_ c: Character) -> String {
                switch c {
                case "\"", "\\", "]", "-", "[", "^": return "\\" + String(c)
                default: return String(c)
                }
            }
            func visit(_ node: Node) -> String {
                var parts: [String] = []
                for (c, child) in node.children {
                    parts.append("[" + escaped(c) + "]" + (child.children.isEmpty ? " \(char)+" : " (" + visit(child) + ")"))
                }
                if !node.children.isEmpty {
                    parts.append("[^\"" + node.children.map { escaped($0.0) }.joined() + "] \(char)*")
                }
                return parts.joined(separator: " | ")
            }
            return #"["] ( "# + visit(top) + " )" + (top.isEnd ? "" : "?") + #" ["]"#
        }

        mutating func array(_ schema: JSONValue, name: String, sub: String, path: String, ruleName: String) throws(GrammarError) -> String {
            var tuple: [JSONValue]?
            if case .array(let items)? = schema["prefixItems"] { tuple = items }
            else if case .array(let items)? = schema["items"] { tuple = items }
            if let tuple {
                if let items = schema["items"], schema["prefixItems"] != nil, items != .bool(false) {
                    throw GrammarError(.unsupportedKeyword("items after prefixItems (only items: false)"), schemaPath: path + "/items")
                }
                var parts: [String] = []
                for (i, item) in tuple.enumerated() {
                    parts.append(try visit(item, name: sub + "tuple-\(i)", path: path + "/prefixItems/\(i)"))
                }
                return addRule(ruleName, #""[" space "# + parts.joined(separator: #" "," space "#) + #" space "]""#)
            }
            let minItems = try count(schema["minItems"], path: path + "/minItems") ?? 0
            let maxItems = try count(schema["maxItems"], path: path + "/maxItems")
            let items = schema["items"]
            if items == nil || items == .bool(true) || items == .object([]), minItems == 0, maxItems == nil {
                return primitive("array", as: ruleName == "root" ? "root" : "array")
            }
            let itemRule = try visit(items ?? .bool(true), name: sub + "item", path: path + "/items")
            return addRule(ruleName, #""[" space "# + Self.repetition(itemRule, min: minItems, max: maxItems, separator: #""," space"#) + #" space "]""#)
        }

        mutating func string(_ schema: JSONValue, path: String, ruleName: String) throws(GrammarError) -> String {
            if let format = schema["format"] {
                guard case .string(let f) = format else { throw GrammarError(.invalidSchema("format must be a string"), schemaPath: path + "/format") }
                switch f {
                case "uuid": return primitive("uuid", as: ruleName == "root" ? "root" : "uuid")
                case "date", "time", "date-time": return addRule(ruleName, primitive(f + "-string"))
                default: throw GrammarError(.unsupportedKeyword("format \"\(f)\" (supported: date, time, date-time, uuid)"), schemaPath: path + "/format")
                }
            }
            let minLength = try count(schema["minLength"], path: path + "/minLength") ?? 0
            let maxLength = try count(schema["maxLength"], path: path + "/maxLength")
            if minLength > 0 || maxLength != nil {
                let char = primitive("char")
                return addRule(ruleName, #""\"" "# + Self.repetition(char, min: minLength, max: maxLength, separator: nil) + #" "\"""#)
            }
            return primitive("string", as: ruleName == "root" ? "root" : "string")
        }

        /// `item` between `min` and `max` times (nil: no limit), with `separator` between two.
        static func repetition(_ item: String, min: Int, max: Int?, separator: String?) -> String {
            if max == 0 { return "" }
            if min == 0, max == 1 { return item + "?" }
            guard let separator else {
                if max == nil { if min == 1 { return item + "+" }; if min == 0 { return item + "*" } }
                return item + "{\(min)," + (max.map(String.init) ?? "") + "}"
            }
            let rest = repetition("(" + separator + " " + item + ")", min: Swift.max(min - 1, 0), max: max.map { $0 - 1 }, separator: nil)
            let body = item + (rest.isEmpty ? "" : " " + rest)
            return min == 0 ? "(" + body + ")?" : body
        }
    }
}
