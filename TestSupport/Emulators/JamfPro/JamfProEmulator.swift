import FlyingFox
import Foundation

/// A loopback emulator of the parts of the Jamf Pro API that secret rotation uses, speaking real
/// HTTP (FlyingFox) on 127.0.0.1 with a port of the system's choosing.
///
/// Jamf Pro API (shapes as Jamf Pro 11 answers them):
///
///     POST /api/oauth/token  (also /api/v1/oauth/token)
///          form grant_type=client_credentials&client_id=…&client_secret=…
///          200 {"access_token","scope":"api-role:1","token_type":"Bearer","expires_in":599}
///          400 {"error":"unsupported_grant_type"|"invalid_request"}   401 {"error":"invalid_client"}
///     GET  /api/v1/conditional-access/device-compliance/feature-toggle
///          200 {"sharedDeviceFeatureEnabled":false}
///     GET  /api/v1/conditional-access/device-compliance-information/computer/{id}
///          200 [{"deviceId","applicable","complianceState","complianceVendor",
///                "complianceVendorDeviceInformation":{"deviceIds":[…]}}]      404 unknown computer
///     GET  /api/v1/computers-inventory/{id}?section=GENERAL
///          200 {"id","udid","general":{"name","platform","reportDate","lastContactTime",…},…}  404 unknown computer
///     POST /api/v1/api-integrations/{id}/client-credentials
///          200 {"clientId","clientSecret"}   403 client lacks the privilege   404 unknown integration
///
/// Errors of the bearer-token API use Jamf Pro's envelope:
/// `{"httpStatus":401,"errors":[{"code":"INVALID_TOKEN","description":"Unauthorized","field":null,"id":"0"}]}`
/// (401 missing, unknown or expired token; 403 `INVALID_PRIVILEGE`; 404 `NOT_FOUND`).
/// Regenerating kills the client's old secret at once; tokens already issued stay valid until
/// they expire, as a token is not tied to the secret that obtained it.
///
/// The macOS Intune integration has no API in Jamf Pro; the emulator models what an admin saves
/// in the form. Its canary logic: a computer's compliance information is `[]` while no integration
/// is saved or it is disabled, one entry with state `UNKNOWN` while the saved secret does not work
/// (``SecretValidator``), and the computer's own state (default `COMPLIANT`) while it does. Once a
/// computer has sent an inventory report (``report(computerID:)``, or half a second after every save
/// with ``Configuration/reportOnSave``), its state is the one of that report, as Jamf Pro keeps it: a
/// report made while Jamf Pro held a secret Entra ID refused stays `UNKNOWN`, and one made with the
/// old secret stays `COMPLIANT` after a new one is saved, until the next report. Its `general.reportDate` is its enrolment
/// (when it was added) until it reports.
///
/// Control endpoints for other processes (no authentication; loopback only):
///
///     PUT    /_emulator/intune-integration   body: a payload document (schema v1), as an apply
///            command sends it: `curl -sf -X PUT --data-binary @- http://127.0.0.1:PORT/_emulator/intune-integration`.
///            204 saved; 422 {"error"} for a redacted payload, or when the secret does not work
///            ("Could not retrieve the access token for Microsoft Graph API": Jamf Pro tests on Save
///            and keeps nothing); disconnect clears "enabled" and keeps the rest.
///     GET    /_emulator/intune-integration   200 {"tenantName","applicationID","clientSecret","enabled","sovereignCloud"}, 404 when none
///     POST   /_emulator/api-clients          {"clientId","clientSecret","integrationId","mayRegenerate"?: true} → 201
///     GET    /_emulator/api-clients/{integrationId}  200 {"clientId","clientSecret","integrationId"}, 404
///     POST   /_emulator/computers            {"id","complianceState"?: "COMPLIANT" (any string),"applicable"?: true,
///            "complianceVendor"?: "Microsoft Intune"} → 201
///     POST   /_emulator/computers/{id}/report {"reportDate"?: any text} → 200 {"id","reportDate"}: the computer
///            sends inventory now (`reportDate` replaces the date answered, for hostile answers); 404
///     POST   /_emulator/hostile/regeneration {"clientId"?, "clientSecret"?, "clientSecretLength"?} → 204: the next
///            regeneration still replaces the secret, but answers these values
///     POST   /_emulator/faults               {"operation": token|feature-toggle|compliance-information|
///            regenerate-client-credentials, "fault": throttle|server-error|hang|drop-connection,
///            "times"?: 1, "retryAfter"?: seconds, "status"?: 500} → 204
///     DELETE /_emulator/faults               → 204
///     GET|PUT /_emulator/config              {"latency": seconds, "tokenLifetime": seconds, "reportOnSave": bool}
///     GET    /_emulator/requests             [{"method","path","query","operation","hadBearer","status"}]
public final class JamfProEmulator: Sendable {
    let state: JamfProEmulatorState
    let secretValidator: SecretValidator?

