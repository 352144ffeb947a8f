import Foundation

/// The compact binary form of the records sealed in vault rows.
///
/// Sealed records are read on every listing, so they avoid JSON: fields are written in a fixed
/// order after a version byte, strings as a length and UTF-8, dates as the bit pattern of their
/// seconds since 1970, optional values behind a presence byte. A record that does not parse
/// exactly (wrong version, short, or with bytes left over) is rejected.
struct RecordWriter {
    private(set) var bytes: [UInt8]

    init(version: UInt8) { bytes = [version] }

    mutating func write(_ value: UInt32) {
        bytes.append(contentsOf: [UInt8(value >> 24 & 0xff), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)])
    }

    mutating func write(_ value: String) {
        let utf8 = value.utf8
        write(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    mutating func write(_ value: Double) {
        let bits = value.bitPattern
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(bits >> UInt64(shift) & 0xff)) }
    }

    mutating func write(_ value: Date) { write(value.timeIntervalSince1970) }

    mutating func write(_ value: Date?) {
        bytes.append(value == nil ? 0 : 1)
        if let value { write(value) }
    }

    mutating func write(_ value: String?) {
        bytes.append(value == nil ? 0 : 1)
        if let value { write(value) }
    }

    mutating func write(_ value: [UInt8]) {
        write(UInt32(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func write(_ values: [String]) {
        write(UInt32(values.count))
        for value in values { write(value) }
    }
}

/// Reads what ``RecordWriter`` wrote; any mismatch throws ``RecordReader/Malformed``.
struct RecordReader {
    struct Malformed: Error {}

    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    /// The record's version byte.
    let version: UInt8

    init(_ bytes: UnsafeRawBufferPointer, version: UInt8) throws {
        try self.init(bytes, versions: version...version)
    }

    /// Accepts any of `versions`, for records whose older layouts are still read.
    init(_ bytes: UnsafeRawBufferPointer, versions: ClosedRange<UInt8>) throws {
        self.bytes = bytes
        guard let first = bytes.first, versions.contains(first) else { throw Malformed() }
        version = first
        offset = 1
    }

    private mutating func take(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, bytes.count - offset >= count else { throw Malformed() }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }

    mutating func readUInt32() throws -> UInt32 {
        try take(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func readString() throws -> String {
        let count = Int(try readUInt32())
        // Records are authenticated before they are read and were written from Swift strings,
        // so the bytes are valid UTF-8; decoding (which would repair, not reject) is the fast path.
        return String(decoding: try take(count).assumingMemoryBound(to: UInt8.self), as: UTF8.self)
    }

    mutating func readBytes() throws -> [UInt8] {
        Array(try take(Int(try readUInt32())))
    }

    mutating func readDouble() throws -> Double {
        Double(bitPattern: try take(8).reduce(0) { $0 << 8 | UInt64($1) })
    }

    mutating func readDate() throws -> Date { Date(timeIntervalSince1970: try readDouble()) }

    private mutating func present() throws -> Bool {
        switch try take(1)[0] {
        case 0: return false
        case 1: return true
        default: throw Malformed()
        }
    }

    mutating func readOptionalDate() throws -> Date? { try present() ? try readDate() : nil }

    mutating func readOptionalString() throws -> String? { try present() ? try readString() : nil }

    mutating func readStrings() throws -> [String] {
        let count = Int(try readUInt32())
        guard count <= bytes.count - offset else { throw Malformed() }
        return try (0..<count).map { _ in try readString() }
    }

    mutating func readEnum<T: RawRepresentable>(_ type: T.Type) throws -> T where T.RawValue == String {
        guard let value = T(rawValue: try readString()) else { throw Malformed() }
        return value
    }

    /// Throws unless every byte was read.
    func finish() throws {
        guard offset == bytes.count else { throw Malformed() }
    }
}

extension App {
    /// Version 2 added the rotator, the Jamf Pro issuer settings and the Jamf Pro consumer settings;
    /// version 3 the secret description; version 4 the settings of other issuers (see
    /// ``IssuerKind/settings``), as key-value pairs after an optional secret description;
    /// version 5 each consumer's settings beyond the three Jamf Pro ones (see
    /// ``Consumer/Kind/settings``), as key-value pairs per consumer at the end; version 6 whether
    /// the app is only monitored and its object id in the tenant, at the very end; version 7 its
    /// owners after those (``owners``, when a sync read them). Every earlier
    /// version is still read, and an app is written in the oldest version that holds it, so that
    /// an older `secrets` reads it.
    static let recordVersion: UInt8 = 7

    /// The consumer settings with a slot of their own since version 2.
    static let fixedConsumerSettings: Set = ["apiClient", "canaryComputerID", "applyCommand"]

    func record() -> [UInt8] {
        let others = otherIssuerSettings.sorted { $0.key < $1.key }
        let otherConsumerSettings = consumers.map { $0.orderedSettings.filter { !Self.fixedConsumerSettings.contains($0.key) } }
        let hasOtherConsumerSettings = otherConsumerSettings.contains { !$0.isEmpty }
        let version: UInt8 = owners != nil ? 7 : monitored || objectID != nil ? 6 : hasOtherConsumerSettings ? 5 : !others.isEmpty ? 4 : secretDescription == nil ? 2 : 3
        var writer = RecordWriter(version: version)
        writer.write(label)
        writer.write(appID)
        writer.write(tenant)
        writer.write(cloud.rawValue)
        writer.write(issuer.rawValue)
        writer.write(rotator)
        writer.write(jamfProIssuer?.url)
        writer.write(jamfProIssuer?.integrationID)
        writer.write(UInt32(consumers.count))
        for consumer in consumers {
            writer.write(consumer.kind.rawValue)
            writer.write(consumer.target)
            writer.write(consumer.apiClient)
            writer.write(consumer.canaryComputerID)
            writer.write(consumer.applyCommand)
        }
        writer.write(policy.lifetime)
        writer.write(policy.rotateBefore)
        writer.write(policy.overlap)
        writer.write(tags)
        writer.write(notes)
        if version >= 4 {
            writer.write(secretDescription)
            writer.write(others.flatMap { [$0.key, $0.value] })
        } else if let secretDescription {
            writer.write(secretDescription)
        }
        if version >= 5 {
            for settings in otherConsumerSettings { writer.write(settings.flatMap { [$0.key, $0.value] }) }
        }
        if version >= 6 {
            writer.write(monitored ? "monitored" : "managed")
            writer.write(objectID)
        }
        if version >= 7, let owners {
            writer.write(UInt32(owners.count))
            for owner in owners {
                writer.write(owner.objectID)
                writer.write(owner.kind.rawValue)
                writer.write(owner.name)
            }
        }
        return writer.bytes
    }

    init(record bytes: UnsafeRawBufferPointer) throws {
        var reader = try RecordReader(bytes, versions: 1...Self.recordVersion)
        let label = try reader.readString()
        let appID = try reader.readString()
        let tenant = try reader.readString()
        let cloud = try reader.readEnum(Cloud.self)
        let issuer = try reader.readEnum(IssuerKind.self)
        var rotator: String?
        var jamfProIssuer: JamfProIssuerSettings?
        if reader.version >= 2 {
            rotator = try reader.readOptionalString()
            let url = try reader.readOptionalString()
            let integrationID = try reader.readOptionalString()
            if let url, let integrationID { jamfProIssuer = JamfProIssuerSettings(url: url, integrationID: integrationID) }
        }
        let consumerCount = Int(try reader.readUInt32())
        guard consumerCount <= bytes.count else { throw RecordReader.Malformed() }
        var consumers = try (0..<consumerCount).map { _ in
            var consumer = Consumer(kind: try reader.readEnum(Consumer.Kind.self), target: try reader.readString())
            if reader.version >= 2 {
                consumer.apiClient = try reader.readOptionalString()
                consumer.canaryComputerID = try reader.readOptionalString()
                consumer.applyCommand = try reader.readOptionalString()
            }
            return consumer
        }
        let policy = RotationPolicy(lifetime: try reader.readDouble(), rotateBefore: try reader.readDouble(), overlap: try reader.readDouble())
        let tags = try reader.readStrings()
        let notes = try reader.readString()
        var secretDescription: String?
        var issuerSettings: [String: String] = [:]
        if reader.version >= 4 {
            secretDescription = try reader.readOptionalString()
            let pairs = try reader.readStrings()
            guard pairs.count % 2 == 0 else { throw RecordReader.Malformed() }
            for index in stride(from: 0, to: pairs.count, by: 2) { issuerSettings[pairs[index]] = pairs[index + 1] }
        } else if reader.version == 3 {
            secretDescription = try reader.readString()
        }
        if reader.version >= 5 {
            for index in consumers.indices {
                let pairs = try reader.readStrings()
                guard pairs.count % 2 == 0 else { throw RecordReader.Malformed() }
                for pair in stride(from: 0, to: pairs.count, by: 2) {
                    // The fixed settings have their own slots, and a repeated key is not one setting.
                    let key = pairs[pair]
                    guard !Self.fixedConsumerSettings.contains(key), !Consumer.reservedKeys.contains(key), consumers[index].settings[key] == nil
                    else { throw RecordReader.Malformed() }
                    consumers[index].settings[key] = pairs[pair + 1]
                }
            }
        }
        var monitored = false
        var objectID: String?
        if reader.version >= 6 {
            switch try reader.readString() {
            case "monitored": monitored = true
            case "managed": monitored = false
            default: throw RecordReader.Malformed()
            }
            objectID = try reader.readOptionalString()
        }
        var owners: [AppOwner]?
        if reader.version >= 7 {
            let count = Int(try reader.readUInt32())
            guard count <= bytes.count else { throw RecordReader.Malformed() }
            owners = try (0..<count).map { _ in
                let objectID = try reader.readString()
                return AppOwner(objectID: objectID, kind: try reader.readEnum(AppOwner.Kind.self), name: try reader.readOptionalString())
            }
        }
        try reader.finish()
        // Stored values were normalised when written; the public initialiser would only redo it.
        self.init(
            label: label, appID: "", tenant: "", cloud: cloud, issuer: issuer, rotator: rotator, jamfProIssuer: jamfProIssuer,
            issuerSettings: issuerSettings, consumers: consumers, policy: policy, tags: tags, notes: notes, secretDescription: secretDescription,
            monitored: monitored, owners: owners)
        self.objectID = objectID
        self.appID = appID
        self.tenant = tenant
    }
}

extension Credential {
    /// Version 2 adds the kind and a certificate's thumbprint at the end, version 3 the holder,
    /// version 4 the details of a certificate the vault made or imported.
    /// Each record is written in the oldest version that holds it (a secret of an app
    /// registration is still version 1), so that an older `secrets` reads what it can.
    static let recordVersion: UInt8 = 4

    func record() -> [UInt8] {
        let version: UInt8 = certificate != nil ? 4 : holder != .application ? 3 : kind == .secret && thumbprint == nil ? 1 : 2
        var writer = RecordWriter(version: version)
        writer.write(keyID)
        writer.write(hint)
        writer.write(created)
        writer.write(validFrom)
        writer.write(expires)
        writer.write(state.rawValue)
        writer.write(displayName)
        writer.write(retireAfter)
        if version >= 2 {
            writer.write(kind.rawValue)
            writer.write(thumbprint)
        }
        if version >= 3 { writer.write(holder.rawValue) }
        if version >= 4, let certificate {
            writer.write(certificate.sha256Thumbprint)
            writer.write(certificate.subject)
            writer.write(certificate.der)
        }
        return writer.bytes
    }

    init(record bytes: UnsafeRawBufferPointer) throws {
        var reader = try RecordReader(bytes, versions: 1...Self.recordVersion)
        let keyID = try reader.readString()
        let hint = try reader.readString()
        let created = try reader.readDate()
        let validFrom = try reader.readDate()
        let expires = try reader.readOptionalDate()
        let state = try reader.readEnum(CredentialState.self)
        let displayName = try reader.readOptionalString()
        let retireAfter = try reader.readOptionalDate()
        var kind = CredentialKind.secret
        var thumbprint: String?
        if reader.version >= 2 {
            kind = try reader.readEnum(CredentialKind.self)
            thumbprint = try reader.readOptionalString()
        }
        let holder = reader.version >= 3 ? try reader.readEnum(CredentialHolder.self) : .application
        var certificate: CertificateDetails?
        if reader.version >= 4 {
            certificate = CertificateDetails(sha256Thumbprint: try reader.readString(), subject: try reader.readString(), der: try reader.readBytes())
        }
        try reader.finish()
        self.init(
            keyID: "", hint: hint, created: created, validFrom: validFrom, expires: expires, state: state,
            displayName: displayName, retireAfter: retireAfter, kind: kind, thumbprint: thumbprint, holder: holder, certificate: certificate)
        self.keyID = keyID
    }
}
