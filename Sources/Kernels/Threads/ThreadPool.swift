import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fixed set of long-lived worker threads that run the chunks of one parallel loop at a time.
///
/// Why not a new thread (or a `Task`) per matrix product: a decode step runs a few hundred small
/// products of 0.01–1 ms each. Starting threads costs tens of microseconds each time; these
/// workers stay alive and *spin* for a short while after each loop, so the next loop starts in
/// well under a microsecond. After about 0.2 ms without work they sleep on a condition
/// variable, so an idle program does not burn the CPU.
///
/// The calling thread runs chunks too: a pool of `threadCount` threads has `threadCount - 1`
/// workers. Chunk indices come from a shared counter, so uneven chunks balance out.
public final class ThreadPool: Sendable {
    /// How the chunks of a loop reach other threads.
    public enum Mechanism: String, Sendable {
        /// Loupe's own long-lived workers that spin, then sleep (the default).
        case workers
        /// `DispatchQueue.concurrentPerform` on the system's thread pool, for comparison
        /// (`loupe-benchmarks kernels` measures both).
        case dispatch
    }

    /// Threads that run a loop, the caller included (≥ 1).
    public let threadCount: Int
    /// How loops are run.
    public let mechanism: Mechanism
    private let crew: Crew
    private let threads: [UInt]   // pthread_t values, joined in deinit

    /// All cores, the default thread count.
    public static var coreCount: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// A pool of `threads` threads: the caller plus `threads - 1` workers started now (with
    /// `.dispatch`, no workers: loops go to Dispatch with at most `threads` chunks in flight).
    public init(threads: Int = ThreadPool.coreCount, mechanism: Mechanism = .workers) {
        let wanted = max(1, threads)
        self.mechanism = mechanism
        let crew = Crew()
        var started: [UInt] = []
        for _ in 1..<(mechanism == .workers ? wanted : 1) {
            var thread = pthread_t()
            let box = Unmanaged.passRetained(crew).toOpaque()
            let created = pthread_create(&thread, nil, { raw in
                #if canImport(Darwin)
                let crew = Unmanaged<Crew>.fromOpaque(raw).takeRetainedValue()
                #else
                let crew = Unmanaged<Crew>.fromOpaque(raw!).takeRetainedValue()
                #endif
                crew.work()
                return nil
            }, box)
            if created == 0 {
                started.append(UInt(bitPattern: Int(bitPattern: thread)))
            } else {
                Unmanaged<Crew>.fromOpaque(box).release()
            }
        }
        self.crew = crew
        self.threads = started
        self.threadCount = mechanism == .workers ? started.count + 1 : wanted
    }

    deinit {
        crew.stop()
        for thread in threads {
            pthread_join(pthread_t(bitPattern: Int(bitPattern: thread)), nil)
        }
    }

    /// Runs `body(i)` for every `i` in `0..<count`, spread over the pool, and returns when all
    /// are done. Chunks run in no particular order and must not depend on each other. While
    /// another loop occupies the workers (another calling thread, or a call from inside a
    /// chunk), the loop runs on the calling thread alone.
    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        if count <= 0 { return }
        if count == 1 || threadCount == 1 {
            for i in 0..<count { body(i) }
            return
        }
        switch mechanism {
        case .workers: crew.run(count, body)
        case .dispatch:
            withoutActuallyEscaping(body) { body in
                // The chunks are independent by contract; Dispatch only needs to be told so.
                nonisolated(unsafe) let chunk = body
                DispatchQueue.concurrentPerform(iterations: count) { i in chunk(i) }
            }
        }
    }

    /// Splits `0..<total` into chunks of at least `minimum` items (about 4 per thread, so a
    /// thread that is interrupted does not hold up the rest) and runs `body(range)` on each.
    /// A loop smaller than two minimum chunks runs on the caller alone: waking workers would
    /// cost more than it saves.
    public func parallelRanges(_ total: Int, minimumChunk minimum: Int, _ body: (Range<Int>) -> Void) {
        if total <= 0 { return }
        let wanted = (total + threadCount * 4 - 1) / (threadCount * 4)
        let size = max(max(1, minimum), wanted)
        let chunks = (total + size - 1) / size
        parallelFor(chunks) { c in body(c * size..<min(total, (c + 1) * size)) }
    }
}

/// The state the caller and the workers share.
///
/// A loop is *open* while `generation` is odd. The caller waits for its chunks to be done, not
/// for every worker to show up: a worker the OS has descheduled (a busy laptop) simply misses
/// the loop, and the caller or the other workers run its share. `active` counts workers
/// inside a loop, so that the caller can close it and forget `job` safely.
private final class Crew: @unchecked Sendable {
    /// The loop being run: chunk indices `0..<jobCount`, handed out by `nextChunk`. Written only
    /// by the caller while the loop is closed and no worker is active.
    private var job: ((Int) -> Void)?
    private var jobCount = 0
    private let nextChunk = Atomic<Int>(0)
    /// Chunks of the current loop that have finished.
    private let completed = Atomic<Int>(0)
    /// Odd while a loop is open, even while closed; +1 at each opening and closing.
    private let generation = Atomic<Int>(0)
    /// Workers between "I joined loop g" and "I left it".
    private let active = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let wakeUp: UnsafeMutablePointer<pthread_cond_t>
    /// One loop on the workers at a time.
    private let callerLock = Mutex<Void>(())

