/// Adds line reading and exact reads on top of a ``ByteSource``, keeping whatever it read
/// ahead for the next caller (the header parser hands its leftovers to the payload reader).
struct BufferedReader<Source: ByteSource> {
    private var source: Source
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var reachedEnd = false

    init(_ source: Source, capacity: Int = 4096) {
        self.source = source
        self.buffer = [UInt8](repeating: 0, count: capacity)
    }

    /// Reads one line without its `\n`. Returns `nil` at end of input; a final line without `\n`
    /// comes back with `terminated == false`.
    mutating func readLine(maximumLength: Int) throws -> (line: [UInt8], terminated: Bool)? {
        var line: [UInt8] = []
        while true {
            if start == end {
                guard try refill() else {
                    return line.isEmpty ? nil : (line, false)
                }
            }
            let available = buffer[start..<end]
            if let newline = available.firstIndex(of: UInt8(ascii: "\n")) {
                line.append(contentsOf: buffer[start..<newline])
                start = newline + 1
                guard line.count <= maximumLength else { throw AgeError.malformedHeader(reason: "header line too long") }
                return (line, true)
            }
            line.append(contentsOf: available)
            start = end
            guard line.count <= maximumLength else { throw AgeError.malformedHeader(reason: "header line too long") }
        }
    }

    /// Reads until `destination` is full or the input ends; returns the count read.
    mutating func readFully(into destination: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < destination.count {
            let remaining = UnsafeMutableRawBufferPointer(rebasing: destination[filled...])
            if start < end {
                let count = Swift.min(end - start, remaining.count)
                buffer.withUnsafeBytes { bytes in
                    remaining.baseAddress!.copyMemory(from: bytes.baseAddress! + start, byteCount: count)
                }
                start += count
                filled += count
                continue
            }
            if reachedEnd { break }
            let count = try source.read(into: remaining)
            if count == 0 { reachedEnd = true; break }
            filled += count
        }
        return filled
    }

    private mutating func refill() throws -> Bool {
        if reachedEnd { return false }
        start = 0
        end = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
        if end == 0 { reachedEnd = true }
        return end > 0
    }
}
