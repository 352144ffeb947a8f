import FlyingFox
import Foundation

/// The `/_emulator/` endpoints (see ``JamfProEmulator``): what other processes use to set the
/// emulator up, to apply a payload as an apply command would, and to look at what happened.
extension JamfProEmulatorRouter {
    func control(_ request: HTTPRequest) async throws -> HTTPResponse {
        let method = request.method.rawValue.uppercased()
        let parts = request.path.split(separator: "/").map(String.init).dropFirst()
        switch (method, Array(parts)) {
        case ("PUT", ["intune-integration"]):
            return try await applyPayload(try await request.bodyData)
        case ("GET", ["intune-integration"]):
            guard let integration = await state.integration else { return Self.json(404, ["error": "no integration saved"]) }
            return Self.json(200, [
                "tenantName": integration.tenant, "applicationID": integration.appID, "clientSecret": integration.secret,
                "enabled": integration.enabled, "sovereignCloud": integration.sovereignCloud,
            ])
        case ("POST", ["api-clients"]):
            let body = try Self.object(await request.bodyData)
            guard let clientID = body["clientId"] as? String, let secret = body["clientSecret"] as? String,
                  let integrationID = Self.text(body["integrationId"]) else {
                return Self.json(400, ["error": "clientId, clientSecret and integrationId are required"])
            }
            let client = JamfProEmulator.APIClient(
                clientID: clientID.lowercased(), secret: secret, integrationID: integrationID, mayRegenerate: body["mayRegenerate"] as? Bool ?? true)
            await state.register(client)
            return Self.json(201, ["clientId": client.clientID, "integrationId": integrationID])
        case ("GET", let path) where path.count == 2 && path[0] == "api-clients":
            guard let client = await state.client(integrationID: path[1]) else { return Self.json(404, ["error": "no such integration"]) }
            return Self.json(200, ["clientId": client.clientID, "clientSecret": client.secret, "integrationId": client.integrationID])
        case ("POST", ["computers"]):
            let body = try Self.object(await request.bodyData)
            guard let id = Self.text(body["id"]) else { return Self.json(400, ["error": "id is required"]) }
            await state.addComputer(
                id: id, complianceState: body["complianceState"] as? String ?? "COMPLIANT", applicable: body["applicable"] as? Bool ?? true,
                complianceVendor: body["complianceVendor"] as? String ?? "Microsoft Intune")
            return Self.json(201, ["id": id])
        case ("POST", let path) where path.count == 3 && path[0] == "computers" && path[2] == "report":
            let body = try Self.object(await request.bodyData)
            guard await report(computerID: path[1], reportDate: body["reportDate"] as? String) else {
                return Self.json(404, ["error": "no such computer"])
            }
            let computer = await state.computers[path[1]]
            return Self.json(200, ["id": path[1], "reportDate": computer?.reportDate ?? NSNull()])
        case ("POST", ["hostile", "regeneration"]):
            let body = try Self.object(await request.bodyData)
            await state.queueHostileRegeneration(JamfProEmulator.HostileRegeneration(
                clientID: body["clientId"] as? String, clientSecret: body["clientSecret"] as? String,
                clientSecretLength: body["clientSecretLength"] as? Int))
            return HTTPResponse(statusCode: .noContent)
        case ("POST", ["faults"]):
            let body = try Self.object(await request.bodyData)
            guard let name = body["operation"] as? String, let operation = JamfProEmulator.Operation(rawValue: name) else {
                return Self.json(400, ["error": "operation must be one of \(JamfProEmulator.Operation.allCases.map(\.rawValue).joined(separator: ", "))"])
            }
            let fault: JamfProEmulator.Fault
            switch body["fault"] as? String {
            case "throttle": fault = .throttle(retryAfter: body["retryAfter"] as? Int)
            case "server-error": fault = .serverError(status: body["status"] as? Int ?? 500, retryAfter: body["retryAfter"] as? Int)
            case "hang": fault = .hang
            case "drop-connection": fault = .dropConnection
            default: return Self.json(400, ["error": "fault must be one of throttle, server-error, hang, drop-connection"])
            }
            await state.inject(fault, on: operation, times: body["times"] as? Int ?? 1)
            return HTTPResponse(statusCode: .noContent)
        case ("DELETE", ["faults"]):
            await state.clearFaults()
            return HTTPResponse(statusCode: .noContent)
        case ("GET", ["config"]):
            let configuration = await state.configuration
            return Self.json(200, [
                "latency": configuration.latency, "tokenLifetime": configuration.tokenLifetime, "reportOnSave": configuration.reportOnSave,
            ])
        case ("PUT", ["config"]):
            let body = try Self.object(await request.bodyData)
            var configuration = await state.configuration
            if let latency = body["latency"] as? Double { configuration.latency = latency }
            if let lifetime = body["tokenLifetime"] as? Double { configuration.tokenLifetime = lifetime }
            if let reportOnSave = body["reportOnSave"] as? Bool { configuration.reportOnSave = reportOnSave }
            await state.setConfiguration(configuration)
            return HTTPResponse(statusCode: .noContent)
        case ("GET", ["requests"]):
            let log = await state.log.map { entry -> [String: Any] in
                [
                    "method": entry.method, "path": entry.path, "query": entry.query, "operation": entry.operation?.rawValue ?? NSNull(),
                    "hadBearer": entry.hadBearer, "status": entry.status,
                ]
            }
            return Self.jsonArray(log)
        default:
            return Self.json(404, ["error": "no such control endpoint: \(method) \(request.path)"])
        }
    }