    /// How long an idle worker spins before sleeping. Long enough to bridge the gap between two
    /// operations of a forward pass, short enough not to matter when the program is idle.
    private static let spinNanoseconds: UInt64 = 200_000

    init() {
        mutex = .allocate(capacity: 1)
        wakeUp = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wakeUp, nil)
    }

    deinit {
        pthread_cond_destroy(wakeUp)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        wakeUp.deallocate()
    }

    /// Runs a loop on the workers, or — when another loop is already running (a second calling
    /// thread, or a loop started from inside a chunk) — on the calling thread alone, so that
    /// nothing ever waits for a loop that waits for it.
    func run(_ count: Int, _ body: (Int) -> Void) {
        let ran: Bool? = callerLock.withLockIfAvailable { _ in
            withoutActuallyEscaping(body) { body in
                job = body
                jobCount = count
                nextChunk.store(0, ordering: .relaxed)
                completed.store(0, ordering: .relaxed)
                generation.add(1, ordering: .sequentiallyConsistent)   // open (odd)
                wakeSleepers()
                runChunks(body, count: count)
                var spins = 1
                while completed.load(ordering: .acquiring) < count {
                    pause(spins)
                    spins += 1
                }
                generation.add(1, ordering: .sequentiallyConsistent)   // close (even)
                // A worker that joined before the close may still be reading `job`.
                while active.load(ordering: .sequentiallyConsistent) > 0 {
                    pause(spins)
                    spins += 1
                }
                job = nil
            }
            return true
        }
        if ran == nil {
            for i in 0..<count { body(i) }
        }
    }

    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        generation.add(2, ordering: .sequentiallyConsistent)
        wakeSleepers()
    }

    /// Wakes sleeping workers. Sequentially consistent with the sleepers' check in
    /// `waitForLoop`, so a worker either sees the new generation or is woken.
    private func wakeSleepers() {
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            pthread_mutex_lock(mutex)
            pthread_cond_broadcast(wakeUp)
            pthread_mutex_unlock(mutex)
        }
    }

    private func runChunks(_ body: (Int) -> Void, count: Int) {
        while true {
            let i = nextChunk.add(1, ordering: .relaxed).oldValue
            if i >= count { return }
            body(i)
            completed.add(1, ordering: .releasing)
        }
    }

    /// A worker's life: wait for an open loop, join it, run chunks, leave, repeat.
    func work() {
        var seen = 0
        while true {
            seen = waitForLoop(after: seen)
            if stopping.load(ordering: .sequentiallyConsistent) { return }
            active.add(1, ordering: .sequentiallyConsistent)
            // Still the loop we woke for? (If it closed meanwhile, `job` may be changing.)
            if generation.load(ordering: .sequentiallyConsistent) == seen, let body = job {
                runChunks(body, count: jobCount)
            }
            active.subtract(1, ordering: .sequentiallyConsistent)
        }
    }

    /// True when `g` is an open loop the worker has not run yet.
    @inline(__always)
    private func isNewLoop(_ g: Int, after seen: Int) -> Bool { g & 1 == 1 && g != seen }

    /// Spins, then sleeps, until a loop newer than `seen` is open (or the pool stops); returns
    /// its generation.
    private func waitForLoop(after seen: Int) -> Int {
        let start = DispatchTime.now().uptimeNanoseconds
        var spins = 1
        while true {
            let now = generation.load(ordering: .acquiring)
            if isNewLoop(now, after: seen) || stopping.load(ordering: .relaxed) { return now }
            pause(spins)
            spins += 1
            if spins & 1023 == 0, DispatchTime.now().uptimeNanoseconds - start > Self.spinNanoseconds { break }
        }
        pthread_mutex_lock(mutex)
        sleepers.add(1, ordering: .sequentiallyConsistent)
        var now = generation.load(ordering: .sequentiallyConsistent)
        while !isNewLoop(now, after: seen) && !stopping.load(ordering: .sequentiallyConsistent) {
            pthread_cond_wait(wakeUp, mutex)
            now = generation.load(ordering: .sequentiallyConsistent)
        }
        sleepers.subtract(1, ordering: .sequentiallyConsistent)
        pthread_mutex_unlock(mutex)
        return now
    }

    /// One turn of a busy wait. Swift has no `pause` instruction; giving the core away now and
    /// then keeps a spinner from starving other processes on a small machine.
    @inline(__always)
    private func pause(_ spins: Int) {
        if spins & 255 == 0 { sched_yield() }
    }
}
