import CryptoPrimitives
import Testing

/// Key material does not outlive its holder: `SecureBytes` overwrites its allocation when the
/// last copy goes away, and `Cleanse` overwrites what it is given.
///
/// The release tests read memory after it was freed, through a pointer kept on purpose. That is
/// only meaningful because glibc leaves a freed 2 KiB block mapped and rewrites just its first
/// words (free-list links), so each test first shows, on a plain allocation freed without
/// wiping, that a marker does survive there: the check can see what a missing wipe leaves.
@Suite("wiping key material", .serialized)
struct WipeTests {
    static let count = 2048
    static let marker: UInt8 = 0xA5
    /// Bytes at the start of a freed block that the allocator may overwrite with its own links.
    static let allocatorHeader = 64

    /// How many bytes past the allocator's header still hold the marker.
    private static func survivors(at address: UnsafeRawPointer) -> Int {
        UnsafeRawBufferPointer(start: address + allocatorHeader, count: count - allocatorHeader).count(where: { $0 == marker })
    }

    @Test("a freed block that was not wiped still shows the marker (the inspection works)")
    func controlUnwipedMemorySurvives() {
        let plain = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.count, alignment: 16)
        plain.initializeMemory(as: UInt8.self, repeating: Self.marker)
        let address = UnsafeRawPointer(plain.baseAddress!)
        plain.deallocate()
        #expect(Self.survivors(at: address) > (Self.count - Self.allocatorHeader) / 2)
    }

    @Test("SecureBytes overwrites its bytes when the last copy is released")
    func secureBytesWipedOnRelease() throws {
        var address: UnsafeRawPointer?
        do {
            let key = SecureBytes(count: Self.count) { $0.initializeMemory(as: UInt8.self, repeating: Self.marker) }
            let copy = key
            // Kept past the value's lifetime on purpose, to look at the memory afterwards.
            copy.withUnsafeBytes { address = $0.baseAddress }
            let held = try #require(address)
            #expect(Self.survivors(at: held) == Self.count - Self.allocatorHeader, "the marker should be there while the key lives")
            withExtendedLifetime(key) {}
            withExtendedLifetime(copy) {}
        }
        let released = try #require(address)
        #expect(Self.survivors(at: released) == 0, "bytes of a released SecureBytes were left in freed memory")
    }

    @Test("a random key is held in SecureBytes, and its bytes are gone after release")
    func randomKeyWipedOnRelease() throws {
        var address: UnsafeRawPointer?
        var snapshot: [UInt8] = []
        do {
            let key = try SecureBytes.random(count: Self.count)
            key.withUnsafeBytes { bytes in
                address = bytes.baseAddress
                snapshot = Array(bytes)
            }
            withExtendedLifetime(key) {}
        }
        let released = try #require(address)
        let after = UnsafeRawBufferPointer(start: released, count: Self.count)
        let same = (Self.allocatorHeader..<Self.count).count { after[$0] == snapshot[$0] }
        // Random bytes match a wiped (zero) block by chance about once in 256.
        #expect(same < (Self.count - Self.allocatorHeader) / 16, "\(same) bytes of a released key are still in memory")
        Cleanse.wipe(&snapshot)
    }

    @Test("Cleanse.wipe zeroes an array and a buffer in place")
    func cleanseZeroes() {
        var array = [UInt8](repeating: Self.marker, count: 100)
        Cleanse.wipe(&array)
        #expect(array.count == 100)
        #expect(array.allSatisfy { $0 == 0 })
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 100, alignment: 1)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: Self.marker)
        Cleanse.wipe(buffer)
        #expect(buffer.allSatisfy { $0 == 0 })
    }
}
