/// A 4-ary min-heap: the candidate merges of one word, best first.
///
/// llama.cpp keeps candidate merges in a `std::priority_queue`; entries that went stale
/// (a neighbour already merged) stay in the queue and are skipped when popped. Four children
/// per node instead of two halves the depth, and the four (16-byte) children share one cache
/// line, which matters for the one-word-of-10-MB inputs where the heap outgrows the caches.
struct MergeQueue<Element: MergeCandidate> {
    private(set) var items: [Element] = []

    var isEmpty: Bool { items.isEmpty }

    mutating func removeAll() { items.removeAll(keepingCapacity: true) }

    mutating func push(_ element: Element) {
        items.append(element)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 4
            guard element.comesBefore(items[parent]) else { break }
            items[child] = items[parent]
            child = parent
        }
        items[child] = element
    }

    mutating func pop() -> Element? {
        guard let last = items.popLast() else { return nil }
        guard !items.isEmpty else { return last }
        let top = items[0]
        let count = items.count
        var parent = 0
        while true {
            let first = 4 * parent + 1
            guard first < count else { break }
            var best = first
            for child in first + 1 ..< min(first + 4, count) where items[child].comesBefore(items[best]) {
                best = child
            }
            guard items[best].comesBefore(last) else { break }
            items[parent] = items[best]
            parent = best
        }
        items[parent] = last
        return top
    }
}

/// An entry of a `MergeQueue`: a strict order in which equal entries never both stay valid.
protocol MergeCandidate {
    func comesBefore(_ other: Self) -> Bool
}