    /// Creates an emulator; ``start()`` makes it listen.
    public init(configuration: Configuration = Configuration(), secretValidator: SecretValidator? = nil) {
        self.state = JamfProEmulatorState(configuration: configuration)
        self.secretValidator = secretValidator
    }

    /// Starts listening on 127.0.0.1 and returns the base URL (`http://127.0.0.1:PORT`).
    public func start(port: UInt16 = 0) async throws -> URL {
        let router = JamfProEmulatorRouter(state: state, validator: secretValidator)
        let server = HTTPServer(config: .emulator(address: try sockaddr_in.inet(ip4: "127.0.0.1", port: port)), handler: router)
        let task = Task { try await server.run() }
        await state.attach(server, task: task)
        try await server.waitUntilListening(timeout: 10)
        guard case .ip4(_, let port)? = await server.listeningAddress else {
            await stop()
            throw URLError(.cannotConnectToHost)
        }
        return URL(string: "http://127.0.0.1:\(port)")!
    }

    /// Stops listening and ends every open connection, hanging ones included.
    public func stop() async {
        guard let (server, task) = await state.detach() else { return }
        await server.stop(timeout: 0)
        task.cancel()
    }

    /// Registers an API client whose secret is `secret`, for API integration `integrationID`
    /// (replacing any client of that integration). `mayRegenerate: false` models an API role
    /// without "Update API Integrations".
    public func registerAPIClient(clientID: String, secret: String, integrationID: String, mayRegenerate: Bool = true) async {
        await state.register(APIClient(clientID: clientID.lowercased(), secret: secret, integrationID: integrationID, mayRegenerate: mayRegenerate))
    }

    /// The current secret of the API client of `integrationID`, if there is one.
    public func apiClientSecret(integrationID: String) async -> String? {
        await state.client(integrationID: integrationID)?.secret
    }

    /// Adds (or replaces) a computer with the compliance state Intune reports for it while the
    /// integration works: any string, so that undocumented states (`ERROR_NOT_REPORTED`) and
    /// hostile vendor names can be answered too.
    public func addComputer(
        id: String, complianceState: String = "COMPLIANT", applicable: Bool = true, complianceVendor: String = "Microsoft Intune"
    ) async {
        await state.addComputer(id: id, complianceState: complianceState, applicable: applicable, complianceVendor: complianceVendor)
    }

    /// Makes computer `computerID` send an inventory report now (`jamf recon`): its report date
    /// becomes now (or `reportDate`, any text), and its compliance the one the integration's
    /// current secret gets. False for an unknown computer.
    @discardableResult
    public func report(computerID: String, reportDate: String? = nil) async -> Bool {
        await JamfProEmulatorRouter(state: state, validator: secretValidator).report(computerID: computerID, reportDate: reportDate)
    }

    /// Makes every computer report whenever the Intune integration is saved (see ``Configuration/reportOnSave``).
    public func setReportOnSave(_ enabled: Bool) async {
        var configuration = await state.configuration
        configuration.reportOnSave = enabled
        await state.setConfiguration(configuration)
    }

    /// Makes the next API-client regeneration answer say `answer` (see ``HostileRegeneration``).
    public func answerNextRegeneration(with answer: HostileRegeneration) async {
        await state.queueHostileRegeneration(answer)
    }

    /// The Intune integration as last saved, if ever.
    public func configuredIntegration() async -> ConfiguredIntegration? {
        await state.integration
    }

    /// Makes the next `times` requests for `operation` fail with `fault`.
    public func injectFault(_ fault: Fault, on operation: Operation, times: Int = 1) async {
        await state.inject(fault, on: operation, times: times)
    }

    /// Drops every fault not yet fired.
    public func clearFaults() async {
        await state.clearFaults()
    }

    /// Sets the delay added before every API answer.
    public func setLatency(_ seconds: TimeInterval) async {
        var configuration = await state.configuration
        configuration.latency = seconds
        await state.setConfiguration(configuration)
    }

    /// Sets the lifetime of tokens issued from now on.
    public func setTokenLifetime(_ seconds: TimeInterval) async {
        var configuration = await state.configuration
        configuration.tokenLifetime = seconds
        await state.setConfiguration(configuration)
    }

    /// Every Jamf Pro API request so far, oldest first (not the `/_emulator/` ones).
    public func requests() async -> [RecordedRequest] {
        await state.log
    }

    /// Every access token issued so far, oldest first: the hygiene tests check that none of them
    /// ever reaches a log, an output or the vault.
    public func issuedTokens() async -> [String] {
        await state.issuedTokens
    }
}
