/// Random values shaped like Entra ID's: client secrets of 40 characters (three random
/// characters, a digit, `Q~`, then 34 characters of `[A-Za-z0-9._~-]`), and opaque tokens.
enum SecretText {
    private static let alphanumerics = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
    private static let secretAlphabet = alphanumerics + Array("._~-")

    /// A new client secret value.
    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        var text = String((0..<3).map { _ in alphanumerics.randomElement(using: &generator)! })
        text.append("8Q~")
        text.append(String((0..<34).map { _ in secretAlphabet.randomElement(using: &generator)! }))
        return text
    }

    /// `count` random alphanumeric characters.
    static func random(count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphanumerics.randomElement(using: &generator)! })
    }
}
