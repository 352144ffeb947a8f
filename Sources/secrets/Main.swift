import SecretsCLI

@main
enum Main {
    static func main() {
        SecretsCommand.runAsMain()
    }
}
