import ClientSecrets
import CryptoPrimitives
import Foundation
import JamfPro
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HTTPClient

/// The few Jamf Pro API calls rotation needs, over ``HTTPTransport``: an API client's token, the
/// Conditional Access reads that show the Intune integration works, and regenerating an API
/// client's secret.
///
/// Failures are ``ClientSecrets/RotationFailure`` values whose messages never hold a secret or a
/// token: secrets travel only in request bodies and the `Authorization` header, never in a URL.
/// 429 (honouring `Retry-After`), 5xx, timeouts and dropped connections are retried a bounded
/// number of times (``Configuration``), then reported as ``ClientSecrets/RotationFailure/unavailable(_:)``.
/// Redirects are not followed, so a token never goes to another host; a redirect is reported as
/// such (``ClientSecrets/RotationFailure/misconfigured(_:)``). Every exchange goes through the
/// shared bounded ``HTTPClient/HTTPTransport``: at most ``Configuration/maximumBodySize`` bytes of
/// answer and a deadline of ``Configuration/requestTimeout`` that really stops the transfer.
public final class JamfProClient: Sendable {
    /// The Jamf Pro server, without a trailing slash.
    public let baseURL: URL
    /// Timeouts and retries.
    public let configuration: Configuration
    let transport: HTTPTransport

    /// Creates a client for the Jamf Pro server at `url`.
    ///
    /// - Throws: ``ClientSecrets/RotationFailure/misconfigured(_:)`` unless `url` is https (or http
    ///   on a loopback address, for an emulator) with no user, query or fragment.
    public init(url: String, configuration: Configuration = Configuration()) throws {
        var text = url
        while text.hasSuffix("/") { text.removeLast() }
        guard (try? Validation.serviceURL(text, field: "jamf-url")) != nil, let parsed = URL(string: text),
              parsed.user == nil, parsed.password == nil, parsed.query == nil, parsed.fragment == nil
        else {
            throw RotationFailure.misconfigured(
                "\"\(url.prefix(128))\" is not a Jamf Pro URL: use https://host[/path] (plain http only on a loopback address)")
        }
        baseURL = parsed
        self.configuration = configuration
        transport = HTTPTransport(maximumBodySize: configuration.maximumBodySize)
    }

    /// The host, for messages.
    var host: String { baseURL.host ?? baseURL.absoluteString }

    // MARK: Authentication

    /// An access token for an API client (`POST /api/oauth/token`, client-credentials grant).
    ///
    /// - Throws: ``ClientSecrets/RotationFailure/authenticationFailed(_:)`` when Jamf Pro refuses the
    ///   client (`invalid_client`: wrong ID or secret, or the client is disabled).
    public func token(for credentials: JamfAPIClientCredentials) async throws -> JamfAccessToken {
        let requested = Date()
        let response = try await send("token request", method: "POST", path: "/api/oauth/token", bearer: nil, form: Self.form(credentials))
        var body = response.body
        defer { body.withUnsafeMutableBytes { Cleanse.wipe($0) } }
        guard response.status == 200 else {
            if response.status == 400 || response.status == 401 {
                let error = JSONFieldScanner.scan(body, secrets: [])?.strings["error"] ?? "HTTP \(response.status)"
                let meaning = error == "invalid_client"
                    ? " (the client ID or secret is wrong, or the client is disabled)" : ""
                throw RotationFailure.authenticationFailed(
                    "Jamf Pro at \(host) refused API client \(credentials.clientID): \(Self.clean(error))\(meaning)")
            }
            throw failure(response, operation: "token request", resource: "the token endpoint")
        }
        guard let fields = JSONFieldScanner.scan(body, secrets: ["access_token"]), let value = fields.secrets["access_token"],
              value.withUnsafeBytes({ BearerToken.isWellFormed($0) }) else {
            throw RotationFailure.unexpectedResponse("Jamf Pro at \(host) answered the token request without a well-formed access_token")
        }
        // Clamped before the date arithmetic: `1e308` or `inf` must not make a token eternal (or trap).
        let lifetime = ServerSeconds.clamp(fields.scalars["expires_in"], to: Self.tokenLifetimeRange, fallback: 60)
        return JamfAccessToken(value: value, expiresAt: requested.addingTimeInterval(lifetime), scope: fields.strings["scope"])
    }

    /// The token lifetimes believed, in seconds (Jamf Pro's API-client tokens live minutes).
    static let tokenLifetimeRange: ClosedRange<Double> = 0...86_400

    // MARK: Conditional Access

    /// `GET /api/v1/conditional-access/device-compliance/feature-toggle`.
    public func deviceComplianceFeatureToggle(token: JamfAccessToken) async throws -> DeviceComplianceFeatureToggle {
        let path = "/api/v1/conditional-access/device-compliance/feature-toggle"
        let response = try await send("feature-toggle read", method: "GET", path: path, bearer: token, form: nil)
        guard response.status == 200 else { throw failure(response, operation: "feature-toggle read", resource: "the device compliance feature toggle") }
        return try decode(DeviceComplianceFeatureToggle.self, from: response.body, operation: "feature-toggle read")
    }

