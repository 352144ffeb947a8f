import Foundation
import ProcessHarness

/// Validates JSON documents against the committed JSON Schema with Python's `jsonschema`
/// (Draft 2020-12), an implementation independent of the code that writes the documents.
enum SchemaValidator {
    static let schemaPath = Sample.repositoryRoot + "/Schemas/jamf-intune-payload.v1.schema.json"

    /// The script reads the document from stdin (it may hold a secret: never a file or argument)
    /// and prints every violation, one per line.
    private static let script = """
        import json, sys
        from jsonschema import Draft202012Validator
        schema = json.load(open(sys.argv[1]))
        Draft202012Validator.check_schema(schema)
        document = json.load(sys.stdin)
        errors = sorted(Draft202012Validator(schema).iter_errors(document), key=lambda e: list(e.absolute_path))
        for error in errors:
            print("/".join(str(p) for p in error.absolute_path) + ": " + error.message.splitlines()[0][:200])
        sys.exit(1 if errors else 0)
        """

    /// The violations of `document` (empty when valid).
    ///
    /// Python runs from a thread of its own: ProcessRunner blocks, and blocking the few threads
    /// of Swift's cooperative pool would stall every other test running in parallel.
    static func violations(of document: Data) async throws -> [String] {
        let result = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ProcessResult, Error>) in
            Thread.detachNewThread {
                continuation.resume(with: Result {
                    try ProcessRunner.run("/usr/bin/env", arguments: ["python3", "-c", script, schemaPath], input: document, timeout: 60)
                })
            }
        }
        if result.exitStatus == 0 { return [] }
        guard result.exitStatus == 1, result.errorOutput.isEmpty else {
            throw HarnessError("python3 with jsonschema is needed to check the payload schema (apt-get install python3-jsonschema): \(result)")
        }
        return result.output.split(separator: "\n").map(String.init)
    }
}
