import ArgumentParser

/// `--json` for commands that print data.
struct JSONOption: ParsableArguments {
    @Flag(name: .long, help: "Print JSON (shape documented in the README) instead of a table.")
    var json = false
}
