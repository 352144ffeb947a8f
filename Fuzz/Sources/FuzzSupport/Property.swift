#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The checks a fuzz target makes beyond "does not crash": a broken property stops the run the
/// way a crash does, so libFuzzer saves the input as `crash-…` and the run fails.
public enum Property {
    /// Stops the process, naming the property, when `condition` is false.
    ///
    /// The message names the property only, never the input: inputs can hold key-like data, and
    /// the saved crash file already holds the input for whoever investigates.
    public static func require(_ condition: Bool, _ property: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
        guard !condition else { return }
        fail(property(), file: file, line: line)
    }

    /// Stops the process, naming the property that does not hold.
    public static func fail(_ property: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
        let message = "fuzz property violated (\(file):\(line)): \(property)\n"
        var bytes = Array(message.utf8)
        _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
        // abort() rather than fatalError: libFuzzer reports SIGABRT as a deadly signal in every
        // build configuration and writes the input out.
        abort()
    }
}
