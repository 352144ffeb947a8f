extension UnsafeRawBufferPointer {
    /// A byte pointer OpenSSL accepts even for an empty buffer (which has no base address).
    var bytePointer: UnsafePointer<UInt8> {
        guard let base = baseAddress else { return emptyBytePointer }
        return base.assumingMemoryBound(to: UInt8.self)
    }
}

// Never written after initialization; OpenSSL only needs a valid address for empty inputs.
nonisolated(unsafe) private let emptyBytePointer: UnsafePointer<UInt8> = {
    let pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    pointer.initialize(to: 0)
    return UnsafePointer(pointer)
}()
