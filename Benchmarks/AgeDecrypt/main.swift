// Decrypts an age file to /dev/null with an identity file: the workload that
// Benchmarks/age-decrypt.sh times against `age -d` on the same file.
//
// Usage: age-decrypt-benchmark IDENTITY_FILE AGE_FILE
// Prints the peak resident set size to standard error, to show the file is streamed.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Age

func report(_ message: String) {
    var standardError = FileDescriptor(rawValue: 2)
    try? standardError.write(Array((message + "\n").utf8))
}

let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    report("usage: age-decrypt-benchmark IDENTITY_FILE AGE_FILE")
    exit(64)
}
do {
    let identities = try IdentityFile.load(path: arguments[1]) {
        throw AgeError.invalidIdentity(reason: "the benchmark needs an unencrypted identity file")
    }
    let input = try FileDescriptor.openForReading(arguments[2])
    var output = try FileDescriptor.create("/dev/null", mode: 0o666, exclusive: false)
    try AgeFile.decrypt(from: input, to: &output, identities: identities)
    var usage = rusage()
    #if os(Linux)
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    report("peak RSS: \(usage.ru_maxrss) KiB")
} catch {
    report("age-decrypt-benchmark: \(error)")
    exit(1)
}
