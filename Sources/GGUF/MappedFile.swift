#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file mapped read-only into memory.
///
/// The operating system pages the bytes in as they are touched, so opening a 100 MB model
/// costs almost nothing and the weights are shared with the page cache: resident memory grows
/// only with what the model really reads. The mapping lives as long as this object.
public final class MappedFile: @unchecked Sendable {
    /// The whole file. Valid while `self` is alive.
    public let bytes: UnsafeRawBufferPointer
    public let path: String
    private let ownsMapping: Bool

    /// Maps `path`; an empty file gives an empty buffer.
    public init(path: String) throws(GGUFError) {
        self.path = path
        self.ownsMapping = true
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw GGUFError(file: path, offset: nil, kind: .cannotOpen(reason: String(cString: strerror(errno))))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw GGUFError(file: path, offset: nil, kind: .cannotOpen(reason: String(cString: strerror(errno))))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw GGUFError(file: path, offset: nil, kind: .cannotOpen(reason: "not a regular file"))
        }
        let size = Int(info.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw GGUFError(file: path, offset: nil, kind: .cannotOpen(reason: "mmap failed: \(String(cString: strerror(errno)))"))
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    /// Wraps bytes that are already in memory, without copying, under the name `path`.
    /// The caller keeps them alive as long as this object (tests and fuzzing use it to parse
    /// thousands of truncated or mutated files without touching the disk).
    public init(unownedBytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = unownedBytes
        self.path = path
        self.ownsMapping = false
    }

    deinit {
        if ownsMapping, let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }
}
