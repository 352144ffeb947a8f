/// A number of seconds a server sent (a token's `expires_in`), made safe to compute with.
///
/// JSON numbers such as `1e308` or `99999999999999999999` decode as finite but absurd doubles;
/// a scanner may hand over `inf` or `nan`. Such a value is clamped (or replaced) here, before
/// any date arithmetic, integer or `Duration` conversion sees it.
public enum ServerSeconds {
    /// `value` clamped to `range`; `fallback` (itself clamped) when `value` is missing or not finite.
    public static func clamp(_ value: Double?, to range: ClosedRange<Double>, fallback: Double) -> Double {
        guard let value, value.isFinite else { return min(max(fallback, range.lowerBound), range.upperBound) }
        return min(max(value, range.lowerBound), range.upperBound)
    }

    /// ``clamp(_:to:fallback:)`` for a number given as text (`"3599"`, `"1e308"`).
    public static func clamp(_ text: String?, to range: ClosedRange<Double>, fallback: Double) -> Double {
        clamp(text.flatMap { $0.count <= 64 ? Double($0) : nil }, to: range, fallback: fallback)
    }
}
