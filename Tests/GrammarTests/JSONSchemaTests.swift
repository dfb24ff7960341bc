import Foundation
import Grammar
import Testing

/// JSON Schema → grammar: llama.cpp's output shapes, errors for what is not supported.
@Suite struct JSONSchemaTests {
    func grammar(_ schema: String) throws -> Grammar { try Grammar(jsonSchema: Data(schema.utf8)) }

    @Test func requiredThenOptionalInPropertiesOrder() throws {
        let g = try grammar(#"{"type":"object","properties":{"b":{"type":"integer"},"a":{"type":"string"},"c":{"type":"boolean"}},"required":["c"]}"#)
        #expect(g.gbnf.contains(#"root ::= "{" space c-kv ( "," space ( b-kv b-rest | a-kv ) )? space "}""#), "\(g.gbnf)")
        #expect(g.accepts(#"{"c": true, "b": 1, "a": "x"}"#))
        #expect(g.accepts(#"{"c":false,"a":"x"}"#))
        #expect(!g.accepts(#"{"c": true, "a": "x", "b": 1}"#))   // optional ones keep their order
        #expect(!g.accepts(#"{"b": 1}"#))
    }

    @Test("a schema inside a request body: found by its path, its properties in their written order")
    func schemaInsideADocument() throws {
        let body = #"{"model": "m", "response_format": {"type": "json_schema", "json_schema": {"schema": {"type": "object", "properties": {"z": {"type": "integer"}, "a": {"type": "boolean"}}, "required": ["z", "a"]}}}}"#
        let g = try Grammar(jsonSchemaIn: Data(body.utf8), at: ["response_format", "json_schema", "schema"])
        #expect(g.accepts(#"{"z": 1, "a": true}"#))
        #expect(!g.accepts(#"{"a": true, "z": 1}"#))
        #expect(throws: GrammarError.self) { try Grammar(jsonSchemaIn: Data(body.utf8), at: ["response_format", "schema"]) }
    }

    @Test func integerBounds() throws {
        for (lo, hi) in [(0, 9), (-5, 123), (10, 1000), (-300, -20), (7, 7), (1900, 2030)] {
            let g = try grammar(#"{"type":"integer","minimum":\#(lo),"maximum":\#(hi)}"#)
            for n in (lo - 30) ... (hi + 30) {
                #expect(g.accepts(String(n)) == (lo ... hi).contains(n), "\(n) in \(lo)...\(hi)")
            }
            #expect(!g.accepts("0\(abs(hi))") || hi == 0)
        }
        let atLeast = try grammar(#"{"type":"integer","minimum":1900}"#)
        #expect(atLeast.accepts("1900") && atLeast.accepts("123456") && !atLeast.accepts("1899") && !atLeast.accepts("-1"))
        let atMost = try grammar(#"{"type":"integer","maximum":-3}"#)
        #expect(atMost.accepts("-3") && atMost.accepts("-4000") && !atMost.accepts("-2") && !atMost.accepts("5"))
    }

    @Test func formatsLengthsEnumsRefs() throws {
        let date = try grammar(#"{"type":"string","format":"date"}"#)
        #expect(date.accepts(#""2024-03-01""#) && !date.accepts(#""2024-13-01""#))
        let dt = try grammar(#"{"type":"string","format":"date-time"}"#)
        #expect(dt.accepts(#""2024-03-01T10:30:00Z""#))
        let uuid = try grammar(#"{"type":"string","format":"uuid"}"#)
        #expect(uuid.accepts(#""123e4567-e89b-12d3-a456-426614174000""#))
        let short = try grammar(#"{"type":"string","minLength":2,"maxLength":3}"#)
        #expect(short.accepts(#""ab""#) && short.accepts(#""a\nb""#) && !short.accepts(#""a""#) && !short.accepts(#""abcd""#))
        let e = try grammar(#"{"enum":["a",1,null,{"x":[true]}]}"#)
        #expect(e.accepts(#""a""#) && e.accepts("1") && e.accepts("null") && e.accepts(#"{"x":[true]}"#) && !e.accepts("2"))
        let types = try grammar(#"{"type":["integer","null"]}"#)
        #expect(types.accepts("12") && types.accepts("null") && !types.accepts("\"x\""))
        let refs = try grammar(##"{"$defs":{"n":{"type":"object","properties":{"k":{"type":"array","items":{"$ref":"#/$defs/n"}}}}},"$ref":"#/$defs/n"}"##)
        #expect(refs.accepts(#"{"k": [{"k": []}, {}]}"#))
        let tuple = try grammar(#"{"type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"items":false}"#)
        #expect(tuple.accepts(#"["a", 1.5]"#) && !tuple.accepts(#"["a"]"#))
        let items = try grammar(#"{"type":"array","items":{"type":"boolean"},"minItems":1,"maxItems":2}"#)
        #expect(items.accepts("[true]") && items.accepts("[true, false]") && !items.accepts("[]") && !items.accepts("[true,true,true]"))
        let extra = try grammar(#"{"type":"object","properties":{"id":{"type":"integer"}},"additionalProperties":{"type":"string"}}"#)
        #expect(extra.accepts(#"{"id": 1, "x": "y"}"#) && !extra.accepts(#"{"id": 1, "id": "y"}"#))
    }

    @Test func anyJSON() {
        let g = Grammar.anyJSON
        #expect(g.accepts(#"{"a": [1, -2.5e3, "é\u00e9", null, true, {"b": {}}]}"#))
        #expect(!g.accepts("[1]") && !g.accepts(#"{"a": }"#) && !g.accepts(#"{"a": 01}"#))
    }

    @Test(arguments: [
        (#"{"type":"object","properties":{"email":{"type":"string","pattern":"^.+@.+$"}}}"#, "/properties/email/pattern", "pattern"),
        (#"{"type":"string","format":"email"}"#, "/format", "format \"email\""),
        (##"{"type":"object","properties":{"a":{"$ref":"#/$defs/missing"}}}"##, "/properties/a/$ref", "unresolved $ref"),
        (#"{"type":"array","uniqueItems":true}"#, "/uniqueItems", "uniqueItems"),
        (#"{"type":"number","minimum":0}"#, "/minimum", "minimum with type number"),
        (#"{"allOf":[{"type":"string"}]}"#, "/allOf", "allOf"),
        (#"{"type":"strin"}"#, "/type", "unknown type"),
        (#"{"type":"object",}"#, "", "not valid JSON"),
    ])
    func schemaErrorsNameKeywordAndPath(_ schema: String, _ path: String, _ message: String) {
        do {
            _ = try Grammar(jsonSchema: Data(schema.utf8))
            Issue.record("no error for \(schema)")
        } catch {
            #expect(error.schemaPath == path, "\(error)")
            #expect(error.description.contains(message), "\(error)")
        }
    }
}

/// The schema files of `Fixtures/invalid` are refused with the keyword or reference named.
@Suite struct InvalidSchemaFileTests {
    @Test(arguments: [("pattern.json", "/properties/email/pattern"), ("format-email.json", "/format"),
                      ("unresolved-ref.json", "/properties/a/$ref")])
    func refused(_ name: String, _ path: String) throws {
        let url = GrammarTestSupport.fixtures.appendingPathComponent("invalid").appendingPathComponent(name)
        do {
            _ = try Grammar(jsonSchema: try Data(contentsOf: url))
            Issue.record("no error for \(name)")
        } catch let error as GrammarError {
            #expect(error.schemaPath == path, "\(error)")
        }
    }
}
