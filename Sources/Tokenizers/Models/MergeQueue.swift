/// A binary min-heap: the candidate merges of one word, best first.
///
/// llama.cpp keeps candidate merges in a `std::priority_queue`; entries that went stale
/// (a neighbour already merged) stay in the queue and are skipped when popped.
struct MergeQueue<Element: MergeCandidate> {
    private(set) var items: [Element] = []

    var isEmpty: Bool { items.isEmpty }

    mutating func removeAll() { items.removeAll(keepingCapacity: true) }

    mutating func push(_ element: Element) {
        items.append(element)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].comesBefore(items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Element? {
        guard let last = items.popLast() else { return nil }
        guard !items.isEmpty else { return last }
        let top = items[0]
        items[0] = last
        var parent = 0
        let count = items.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { break }
            var best = left
            if left + 1 < count && items[left + 1].comesBefore(items[left]) { best = left + 1 }
            guard items[best].comesBefore(items[parent]) else { break }
            items.swapAt(best, parent)
            parent = best
        }
        return top
    }
}

/// An entry of a `MergeQueue`: a strict order in which equal entries never both stay valid.
protocol MergeCandidate {
    func comesBefore(_ other: Self) -> Bool
}
