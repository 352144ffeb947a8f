/// Finds JSON Web Tokens in text someone else wrote: a client assertion or a proof of possession
/// signed with a certificate is a credential for its few minutes, and an access token for its
/// hour. Nothing in a service's answer needs one repeated, and a reader of the rotation journal
/// must not be handed one, so ``SecretScrubber`` cuts out every token, whoever it came from.
///
/// A token here is what a JWS in compact form looks like: a header of at least 8 base64url
/// characters starting `eyJ` (the encoding of `{"`), a dot, a payload of at least one such
/// character, a dot, and a signature (possibly empty, as an unsigned token's is).
enum WebTokens {
    /// Marks in `covered` the bytes of every token in `bytes`.
    static func mark(_ bytes: [UInt8], covered: inout [Bool]) {
        var index = 0
        while index + 3 <= bytes.count {
            // Wherever `eyJ` starts, even inside a longer run: a character put in front must not
            // hide a token.
            guard bytes[index] == UInt8(ascii: "e"), bytes[index + 1] == UInt8(ascii: "y"), bytes[index + 2] == UInt8(ascii: "J") else {
                index += 1
                continue
            }
            let headerEnd = run(bytes, from: index)
            guard headerEnd - index >= 8, headerEnd < bytes.count, bytes[headerEnd] == UInt8(ascii: ".") else {
                index = max(headerEnd, index + 1)
                continue
            }
            let payloadEnd = run(bytes, from: headerEnd + 1)
            guard payloadEnd > headerEnd + 1, payloadEnd < bytes.count, bytes[payloadEnd] == UInt8(ascii: ".") else {
                index = payloadEnd
                continue
            }
            let end = run(bytes, from: payloadEnd + 1)
            for position in index..<end { covered[position] = true }
            index = end
        }
    }

    /// The end of the run of base64url characters that starts at `start`.
    private static func run(_ bytes: [UInt8], from start: Int) -> Int {
        var end = start
        while end < bytes.count, isBase64URL(bytes[end]) { end += 1 }
        return end
    }

    private static func isBase64URL(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default:
            false
        }
    }
}
