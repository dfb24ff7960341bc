/// The matcher's memory: pushdown stacks stored once each, and the states and byte transitions
/// seen so far, so that the same question is never worked out twice.
///
/// A stack (llama.cpp's `llama_grammar_stack`) is a list of positions in the compiled grammar;
/// its top is the next character element to match, the positions below it are where to go on
/// once the rule above ends. Stacks share their bottoms, so they are stored as linked nodes,
/// each `(position, parent)` pair once: a stack is the id of its top node, −1 is the empty stack
/// (the root rule is complete: the text may end there).
///
/// A state is the set of stacks alive after some text (several, because the grammar is ambiguous
/// until more text is read) plus the first bytes of a UTF-8 character a token left unfinished.
/// States get ids too, and `next(state, byte)` is remembered: the pushdown automaton turns into a
/// finite one lazily, for the states the text actually visits. Walking a 49 152-token vocabulary
/// is then mostly table lookups.
final class StatePool {
    let grammar: CompiledGrammar

    // Stacks as linked nodes.
    private var nodePosition: [Int32] = []
    private var nodeParent: [Int32] = []
    private var nodeIndex: [Int64: Int32] = [:]
    /// A stack whose top is a rule → the stacks with a character on top it expands to.
    private var expansions: [Int32: [Int32]] = [:]

    // States and transitions.
    struct Key: Hashable {
        /// Sorted stack ids.
        var stacks: [Int32]
        var partialValue: UInt32
        /// Continuation bytes still expected (0: between characters).
        var partialRemaining: UInt8
        /// Length in bytes of the character being read (2 to 4), 0 between characters.
        var partialLength: UInt8 = 0
    }
    private(set) var keys: [Key] = []
    private var keyIndex: [Key: Int32] = [:]
    /// (state << 8 | byte) → next state, −1 when the byte cannot come next.
    private var transitions: [Int64: Int32] = [:]

    /// The state before any text.
    private(set) var initial: Int32 = 0
    static let dead: Int32 = -1

    init(_ grammar: CompiledGrammar) {
        self.grammar = grammar
        var stacks: [Int32] = []
        for start in grammar.alternatives[grammar.root] {
            let s = grammar.elements[Int(start)].kind == .end ? -1 : push(start, on: -1)
            expand(s, into: &stacks)
        }
        initial = intern(Key(stacks: stacks.sorted(), partialValue: 0, partialRemaining: 0))
    }

    // MARK: - Stacks

    private func push(_ position: Int32, on parent: Int32) -> Int32 {
        let key = Int64(position) << 32 | Int64(UInt32(bitPattern: parent))
        if let id = nodeIndex[key] { return id }
        let id = Int32(nodePosition.count)
        nodePosition.append(position)
        nodeParent.append(parent)
        nodeIndex[key] = id
        return id
    }

    /// Adds to `out` the stacks with a character (or nothing) on top that `stack` stands for.
    private func expand(_ stack: Int32, into out: inout [Int32]) {
        if stack < 0 || grammar.elements[Int(nodePosition[Int(stack)])].kind == .characters {
            if !out.contains(stack) { out.append(stack) }
            return
        }
        if let known = expansions[stack] {
            for s in known where !out.contains(s) { out.append(s) }
            return
        }
        // The top is a rule: replace it by each of its alternatives, above where to continue.
        let position = nodePosition[Int(stack)]
        var base = nodeParent[Int(stack)]
        if grammar.elements[Int(position) + 1].kind != .end { base = push(position + 1, on: base) }
        var result: [Int32] = []
        for start in grammar.alternatives[Int(grammar.elements[Int(position)].value)] {
            let s = grammar.elements[Int(start)].kind == .end ? base : push(start, on: base)
            expand(s, into: &result)
        }
        expansions[stack] = result
        for s in result where !out.contains(s) { out.append(s) }
    }

    /// The stacks after matching code point `c`.
    private func advance(_ stacks: [Int32], by c: UInt32) -> [Int32] {
        var out: [Int32] = []
        for stack in stacks where stack >= 0 {
            let position = nodePosition[Int(stack)]
            guard grammar.sets[Int(grammar.elements[Int(position)].value)].contains(c) else { continue }
            var s = nodeParent[Int(stack)]
            if grammar.elements[Int(position) + 1].kind != .end { s = push(position + 1, on: s) }
            expand(s, into: &out)
        }
        return out
    }