    /// `GET /api/v1/conditional-access/device-compliance-information/computer/{id}`.
    ///
    /// - Throws: ``ClientSecrets/RotationFailure/notFound(_:)`` for a computer Jamf Pro does not know.
    public func complianceInformation(computerID: String, token: JamfAccessToken) async throws -> [ComplianceInformation] {
        try Self.requireNumericID(computerID, what: "computer id")
        let path = "/api/v1/conditional-access/device-compliance-information/computer/\(computerID)"
        let response = try await send("compliance read", method: "GET", path: path, bearer: token, form: nil)
        guard response.status == 200 else { throw failure(response, operation: "compliance read", resource: "computer \(computerID)") }
        return try decode([ComplianceInformation].self, from: response.body, operation: "compliance read")
    }

    // MARK: API clients

    /// `POST /api/v1/api-integrations/{id}/client-credentials`: a new secret for the API client of
    /// integration `integrationID`. The previous secret stops working at once.
    ///
    /// The request is retried like the others: regenerating twice is harmless, because only the
    /// secret in the last answer is alive either way.
    public func regenerateClientCredentials(integrationID: String, token: JamfAccessToken) async throws -> JamfAPIClientCredentials {
        try Self.requireNumericID(integrationID, what: "API integration id")
        let path = "/api/v1/api-integrations/\(integrationID)/client-credentials"
        let response = try await send("client-credentials regeneration", method: "POST", path: path, bearer: token, form: nil)
        var body = response.body
        defer { body.withUnsafeMutableBytes { Cleanse.wipe($0) } }
        guard response.status == 200 || response.status == 201 else {
            throw failure(response, operation: "client-credentials regeneration", resource: "API integration \(integrationID)")
        }
        guard let fields = JSONFieldScanner.scan(body, secrets: ["clientSecret"]), let clientID = fields.strings["clientId"],
              let secret = fields.secrets["clientSecret"], secret.count > 0
        else {
            throw RotationFailure.unexpectedResponse("Jamf Pro at \(host) answered the regeneration of API integration \(integrationID) without clientId and clientSecret")
        }
        return JamfAPIClientCredentials(clientID: clientID.lowercased(), clientSecret: secret)
    }

    /// `GET /api/v1/api-integrations/{id}`: the client ID of integration `integrationID`, so a
    /// caller can make sure it regenerates the client it means to.
    public func apiIntegrationClientID(integrationID: String, token: JamfAccessToken) async throws -> String {
        try Self.requireNumericID(integrationID, what: "API integration id")
        let path = "/api/v1/api-integrations/\(integrationID)"
        let response = try await send("API integration lookup", method: "GET", path: path, bearer: token, form: nil)
        guard response.status == 200 else {
            throw failure(response, operation: "API integration lookup", resource: "API integration \(integrationID)")
        }
        guard let fields = JSONFieldScanner.scan(response.body, secrets: []), let clientID = fields.strings["clientId"] else {
            throw RotationFailure.unexpectedResponse("Jamf Pro at \(host) described API integration \(integrationID) without a clientId")
        }
        return clientID.lowercased()
    }

    // MARK: Helpers

    /// `grant_type=client_credentials&client_id=…&client_secret=…`, form-encoded.
    static func form(_ credentials: JamfAPIClientCredentials) -> Data {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64 + 3 * (credentials.clientID.utf8.count + credentials.clientSecret.count))
        defer { Cleanse.wipe(&bytes) }
        func append(_ name: String, _ value: UnsafeRawBufferPointer) {
            if !bytes.isEmpty { bytes.append(UInt8(ascii: "&")) }
            bytes.append(contentsOf: name.utf8)
            bytes.append(UInt8(ascii: "="))
            for byte in value {
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                     UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "*"):
                    bytes.append(byte)
                case UInt8(ascii: " "):
                    bytes.append(UInt8(ascii: "+"))
                default:
                    let hex = Array("0123456789ABCDEF".utf8)
                    bytes.append(contentsOf: [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]])
                }
            }
        }
        Array("client_credentials".utf8).withUnsafeBytes { append("grant_type", $0) }
        Array(credentials.clientID.utf8).withUnsafeBytes { append("client_id", $0) }
        credentials.clientSecret.withUnsafeBytes { append("client_secret", $0) }
        return Data(bytes)
    }

    static func requireNumericID(_ id: String, what: String) throws {
        guard !id.isEmpty, id.count <= 18, id.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw RotationFailure.misconfigured("\"\(id.prefix(32))\" is not a Jamf Pro \(what) (a number)")
        }
    }

    /// Printable text of at most 200 characters from a service's answer.
    static func clean(_ text: String) -> String {
        let printable = String(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : Character($0) })
        return printable.count > 200 ? String(printable.prefix(200)) + "…" : printable
    }

    private func decode<T: Decodable>(_ type: T.Type, from body: Data, operation: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: body)
        } catch {
            throw RotationFailure.unexpectedResponse("Jamf Pro at \(host) answered the \(operation) with JSON this program does not understand")
        }
    }
}
