import Foundation
import Decoding
import Kernels
import Synchronization
import Tokenizers
import Transformer

/// A request waiting for, or being served by, a slot.
final class Job: Sendable {
    let request: GenerationRequest
    let cancellation: CancellationFlag
    private let continuation: AsyncStream<GenerationEvent>.Continuation

    init(request: GenerationRequest, cancellation: CancellationFlag, continuation: AsyncStream<GenerationEvent>.Continuation) {
        self.request = request
        self.cancellation = cancellation
        self.continuation = continuation
    }

    func send(_ event: GenerationEvent) { continuation.yield(event) }
    func close() { continuation.finish() }
}

/// Counters the engine keeps for `/metrics`.
public struct EngineStatistics: Sendable {
    public var requestsServed = 0
    public var promptTokens = 0
    /// Prompt tokens taken from a slot's cache instead of being evaluated.
    public var cachedPromptTokens = 0
    public var generatedTokens = 0
    public var promptSeconds: Double = 0
    /// Wall time during which at least one slot was generating.
    public var generationSeconds: Double = 0
    /// Decode steps, and the slots they decoded together (batch size = tokens / steps).
    public var decodeSteps = 0
    public var decodedTokens = 0
    public var waiting = 0
    public var busySlots = 0
    public var slots = 0
}

/// Runs the model for every request: `--parallel` slots, a bounded queue, one thread.
///
/// The engine's thread loops: hand waiting requests to free slots, sample one token in every
/// generating slot, then feed all those tokens back and a chunk of each new prompt in one pass
/// (one batch when the model can: continuous batching). The model is touched only
/// by this thread; HTTP handlers talk to it through `submit` and the `AsyncStream` it returns.
public final class Engine: @unchecked Sendable {
    public let model: Model
    public let tokenizer: Tokenizer
    /// Requests that may wait for a slot; one more is refused (503).
    public let queueLimit: Int
    /// Decode generating slots together (one pass over the weights per step).
    public let batching: Bool

    private let condition = NSCondition()
    // Guarded by `condition`:
    private var waiting: [Job] = []
    private var stopping = false
    private var stats = EngineStatistics()
    private var busyCount = 0

    // Touched only by the engine's thread:
    private let slots: [Slot]
    private let batcher: BatchedDecoder?
    private var sequence: UInt64 = 0
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    /// Most tokens of one batched pass (sampled tokens and prompt chunks together): enough for a
    /// room's short prompts to be read in one pass, few enough that the slots that generate
    /// wait for them only a few steps' time.
    static let passTokens = 128

    /// Creates `parallel` slots, each with its own KV cache of `contextLength` positions.
    public init(model: Model, tokenizer: Tokenizer, parallel: Int, contextLength: Int?,
                queueLimit: Int, batching: Bool = true) throws(ModelError) {
        self.model = model
        self.tokenizer = tokenizer
        self.queueLimit = queueLimit
        self.batching = batching
        var slots: [Slot] = []
        // Only the engine's thread touches the slots, so one lazily made vocabulary serves them all.
        var vocabulary: GrammarVocabulary?
        let grammarVocabulary = {
            if let vocabulary { return vocabulary }
            let made = GrammarVocabulary(tokenizer)
            vocabulary = made
            return made
        }
        for i in 0 ..< max(1, parallel) {
            slots.append(Slot(index: i, session: try InferenceSession(model: model, contextLength: contextLength),
                              tokenizer: tokenizer, grammarVocabulary: grammarVocabulary))
        }
        self.slots = slots
        if batching, slots.count > 1, BatchedDecoder.supports(model) {
            batcher = try BatchedDecoder(model: model, maxBatch: slots.count, maxTokens: Engine.passTokens)
        } else {
            batcher = nil
        }
        stats.slots = slots.count
    }

    /// Positions each slot's KV cache holds.
    public var contextLength: Int { slots[0].session.contextLength }
    public var slotCount: Int { slots.count }

    /// Starts the engine's thread.
    public func start() {
        let thread = Thread { [self] in run() }
        thread.name = "loupe-engine"
        thread.stackSize = 8 << 20
        self.thread = thread
        thread.start()
    }

