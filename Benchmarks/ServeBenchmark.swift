import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Load benchmark of `loupe serve`: many clients streaming at once through a few slots.
//
//   .build/release/loupe serve --parallel 4 &
//   swift run -c release loupe-benchmarks serve [--port 8080] [--clients 16] [--tokens 64] [--key KEY]
//
// 1. Alone: each client's request (greedy, `--tokens` tokens) is sent by itself, one after the
//    other: the reference answers, and one client's tokens/s.
// 2. Together: all clients stream at once. Checked: none lost, every answer equal to its
//    reference. Reported: aggregate generated tokens/s, and the p50/p99 time to first token.
// 3. Alone again (the first quarter of the clients): one client's tokens/s right after. On a
//    machine shared with other work the speed drifts within a minute, so the ratio is given
//    against the mean of the rates measured just before and just after the clients together.
// 4. Disconnection: a client hangs up mid-stream; its slot must be free within 2 s.

func serveBenchmark(_ arguments: [String]) throws {
    var portArgument = 8080, clients = 16, tokensArgument = 64
    var key: String?
    var i = 0
    while i < arguments.count {
        let value = i + 1 < arguments.count ? arguments[i + 1] : ""
        switch arguments[i] {
        case "--port": portArgument = Int(value) ?? portArgument; i += 1
        case "--clients": clients = Int(value) ?? clients; i += 1
        case "--tokens": tokensArgument = Int(value) ?? tokensArgument; i += 1
        case "--key": key = value; i += 1
        default: throw BenchHTTPError("unknown option \(arguments[i])")
        }
        i += 1
    }
    var headerFields = ["Content-Type": "application/json"]
    if let key { headerFields["Authorization"] = "Bearer \(key)" }
    let headers = headerFields, port = portArgument, tokens = tokensArgument
    let subjects = ["the sea", "a cat", "the moon", "bread", "a robot", "winter", "a library", "music",
                    "a garden", "the city", "a train", "coffee", "a dragon", "the forest", "rain", "chess"]
    @Sendable func body(_ c: Int) -> [UInt8] {
        let subject = subjects[c % subjects.count] + (c >= subjects.count ? " (\(c))" : "")
        let json = #"{"messages": [{"role": "user", "content": "Write a short story about \#(subject)."}], "#
            + #""temperature": 0, "max_tokens": \#(tokens), "stream": true, "stream_options": {"include_usage": true}}"#
        return Array(json.utf8)
    }

    print("loupe serve on 127.0.0.1:\(port): \(clients) clients, \(tokens) tokens each, greedy")
    /// Each client's request alone, one after the other: the answers, and one client's tokens/s
    /// after its first token.
    func alone(_ range: Range<Int>) throws -> (answers: [String], tokens: Int, rate: Double) {
        var answers: [String] = [], generated = 0, seconds = 0.0
        for c in range {
            let r = try BenchStream.run(port: port, headers: headers, body: body(c))
            answers.append(r.text)
            generated += r.completionTokens
            seconds += r.seconds - r.firstTokenSeconds
        }
        return (answers, generated, Double(generated) / seconds)
    }

    // 1. Alone.
    let before = try alone(0 ..< clients)
    let references = before.answers
    print("alone:    \(before.tokens) tokens, \(String(format: "%.1f", before.rate)) tok/s for one client (after the first token)")

    // 2. Together.
    let results = BenchBox<[Int: BenchStream.Result]>([:])
    let start = Date()
    // One thread per client (concurrentPerform would run only as many at once as there are cores).
    let group = DispatchGroup()
    for c in 0 ..< clients {
        group.enter()
        Thread.detachNewThread {
            if let r = try? BenchStream.run(port: port, headers: headers, body: body(c)) {
                results.update { $0[c] = r }
            }
            group.leave()
        }
    }
    group.wait()
    let wall = Date().timeIntervalSince(start)
    let together = results.value
    let lost = clients - together.count
    let different = (0 ..< clients).filter { together[$0] != nil && together[$0]!.text != references[$0] }
    let total = together.values.map(\.completionTokens).reduce(0, +)
    let ttft = together.values.map(\.firstTokenSeconds).sorted()
    func percentile(_ p: Double) -> Double { ttft.isEmpty ? .nan : ttft[min(ttft.count - 1, Int(p * Double(ttft.count)))] }
    let aggregate = Double(total) / wall
    print("together: \(total) tokens in \(String(format: "%.2f", wall)) s = \(String(format: "%.1f", aggregate)) tok/s "
          + "(prompts and waiting included)")
    print("time to first token: p50 \(String(format: "%.3f", percentile(0.5))) s, p99 \(String(format: "%.3f", percentile(0.99))) s")
    print("lost: \(lost); answers different from the same request alone: \(different.count) \(different)")

    // 3. Alone again.
    let after = try alone(0 ..< max(1, clients / 4))
    let changed = zip(after.answers, references).filter { $0 != $1 }.count
    let single = (before.rate + after.rate) / 2
    print("alone again: \(String(format: "%.1f", after.rate)) tok/s for one client"
          + (changed == 0 ? "" : " (\(changed) answers changed!)"))
    print("ratio: \(String(format: "%.2f", aggregate / single))× one client (mean of before and after; "
          + "\(String(format: "%.2f", aggregate / before.rate))× before, \(String(format: "%.2f", aggregate / after.rate))× after)")

    // 4. Disconnection.
    let long = #"{"prompt": "Once upon a time", "max_tokens": 100000, "temperature": 1, "stream": true}"#
    let freed = try BenchStream.hangUpAndWaitForFreeSlots(port: port, headers: headers, body: Array(long.utf8))
    print("disconnect: slot freed \(freed.map { String(format: "%.2f s after the hang-up", $0) } ?? "NOT within 2 s")")
}