    /// Saves a payload document the way an admin saves the Jamf Pro form: Jamf Pro tests enabled
    /// settings on Save and keeps nothing when the test fails.
    private func applyPayload(_ data: Data) async throws -> HTTPResponse {
        let document = try Self.object(data)
        guard document["schemaVersion"] as? Int == 1, document["kind"] as? String == "jamf-pro-macos-intune-integration",
              let action = document["action"] as? String, let settings = document["settings"] as? [String: Any]
        else {
            return Self.json(400, ["error": "not a jamf-pro-macos-intune-integration payload of schema version 1"])
        }
        if action == "disconnect" {
            if await state.integration == nil {
                await state.configure(JamfProEmulator.ConfiguredIntegration(
                    tenant: settings["tenantName"] as? String ?? "", appID: settings["applicationID"] as? String ?? "", secret: "",
                    enabled: false, sovereignCloud: settings["sovereignCloud"] as? String ?? "Global"))
            } else {
                await state.setEnabled(false)
            }
            return HTTPResponse(statusCode: .noContent)
        }
        guard action == "update" else { return Self.json(400, ["error": "action must be update or disconnect"]) }
        guard let secret = settings["clientSecret"] as? String, !secret.isEmpty else {
            return Self.json(422, ["error": "the payload's clientSecret is redacted or missing: generate it with --reveal"])
        }
        guard let tenant = settings["tenantName"] as? String, let appID = settings["applicationID"] as? String else {
            return Self.json(400, ["error": "settings.tenantName and settings.applicationID are required"])
        }
        let integration = JamfProEmulator.ConfiguredIntegration(
            tenant: tenant, appID: appID.lowercased(), secret: secret, enabled: settings["enabled"] as? Bool ?? true,
            sovereignCloud: settings["sovereignCloud"] as? String ?? "Global")
        if integration.enabled, await !secretWorks(integration) {
            return Self.json(422, ["error": "Could not retrieve the access token for Microsoft Graph API"])
        }
        await state.configure(integration)
        if await state.configuration.reportOnSave {
            // Like the `jamf recon` an apply command starts: it completes after the save, so the
            // report is made with what was just saved (and after the command has returned).
            let ids = Array(await state.computers.keys)
            let router = self
            Task {
                try? await Task.sleep(for: .milliseconds(500))
                for id in ids { _ = await router.report(computerID: id) }
            }
        }
        return HTTPResponse(statusCode: .noContent)
    }

    struct NotAnObject: Error {}

    /// A JSON object body; an empty body is an empty object.
    static func object(_ data: Data) throws -> [String: Any] {
        if data.isEmpty { return [:] }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw NotAnObject() }
        return object
    }

    /// A string, or a number written as one (ids may come either way).
    static func text(_ value: Any?) -> String? {
        if let string = value as? String, !string.isEmpty { return string }
        if let number = value as? Int { return String(number) }
        return nil
    }
}