    /// Refuses new requests, lets the running ones end (clients that are still there are
    /// served to the end; `cancelAll` ends them), and waits for the thread to stop.
    public func stop(cancelRunning: Bool = false) {
        condition.lock()
        stopping = true
        let queued = waiting
        waiting.removeAll()
        condition.broadcast()
        condition.unlock()
        for job in queued {
            job.send(.failed(.shuttingDown))
            job.close()
        }
        if cancelRunning { for slot in slots { slot.job?.cancellation.cancel() } }
        if thread != nil { finished.wait() }
        thread = nil
    }

    /// Queues a request. The stream yields its text as it is generated and ends with
    /// `.finished` or `.failed`; a full queue or a stopping engine is an error now (503).
    public func submit(_ request: GenerationRequest, cancellation: CancellationFlag = CancellationFlag())
        throws(APIError) -> AsyncStream<GenerationEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: GenerationEvent.self, bufferingPolicy: .unbounded)
        // A consumer that stops listening (the client disconnected) frees the slot.
        continuation.onTermination = { termination in
            if case .cancelled = termination { cancellation.cancel() }
        }
        let job = Job(request: request, cancellation: cancellation, continuation: continuation)
        condition.lock()
        defer { condition.unlock() }
        if stopping { throw .shuttingDown }
        let free = slots.count - busyCount
        if waiting.count >= free + queueLimit { throw .busy(queue: waiting.count) }
        waiting.append(job)
        stats.waiting = waiting.count
        condition.signal()
        return stream
    }

    /// A snapshot of the counters.
    public var statistics: EngineStatistics {
        condition.lock()
        defer { condition.unlock() }
        return stats
    }

    // MARK: - The engine's thread

    private func run() {
        let clock = ContinuousClock()
        while true {
            guard let started = takeWaitingJobs() else { break }
            for (slot, job) in started {
                slot.start(job)
                record { $0.cachedPromptTokens += slot.summary(.stop).cachedTokens }
            }
            let active = slots.filter { !$0.isFree }
            let stepStart = clock.now

            // Clients that left free their slot at once.
            for slot in active where slot.job!.cancellation.isCancelled {
                finish(slot) { $0.abandon(sequence: $1) }
            }
            // Sampling: one token in every slot whose logits are ready.
            var decoding: [Slot] = []
            for slot in active where !slot.isFree {
                if let reason = slot.sampleStep() {
                    finish(slot) { $0.finish(reason, sequence: $1) }
                    continue
                }
                if let event = slot.takeEvent() { slot.job!.send(event) }
                if slot.nextToken != nil { decoding.append(slot) }
            }
            // One pass: every sampled token fed back and a chunk of each prompt, together.
            let prefilling = active.filter { !$0.isFree && $0.isPrefilling }
            if !decoding.isEmpty || !prefilling.isEmpty { evaluate(decoding, prefilling) }
            if !decoding.isEmpty {
                let seconds = (clock.now - stepStart).seconds
                record {
                    $0.generatedTokens += decoding.count
                    $0.decodeSteps += 1
                    $0.decodedTokens += decoding.count
                    $0.generationSeconds += seconds
                }
            }
        }
        finished.signal()
    }

    /// Feeds each decoding slot its sampled token and each prefilling slot a chunk of its prompt:
    /// one batched pass when batching is on and the model can (every token multiplied as it is
    /// alone, so each answer is the one its request gets alone), the prompts' chunks cut so that
    /// the pass holds at most `maxTokens` tokens; else each prompt chunk, then the decoding
    /// slots, on their own.
    private func evaluate(_ decoding: [Slot], _ prefilling: [Slot]) {
        if let batcher, decoding.count + prefilling.count > 1 {
            var budget = batcher.maxTokens - decoding.count
            var chunks: [(Slot, ArraySlice<Int>)] = []
            for slot in prefilling where budget > 0 {
                let chunk = slot.nextPromptChunk.prefix(budget)
                chunks.append((slot, chunk))
                budget -= chunk.count
            }
            let sessions = decoding.map(\.session) + chunks.map(\.0.session)
            let runs = decoding.map { [$0.nextToken!][...] } + chunks.map(\.1)
            let clock = ContinuousClock(), start = clock.now
            if let all = batcher.evaluate(sessions, runs: runs) {
                let elapsed = clock.now - start
                for (slot, logits) in zip(decoding, all) { slot.didDecode(logits, seconds: elapsed) }
                for ((slot, chunk), logits) in zip(chunks, all.dropFirst(decoding.count)) {
                    slot.didPrefill(chunk.count, logits: logits, seconds: elapsed)
                }
                return
            }
        }
        for slot in prefilling {
            do throws(ModelError) {
                try slot.prefillStep()
            } catch {
                finish(slot) { $0.fail(Engine.apiError(error), sequence: $1) }
            }
        }
        if !decoding.isEmpty { decode(decoding) }
    }

    /// Feeds each slot's sampled token at its next position: one batched pass when batching is
    /// on and several slots decode, else one evaluation per slot.
    private func decode(_ decoding: [Slot]) {
        let clock = ContinuousClock()
        let start = clock.now
        if decoding.count > 1, let batcher,
           let all = batcher.decode(decoding.map(\.session), tokens: decoding.map { $0.nextToken! }) {
            let elapsed = clock.now - start
            for (slot, logits) in zip(decoding, all) { slot.didDecode(logits, seconds: elapsed) }
            return
        }
        decodeOneByOne(decoding)
    }

    /// One evaluation per slot.
    private func decodeOneByOne(_ decoding: [Slot]) {
        let clock = ContinuousClock()
        for slot in decoding {
            let t0 = clock.now
            do throws(ModelError) {
                let logits = try slot.session.evaluate([slot.nextToken!])
                slot.didDecode(logits, seconds: clock.now - t0)
            } catch {
                finish(slot) { $0.fail(Engine.apiError(error), sequence: $1) }
            }
        }
    }

    /// Waits until there is work; hands waiting requests to free slots (the free slot whose
    /// cache shares the longest prefix with the prompt, else the least recently used).
    /// Nil when the engine stops and no slot is busy.
    private func takeWaitingJobs() -> [(Slot, Job)]? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            // Withdrawn requests leave the queue.
            let gone = waiting.filter { $0.cancellation.isCancelled }
            if !gone.isEmpty {
                waiting.removeAll { $0.cancellation.isCancelled }
                for job in gone { job.close() }
            }
            var started: [(Slot, Job)] = []
            while !waiting.isEmpty {
                let free = slots.filter(\.isFree).filter { slot in !started.contains { $0.0 === slot } }
                guard !free.isEmpty else { break }
                let job = waiting.removeFirst()
                let best = free.max { a, b in
                    let (la, lb) = (a.reusableLength(job.request.prompt), b.reusableLength(job.request.prompt))
                    return la != lb ? la < lb : a.lastUsed > b.lastUsed
                }!
                started.append((best, job))
            }
            busyCount = slots.count(where: { !$0.isFree }) + started.count
            stats.waiting = waiting.count
            stats.busySlots = busyCount
            if busyCount > 0 { return started }
            if stopping { return nil }
            condition.wait()
        }
    }

    /// Runs `end` on a slot (finish, fail or abandon) and counts it.
    private func finish(_ slot: Slot, _ end: (Slot, UInt64) -> Void) {
        guard !slot.isFree else { return }
        sequence += 1
        let summary = slot.summary(.stop)
        // Counted before the client hears the end, so that /metrics never lags behind.
        record {
            $0.requestsServed += 1
            $0.promptTokens += summary.promptTokens
            $0.promptSeconds += summary.promptSeconds
            $0.busySlots = max(0, $0.busySlots - 1)
        }
        condition.lock()
        busyCount = max(0, busyCount - 1)
        condition.unlock()
        end(slot, sequence)
    }

    private func record(_ change: (inout EngineStatistics) -> Void) {
        condition.lock()
        change(&stats)
        condition.unlock()
    }

    /// A model error as the client sees it (it should not happen: prompts are checked first).
    static func apiError(_ error: ModelError) -> APIError {
        if case .contextFull = error.kind {
            return .invalid(error.message, param: nil, code: "context_length_exceeded")
        }
        return .server(error.message)
    }
}