    // MARK: - States

    private func intern(_ key: Key) -> Int32 {
        if let id = keyIndex[key] { return id }
        let id = Int32(keys.count)
        keys.append(key)
        keyIndex[key] = id
        return id
    }

    /// The state after `byte` (UTF-8 text), or `dead`.
    func next(_ state: Int32, _ byte: UInt8) -> Int32 {
        let t = Int64(state) << 8 | Int64(byte)
        if let known = transitions[t] { return known }
        let result = compute(keys[Int(state)], byte)
        transitions[t] = result
        return result
    }

    private func compute(_ key: Key, _ byte: UInt8) -> Int32 {
        var k = key
        if k.partialRemaining == 0 {
            if byte < 0x80 { return finish(advance(k.stacks, by: UInt32(byte))) }
            let length = byte >> 5 == 0b110 ? 2 : byte >> 4 == 0b1110 ? 3 : byte >> 3 == 0b11110 ? 4 : 0
            guard length > 0 else { return Self.dead }
            k.partialValue = UInt32(byte) & (0xFF >> (length + 1))
            k.partialRemaining = UInt8(length - 1)
            k.partialLength = UInt8(length)
        } else {
            guard byte & 0xC0 == 0x80 else { return Self.dead }
            k.partialValue = k.partialValue << 6 | UInt32(byte & 0x3F)
            k.partialRemaining -= 1
            if k.partialRemaining == 0 {
                // An overlong encoding (C1 AF for "o") or a value past U+10FFFF is not a character.
                guard Self.validRange(k.partialLength).contains(k.partialValue) else { return Self.dead }
                return finish(advance(k.stacks, by: k.partialValue))
            }
        }
        // Inside a character: keep the stacks that accept some character starting this way
        // (among the code points a sequence of this length may encode).
        let shift = UInt32(6 * k.partialRemaining)
        let valid = Self.validRange(k.partialLength)
        let lo = max(k.partialValue << shift, valid.lowerBound), hi = min((k.partialValue << shift) | ((1 << shift) - 1), valid.upperBound)
        guard lo <= hi else { return Self.dead }
        k.stacks.removeAll { stack in
            stack < 0 || !grammar.sets[Int(grammar.elements[Int(nodePosition[Int(stack)])].value)].overlaps(lo, hi)
        }
        return k.stacks.isEmpty ? Self.dead : intern(k)
    }

    /// The code points a UTF-8 sequence of `length` bytes encodes.
    static func validRange(_ length: UInt8) -> ClosedRange<UInt32> {
        switch length {
        case 2: return 0x80 ... 0x7FF
        case 3: return 0x800 ... 0xFFFF
        default: return 0x10000 ... 0x10FFFF
        }
    }

    private func finish(_ stacks: [Int32]) -> Int32 {
        stacks.isEmpty ? Self.dead : intern(Key(stacks: stacks.sorted(), partialValue: 0, partialRemaining: 0))
    }

    /// Whether the text may end in `state`: an empty stack, no character half read.
    func canEnd(_ state: Int32) -> Bool {
        let k = keys[Int(state)]
        return k.partialRemaining == 0 && k.stacks.contains(-1)
    }

    /// Whether only the end may follow.
    func mustEnd(_ state: Int32) -> Bool {
        let k = keys[Int(state)]
        return k.partialRemaining == 0 && k.stacks.allSatisfy { $0 < 0 }
    }

    /// Memory in use, for a long generation: states and transitions remembered.
    var sizes: (nodes: Int, states: Int, transitions: Int) { (nodePosition.count, keys.count, transitions.count) }

    /// Forgets the remembered states and transitions (not the stacks), keeping `state`'s meaning:
    /// returns its new id.
    func forgetStates(keeping state: Int32) -> Int32 {
        let key = keys[Int(state)]
        let start = keys[Int(initial)]
        keys.removeAll(keepingCapacity: true)
        keyIndex.removeAll(keepingCapacity: true)
        transitions.removeAll(keepingCapacity: true)
        initial = intern(start)
        return intern(key)
    }
}