#if canImport(Glibc)
private let systemConnect = Glibc.connect
#else
private let systemConnect = Darwin.connect
#endif

struct BenchHTTPError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

final class BenchBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var _value: Value
    init(_ value: Value) { _value = value }
    var value: Value { lock.lock(); defer { lock.unlock() }; return _value }
    func update(_ body: (inout Value) -> Void) { lock.lock(); body(&_value); lock.unlock() }
}

/// One streamed request over a plain loopback socket.
enum BenchStream {
    struct Result {
        var text = ""
        var completionTokens = 0
        var firstTokenSeconds = 0.0
        var seconds = 0.0
    }

    static func connect(port: Int) throws -> Int32 {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        var tv = timeval(tv_sec: 300, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { systemConnect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard ok == 0 else { close(fd); throw BenchHTTPError("cannot connect to 127.0.0.1:\(port)") }
        return fd
    }

    static func send(_ fd: Int32, path: String, headers: [String: String], body: [UInt8]) {
        var head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: \(body.count)\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        let bytes = Array((head + "\r\n").utf8) + body
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    static func run(port: Int, headers: [String: String], body: [UInt8]) throws -> Result {
        let fd = try connect(port: port)
        defer { close(fd) }
        let start = Date()
        send(fd, path: "/v1/chat/completions", headers: headers, body: body)
        var result = Result()
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            pending += buffer[..<n]
            // Events are whole lines (split on bytes: to Swift "\r\n" is one Character);
            // chunked-encoding size lines are not JSON and are skipped.
            while let newline = pending.firstIndex(of: 10) {
                let line = String(decoding: pending[..<newline], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                pending.removeSubrange(...newline)
                guard line.hasPrefix("data: {") else { continue }
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8)) as? [String: Any] else { continue }
                if let usage = object["usage"] as? [String: Any], let c = usage["completion_tokens"] as? Int { result.completionTokens = c }
                for choice in object["choices"] as? [[String: Any]] ?? [] {
                    if let piece = (choice["delta"] as? [String: Any])?["content"] as? String, !piece.isEmpty {
                        if result.text.isEmpty { result.firstTokenSeconds = Date().timeIntervalSince(start) }
                        result.text += piece
                    }
                }
            }
        }
        result.seconds = Date().timeIntervalSince(start)
        guard result.completionTokens > 0 else { throw BenchHTTPError("no answer") }
        return result
    }

    /// Starts a stream, hangs up after its first data, and returns how long until no slot is busy.
    static func hangUpAndWaitForFreeSlots(port: Int, headers: [String: String], body: [UInt8]) throws -> Double? {
        let fd = try connect(port: port)
        send(fd, path: "/v1/completions", headers: headers, body: body)
        var buffer = [UInt8](repeating: 0, count: 65536)
        var seen = ""
        while !seen.contains("\"text\"") {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            seen += String(decoding: buffer[..<n], as: UTF8.self)
        }
        close(fd)
        let hungUp = Date()
        while Date().timeIntervalSince(hungUp) < 2 {
            let m = try connect(port: port)
            var head = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            for (k, v) in headers where k == "Authorization" { head += "\(k): \(v)\r\n" }
            let bytes = Array((head + "\r\n").utf8)
            _ = bytes.withUnsafeBytes { write(m, $0.baseAddress, $0.count) }
            var text = ""
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(m, $0.baseAddress, $0.count, 0) }
                if n <= 0 { break }
                text += String(decoding: buffer[..<n], as: UTF8.self)
            }
            close(m)
            if text.contains("loupe_slots_busy 0") { return Date().timeIntervalSince(hungUp) }
            usleep(50_000)
        }
        return nil
    }
}
