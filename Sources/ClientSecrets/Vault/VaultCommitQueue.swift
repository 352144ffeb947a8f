import Dispatch
import Foundation

/// Runs the vault reads and writes of concurrent rotations on a thread of its own, committing
/// the writes that arrive while one commit is on disk together in the next one (group commit).
///
/// Rotations are async and spend their time waiting on the network; the vault is synchronous
/// SQLite with `synchronous=FULL`, so every commit waits for the disk. Blocking the cooperative
/// thread pool on that wait would stall every rotation's HTTP as well, and one fsync per journal
/// step per app would make the disk the bottleneck of a bulk run. Each write still runs in its
/// own savepoint and fails alone, and none is acknowledged before its commit is durable.
package final class VaultCommitQueue: @unchecked Sendable {
    package typealias WriteBody = @Sendable (inout VaultWriter) throws -> Void

    private struct Pending {
        let body: WriteBody
        let done: @Sendable ((any Error)?) -> Void
    }

    let vault: Vault
    private let lock = NSLock()
    private var pending: [Pending] = []
    private var draining = false
    private let writeQueue = DispatchQueue(label: "secrets.vault.commits")
    private let readQueue = DispatchQueue(label: "secrets.vault.reads", attributes: .concurrent)
    private let clock: @Sendable () -> Date

    /// The number of commits made, for tests and the benchmark.
    private var commits = 0

    /// The number of commits made so far.
    package var commitCount: Int { lock.withLock { commits } }

    package init(vault: Vault, clock: @escaping @Sendable () -> Date) {
        self.vault = vault
        self.clock = clock
    }

    /// Runs `body` in the next batch and returns once that batch is durable.
    package func write(_ body: @escaping WriteBody) async throws {
        let error: (any Error)? = await withCheckedContinuation { continuation in
            let start: Bool = lock.withLock {
                pending.append(Pending(body: body, done: { continuation.resume(returning: $0) }))
                defer { draining = true }
                return !draining
            }
            if start { writeQueue.async { self.drain() } }
        }
        if let error { throw error }
    }

    /// Runs a read off the cooperative thread pool.
    package func read<T: Sendable>(_ body: @escaping @Sendable (Vault) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            readQueue.async { [vault] in continuation.resume(with: Result { try body(vault) }) }
        }
    }

    private func drain() {
        while true {
            let batch: [Pending] = lock.withLock {
                let batch = pending
                pending = []
                if batch.isEmpty { draining = false }
                return batch
            }
            if batch.isEmpty { return }
            let results = vault.writeBatch(now: clock(), batch.map(\.body))
            lock.withLock { commits += 1 }
            for (item, error) in zip(batch, results) { item.done(error) }
        }
    }
}
