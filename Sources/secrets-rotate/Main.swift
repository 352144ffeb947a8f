import Providers
import SecretsCLI

/// `secrets` with HTTP: `secrets rotate` and `secrets rollback` run here (the `secrets`
/// executable execs this one with the same arguments), so that `secrets` itself loads no
/// HTTP client.
@main
enum Main {
    static func main() {
        SecretsCommand.runAsMain(rotationFactory: StandardProviders())
    }
}
