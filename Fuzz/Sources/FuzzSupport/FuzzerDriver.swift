/// libFuzzer's driver, for the `main` SwiftPM expects.
///
/// In a debug build SwiftPM links every executable with `--defsym main=<Module>_main`, so that
/// tests can import executables. A fuzz target has no `main` of its own (libFuzzer's is meant to
/// be used), so each target defines `<Module>_main` and hands over to libFuzzer here; in a build
/// without the renaming, libFuzzer's own `main` calls `LLVMFuzzerTestOneInput` instead.
public enum FuzzerDriver {
    /// The signature of `LLVMFuzzerTestOneInput`.
    public typealias TestOneInput = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

    /// Runs libFuzzer with the process's arguments and `body` as the target; returns its exit code.
    public static func run(
        _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>, _ body: TestOneInput
    ) -> CInt {
        var count = argc
        var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
        return LLVMFuzzerRunDriver(&count, &arguments, body)
    }
}

/// `int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size))`
/// from libFuzzer (linked by `-sanitize=fuzzer`).
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: FuzzerDriver.TestOneInput
) -> CInt
