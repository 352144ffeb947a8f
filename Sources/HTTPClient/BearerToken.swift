/// The shape a bearer token must have before it is put in an `Authorization` header.
///
/// A token comes from a server's answer. As RFC 6750's `b64token` it holds no space, control
/// character or line break, so it cannot add text to the request it is sent with; anything else
/// is refused rather than repaired.
public enum BearerToken {
    /// The longest token accepted: real ones are a few kilobytes; the 1 MiB answer cap is far above.
    public static let maximumLength = 16_384

    /// Whether `bytes` is `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="` of at
    /// most ``maximumLength`` bytes.
    public static func isWellFormed<Bytes: Collection>(_ bytes: Bytes) -> Bool where Bytes.Element == UInt8 {
        guard bytes.count <= maximumLength else { return false }
        var characters = 0
        var padding = 0
        for byte in bytes {
            if byte == UInt8(ascii: "=") {
                padding += 1
            } else if padding > 0 || !isTokenCharacter(byte) {
                return false
            } else {
                characters += 1
            }
        }
        return characters > 0
    }

    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"):
            return true
        default:
            return false
        }
    }
}
