/// Picks a fixed share of inputs for the expensive checks (a vault per input), so that a run
/// reaches its executions in reasonable time. The choice depends only on the input's bytes, so
/// a saved input always replays the same checks.
public enum Sampling {
    /// True for about one input in `share`: FNV-1a of the bytes, modulo `share`.
    public static func picks(_ input: UnsafeRawBufferPointer, oneIn share: UInt64) -> Bool {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in input { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash % share == 0
    }
}
