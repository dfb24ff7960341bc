/// One position in a compiled rule: match a character from a set, expand another rule, or
/// the end of an alternative.
struct GrammarElement: Sendable {
    enum Kind: UInt8, Sendable { case end, characters, rule }
    var kind: Kind
    /// Index into `CompiledGrammar.sets` or `.alternatives`.
    var value: Int32
}

/// The grammar as the matcher walks it (llama.cpp's `llama_grammar_rules`, in one flat array):
/// every alternative of every rule is a run of elements ended by `.end`, and a position in the
/// grammar is an index into `elements`. Groups and repetitions became rules of their own:
///
///     x{2,4}  →  x x R2      R2 ::= x R1 |      R1 ::= x |
///     x*      →  R           R  ::= x R |
struct CompiledGrammar: Sendable {
    var elements: [GrammarElement] = []
    /// For each rule, the index in `elements` where each alternative starts.
    var alternatives: [[Int32]] = []
    var sets: [CodePointSet] = []
    /// Rule names, for messages (generated rules are named `parent-3`).
    var names: [String] = []
    var root: Int = 0

    init(_ rules: [GBNFRule]) throws(GrammarError) {
        var ids: [String: Int] = [:]
        var bodies: [[GBNFExpression]] = []
        for rule in rules {
            if let id = ids[rule.name] {
                bodies[id].append(rule.body)
            } else {
                ids[rule.name] = names.count
                names.append(rule.name)
                bodies.append([rule.body])
            }
        }
        guard let root = ids["root"] else { throw GrammarError(.missingRoot) }
        self.root = root
        alternatives = Array(repeating: [], count: names.count)
        var builder = Builder(ids: ids)
        var compiled: [[[GrammarElement]]] = Array(repeating: [], count: names.count)
        for (id, parts) in bodies.enumerated() {
            for body in parts {
                compiled[id] += try builder.alternatives(of: body, in: names[id])
            }
        }
        // Rules generated for groups and repetitions follow the named ones.
        compiled += builder.generated.map(\.alternatives)
        names += builder.generated.map(\.name)
        sets = builder.sets
        alternatives = Array(repeating: [], count: compiled.count)
        for (id, alts) in compiled.enumerated() {
            for alt in alts {
                alternatives[id].append(Int32(elements.count))
                elements += alt
                elements.append(GrammarElement(kind: .end, value: 0))
            }
        }
        try checkLeftRecursion()
    }

    /// Turns expressions into element lists, creating rules for nested groups and repetitions.
    private struct Builder {
        let ids: [String: Int]
        var sets: [CodePointSet] = []
        var setIndex: [CodePointSet: Int32] = [:]
        var generated: [(name: String, alternatives: [[GrammarElement]])] = []

        init(ids: [String: Int]) { self.ids = ids }

        mutating func alternatives(of e: GBNFExpression, in rule: String) throws(GrammarError) -> [[GrammarElement]] {
            if case .choice(let options) = e {
                var out: [[GrammarElement]] = []
                for option in options { out.append(try sequence(option, in: rule)) }
                return out
            }
            return [try sequence(e, in: rule)]
        }

        mutating func sequence(_ e: GBNFExpression, in rule: String) throws(GrammarError) -> [GrammarElement] {
            switch e {
            case .sequence(let items):
                var out: [GrammarElement] = []
                for item in items { out += try sequence(item, in: rule) }
                return out
            case .repeated(let item, let min, let max):
                let one = try single(item, in: rule)
                var out = Array(repeating: one, count: min)
                if let max {
                    // n − m optional copies, nested so that a later one needs the earlier ones.
                    var previous: Int32?
                    for _ in 0 ..< (max - min) {
                        var first = [one]
                        if let previous { first.append(GrammarElement(kind: .rule, value: previous)) }
                        previous = newRule(in: rule, [first, []])
                    }
                    if let previous { out.append(GrammarElement(kind: .rule, value: previous)) }
                } else {
                    let id = Int32(ids.count + generated.count)
                    _ = newRule(in: rule, [[one, GrammarElement(kind: .rule, value: id)], []])
                    out.append(GrammarElement(kind: .rule, value: id))
                }
                return out
            default:
                return [try single(e, in: rule)]
            }
        }

        /// One element for `e`: a character set, a rule reference, or a new rule.
        mutating func single(_ e: GBNFExpression, in rule: String) throws(GrammarError) -> GrammarElement {
            switch e {
            case .characters(let set):
                if let index = setIndex[set] { return GrammarElement(kind: .characters, value: index) }
                let index = Int32(sets.count)
                sets.append(set)
                setIndex[set] = index
                return GrammarElement(kind: .characters, value: index)
            case .reference(let name, let line, let column):
                guard let id = ids[name] else { throw GrammarError(.undefinedRule(name), line: line, column: column) }
                return GrammarElement(kind: .rule, value: Int32(id))
            case .sequence(let items) where items.count == 1:
                return try single(items[0], in: rule)
            default:
                let alts = try alternatives(of: e, in: rule)
                return GrammarElement(kind: .rule, value: newRule(in: rule, alts))
            }
        }

        mutating func newRule(in rule: String, _ alternatives: [[GrammarElement]]) -> Int32 {
            let id = Int32(ids.count + generated.count)
            generated.append((name: "\(rule)-\(generated.count + 1)", alternatives: alternatives))
            return id
        }
    }

    // MARK: - Left recursion

    /// Refuses rules that reach themselves through a chain of leftmost references that match
    /// nothing first (`expr ::= expr "+" term`, or through a rule that may be empty).
    private func checkLeftRecursion() throws(GrammarError) {
        // Which rules can match the empty string (a fixed point).
        var nullable = Array(repeating: false, count: alternatives.count)
        var changed = true
        while changed {
            changed = false
            for r in alternatives.indices where !nullable[r] {
                if alternatives[r].contains(where: { start in isNullable(from: Int(start), nullable) }) {
                    nullable[r] = true
                    changed = true
                }
            }
        }
        // Edges r → s when s can be the first thing r expands; a cycle is left recursion.
        var state = Array(repeating: UInt8(0), count: alternatives.count)   // 0 new, 1 on path, 2 done
        func visit(_ r: Int) -> Int? {
            if state[r] == 1 { return r }
            if state[r] == 2 { return nil }
            state[r] = 1
            for start in alternatives[r] {
                var i = Int(start)
                while elements[i].kind == .rule {
                    let s = Int(elements[i].value)
                    if let cycle = visit(s) { return cycle }
                    guard nullable[s] else { break }
                    i += 1
                }
            }
            state[r] = 2
            return nil
        }
        for r in alternatives.indices {
            if let cycle = visit(r) {
                throw GrammarError(.leftRecursion(Self.userName(names[cycle])))
            }
        }
    }

    private func isNullable(from start: Int, _ nullable: [Bool]) -> Bool {
        var i = start
        while true {
            switch elements[i].kind {
            case .end: return true
            case .characters: return false
            case .rule: if !nullable[Int(elements[i].value)] { return false }
            }
            i += 1
        }
    }

    /// `expr-3` → `expr` (a generated rule is reported by the rule it was written in).
    static func userName(_ name: String) -> String {
        guard let dash = name.lastIndex(of: "-"), name[name.index(after: dash)...].allSatisfy(\.isNumber) else { return name }
        return String(name[..<dash])
    }
}

extension CodePointSet: Hashable {
    public func hash(into hasher: inout Hasher) {
        hasher.combine(negated)
        for r in ranges { hasher.combine(r.lowerBound); hasher.combine(r.upperBound) }
    }
}
