import CryptoPrimitives
import FlyingFox
import Foundation

/// The emulator's own HTTP API, for other processes (the `secrets-emulator` executable, shell
/// demos with curl). Plain JSON, no authentication: the emulator listens on loopback only.
///
/// ```
/// POST /_emulator/applications                  {"appId", "displayName"?, "owners"?: [appId], "roles"?: [permission]}
///                                               → 200 {"id": objectId, "appId"}
/// POST /_emulator/applications/{appId}/secrets  {"endDateTime", "value"?, "keyId"?, "displayName"?,
///                                                "startDateTime"?, "replicated"?: true}
///                                               → 200 {"keyId", "secretText"}   (a value is generated if none is given)
/// DELETE /_emulator/applications/{appId}        → 204, 404   (deletes it; the delta query reports it as @removed)
/// DELETE /_emulator/applications/{appId}/credentials/{keyId} → 204, 404   (a person removes a secret or certificate)
/// PATCH /_emulator/applications/{appId}/credentials/{keyId} {"endDateTime"} → 204, 404   (its end date moves)
/// POST /_emulator/tenant                        {"count", "prefix"?, "secrets"?: 2, "certificates"?: 1, "minDays"?: 1, "maxDays"?: 400}
///                                               → 200 {"appIds"}   (registers `count` applications at once, ends spread
///                                               over the days given: a benchmark's tenant)
/// POST /_emulator/applications/{appId}/owners  {"userPrincipalName", "displayName"?} → 200 {"id"}   (a person owns it)
/// POST /_emulator/servicePrincipals             {"appId", "displayName"?} → 200 {"id"}   (an enterprise app; its app
///                                                need not be registered here)
/// POST /_emulator/servicePrincipals/{id}/tokenSigningCertificate {"endDateTime", "displayName"?: "CN=…"}
///                                               → 200 {"signKeyId", "verifyKeyId", "thumbprint"}   (as addTokenSigningCertificate:
///                                                Sign and Verify keys and the private key's password)
/// POST /_emulator/servicePrincipals/{id}/secrets {"endDateTime", "keyId"?, "displayName"?} → 200 {"keyId"}
/// DELETE /_emulator/servicePrincipals/{id}       → 204, 404   (its delta query reports it as @removed)
/// DELETE /_emulator/servicePrincipals/{id}/credentials/{keyId} → 204, 404
/// POST /_emulator/delta/expire                  {"gone"?: false} → 204   (every delta token issued so far expires:
///                                                400 syncStateNotFound, or with "gone" 410 resyncRequired)
/// POST /_emulator/applications/{appId}/certificates {"endDateTime", "startDateTime"?, "displayName"?, "keyId"?,
///                                                "thumbprint"? (40 hex digits; made up when absent)}
///                                               → 200 {"keyId", "thumbprint"}   (a keyCredential, metadata only)
/// POST /_emulator/applications/{appId}/keyCredentials {"key": base64 DER, "keyId"?, "displayName"?}
///                                               → 200 {"keyId", "thumbprint"}   (a person uploads a real certificate, as
///                                                the portal or `az ad app credential reset --cert --append` does: its
///                                                validity becomes the credential's; client assertions are checked against it)
/// GET  /_emulator/applications/{appId}/certificates → 200 {"value": [{"keyId", "displayName", "thumbprint",
///                                                "startDateTime", "endDateTime", "lastSignIn", …}]}
/// GET  /_emulator/applications/{appId}/secrets  → 200 {"value": [{"keyId", "displayName", "hint", "secretText",
///                                                "startDateTime", "endDateTime", "createdDateTime"}]}   (values included)
/// POST /_emulator/applications/{appId}/policy {"passwordsAllowed": false} → 204   (an app management policy that
///                                               forbids passwords: addPassword answers 400
///                                               CredentialTypeNotAllowedAsPerAppPolicy; true lifts it)
/// POST /_emulator/faults                        {"operation": "token"|"getApplication"|"listApplications"|"addPassword"|"removePassword"|"any",
///                                                "status"?, "retryAfter"?, "hangSeconds"?, "drop"?: true, "slowMs"?,
///                                                "answerDelayMs"?, "times"?: 1, "after"?: 0 (matching requests let through first)}
///                                               → 204   (exactly one of status, hangSeconds, drop, slowMs,
///                                                answerDelayMs: slowMs waits before the operation,
///                                                answerDelayMs after it, before the answer)
/// DELETE /_emulator/faults                      → 204   (clears pending faults)
/// POST /_emulator/hostile/addPassword           {"keyId"?, "secretText"?, "secretTextLength"?, "startDateTime"?,
///                                                "endDateTime"?, "displayName"?, "errorStatus"?, "errorCode"?,
///                                                "errorMessage"?} → 204   (the next addPassword answer says these
///                                                values, or this Graph error; the secret is still created
///                                                truthfully: see HostileAnswer)
/// POST /_emulator/config                        {"latencyMs"?, "replicationDelayMs"?, "maxLifetimeDays"? (null clears),
///                                                "tokenLifetime"?} → 200 the configuration
/// POST /_emulator/accepts?appId={appId}         body: the secret, as plain text → 200 {"accepts": bool, "result": "…"}
/// POST /_emulator/applications/{appId}/sign-ins {"keyId", "at"?: date (default now), "clear"?: true}
///                                               → 204   (sets what the credential sign-in report shows for the key;
///                                                a token request with the key's secret also sets it to now)
/// GET  /_emulator/applications/{appId}/history → 200 {"value": [{"keyId", "added", "removed"?}]}   (every key the
///                                                app ever held, oldest first; `removed` once removePassword took it)
/// POST /_emulator/world[?format=shell]         a WorldPlan (every field optional: {"jamf"?, "rotatorRoles"?, "apps"?:
///                                                [{"label", "expiresInDays"?, "options"?}], …})
///                                               → 200 the SeededWorld as JSON, or as a bash script
///                                                (SeededWorld.shellScript); 404 when nobody serves worlds,
///                                                400 for a plan the emulators cannot seed
/// POST /_emulator/world/apps                    {"rotatorAppId", "apps": [{"label", …}]} → 200 {"apps", "vaultCommands"}
///                                                (more apps for the world of that rotator)
/// DELETE /_emulator/requests                   → 204   (forgets the requests recorded so far)
/// GET  /_emulator/requests                      → 200 {"value": [{"method", "path", "query", "status", "operation", "clientId"}]}
/// ```
struct EntraControlAPI {
    let state: EntraEmulatorState

    func handle(_ request: HTTPRequest, path: String) async throws -> HTTPResponse {
        let method = request.method.rawValue.uppercased()
        let parts = path.split(separator: "/").map(String.init)  // ["_emulator", …]
        let body = try await request.bodyData
        func object() -> [String: Any]? {
            body.isEmpty ? [:] : (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        }
        func bad(_ message: String) -> HTTPResponse { EmulatorJSON.response(400, ["error": message]) }

        switch (method, Array(parts.dropFirst())) {
        case ("POST", ["applications"]):
            guard let object = object(), let appID = object["appId"] as? String, !appID.isEmpty else {
                return bad("expected {\"appId\": …, \"displayName\"?, \"owners\"?, \"roles\"?}")
            }
            let id = await state.register(
                appID: appID, displayName: object["displayName"] as? String ?? appID,
                owners: object["owners"] as? [String] ?? [], roles: object["roles"] as? [String] ?? []
            )
            return EmulatorJSON.response(200, ["id": id, "appId": appID.lowercased()])

        case ("POST", ["tenant"]):
            guard let object = object(), let count = object["count"] as? Int, (1...100_000).contains(count) else {
                return bad("expected {\"count\": 1…100000, \"prefix\"?, \"secrets\"?: 2, \"certificates\"?: 1, \"minDays\"?: 1, \"maxDays\"?: 400}")
            }
            let low = object["minDays"] as? Int ?? 1
            let high = max(low, object["maxDays"] as? Int ?? 400)
            let ids = await state.registerTenant(
                count: count, prefix: object["prefix"] as? String ?? "tenant app", secrets: max(0, object["secrets"] as? Int ?? 2),
                certificates: max(0, object["certificates"] as? Int ?? 1), endDays: low...high)
            return EmulatorJSON.response(200, ["appIds": ids])

        case ("POST", let route) where route.count == 3 && route[0] == "applications" && route[2] == "sign-ins":
            guard let object = object(), let keyID = object["keyId"] as? String else {
                return bad("expected {\"keyId\": …, \"at\"?: \"2027-01-01T00:00:00Z\", \"clear\"?: true}")
            }
            var at: Date? = Date()
            if let text = object["at"] as? String {
                guard let parsed = EmulatorJSON.parseDate(text) else { return bad("at is not a date") }
                at = parsed
            }
            if object["clear"] as? Bool == true { at = nil }
            guard await state.setLastSignIn(appID: route[1], keyID: keyID, at: at) else {
                return EmulatorJSON.response(404, ["error": "no such application or key"])
            }
            return EmulatorJSON.empty(204)

        case ("DELETE", let route) where route.count == 2 && route[0] == "applications":
            return await state.deleteApplication(appID: route[1]) ? EmulatorJSON.empty(204) : EmulatorJSON.response(404, ["error": "no such application"])

        case ("DELETE", let route) where route.count == 4 && route[0] == "applications" && route[2] == "credentials":
            return await state.removeCredential(appID: route[1], keyID: route[3])
                ? EmulatorJSON.empty(204) : EmulatorJSON.response(404, ["error": "no such application or credential"])

        case ("PATCH", let route) where route.count == 4 && route[0] == "applications" && route[2] == "credentials":
            guard let text = object()?["endDateTime"] as? String, let end = EmulatorJSON.parseDate(text) else {
                return bad("expected {\"endDateTime\": \"2027-01-01T00:00:00Z\"}")
            }
            return await state.setCredentialEnd(appID: route[1], keyID: route[3], end: end)
                ? EmulatorJSON.empty(204) : EmulatorJSON.response(404, ["error": "no such application or credential"])

        case ("POST", let route) where route.count == 3 && route[0] == "applications" && route[2] == "owners":
            guard let object = object(), let upn = object["userPrincipalName"] as? String, !upn.isEmpty else {
                return bad("expected {\"userPrincipalName\": …, \"displayName\"?}")
            }
            guard let id = await state.addUserOwner(appID: route[1], userPrincipalName: upn, displayName: object["displayName"] as? String ?? upn) else {
                return EmulatorJSON.response(404, ["error": "no application \(route[1])"])
            }
            return EmulatorJSON.response(200, ["id": id])

        case ("POST", ["servicePrincipals"]):
            guard let object = object(), let appID = object["appId"] as? String, UUID(uuidString: appID) != nil else {
                return bad("expected {\"appId\": a GUID, \"displayName\"?}")
            }
            let id = await state.registerServicePrincipal(appID: appID, displayName: object["displayName"] as? String ?? appID)
            return EmulatorJSON.response(200, ["id": id])

        case ("POST", let route) where route.count == 3 && route[0] == "servicePrincipals" && route[2] == "tokenSigningCertificate":
            guard let object = object(), let text = object["endDateTime"] as? String, let end = EmulatorJSON.parseDate(text) else {
                return bad("expected {\"endDateTime\": \"2027-01-01T00:00:00Z\", \"displayName\"?: \"CN=…\"}")
            }
            guard let added = await state.addTokenSigningCertificate(objectID: route[1], displayName: object["displayName"] as? String ?? "CN=Microsoft Azure Federated SSO Certificate", end: end) else {
                return EmulatorJSON.response(404, ["error": "no such service principal"])
            }
            return EmulatorJSON.response(200, [
                "signKeyId": added.sign, "verifyKeyId": added.verify, "thumbprint": added.thumbprint.map { String(format: "%02X", $0) }.joined(),
            ])

        case ("POST", let route) where route.count == 3 && route[0] == "servicePrincipals" && route[2] == "secrets":
            guard let object = object(), let text = object["endDateTime"] as? String, let end = EmulatorJSON.parseDate(text) else {
                return bad("expected {\"endDateTime\": \"2027-01-01T00:00:00Z\", \"keyId\"?, \"displayName\"?}")
            }
            guard let secret = await state.addPrincipalSecret(
                objectID: route[1], keyID: object["keyId"] as? String, displayName: object["displayName"] as? String, end: end)
            else { return EmulatorJSON.response(404, ["error": "no such service principal"]) }
            return EmulatorJSON.response(200, ["keyId": secret.keyID])

        case ("DELETE", let route) where route.count == 2 && route[0] == "servicePrincipals":
            return await state.deleteServicePrincipal(objectID: route[1]) ? EmulatorJSON.empty(204) : EmulatorJSON.response(404, ["error": "no such service principal"])

        case ("DELETE", let route) where route.count == 4 && route[0] == "servicePrincipals" && route[2] == "credentials":
            return await state.removePrincipalCredential(objectID: route[1], keyID: route[3])
                ? EmulatorJSON.empty(204) : EmulatorJSON.response(404, ["error": "no such service principal or credential"])

        case ("POST", ["delta", "expire"]):
            await state.expireDeltaTokens(gone: object()?["gone"] as? Bool ?? false)
            return EmulatorJSON.empty(204)

        case ("GET", let route) where route.count == 3 && route[0] == "applications" && route[2] == "certificates":
            guard await state.application(appID: route[1]) != nil else { return EmulatorJSON.response(404, ["error": "no such application"]) }
            let listed: [[String: Any]] = await state.certificates(ofApp: route[1]).map { certificate in
                var entry = EntraGraphAPI.json(certificate)
                entry["thumbprint"] = certificate.thumbprint.map { String(format: "%02X", $0) }.joined()
                entry["lastSignIn"] = certificate.lastSignIn.map { EmulatorJSON.format($0) as Any } ?? NSNull()
                return entry
            }
            return EmulatorJSON.response(200, ["value": listed])

        case ("POST", let route) where route.count == 3 && route[0] == "applications" && route[2] == "keyCredentials":
            guard let object = object(), let text = object["key"] as? String, let der = Data(base64Encoded: text),
                  let parsed = try? X509Certificate(der: Array(der)), let sha1 = try? parsed.sha1Thumbprint()
            else { return bad("expected {\"key\": base64 DER of an RSA certificate, \"keyId\"?, \"displayName\"?}") }
            guard let certificate = await state.addCertificate(
                appID: route[1], keyID: object["keyId"] as? String, displayName: object["displayName"] as? String ?? parsed.subject,
                thumbprint: sha1, start: parsed.notBefore, end: parsed.notAfter, der: Array(der))
            else { return EmulatorJSON.response(404, ["error": "no such application"]) }
            return EmulatorJSON.response(200, ["keyId": certificate.keyID, "thumbprint": certificate.thumbprint.map { String(format: "%02X", $0) }.joined()])

        case ("POST", let route) where route.count == 3 && route[0] == "applications" && route[2] == "certificates":
            guard let object = object(), let endText = object["endDateTime"] as? String, let end = EmulatorJSON.parseDate(endText) else {
                return bad("expected {\"endDateTime\": \"2027-01-01T00:00:00Z\", \"startDateTime\"?, \"displayName\"?, \"keyId\"?, \"thumbprint\"?}")
            }
            var thumbprint: [UInt8]?
            if let hex = object["thumbprint"] as? String {
                let bytes = stride(from: 0, to: hex.count, by: 2).compactMap { index -> UInt8? in
                    let start = hex.index(hex.startIndex, offsetBy: index)
                    return UInt8(hex[start..<hex.index(start, offsetBy: min(2, hex.count - index))], radix: 16)
                }
                guard hex.count == 40, bytes.count == 20 else { return bad("thumbprint is 40 hex digits") }
                thumbprint = bytes
            }
            let start = (object["startDateTime"] as? String).flatMap(EmulatorJSON.parseDate)
            guard let certificate = await state.addCertificate(
                appID: route[1], keyID: object["keyId"] as? String, displayName: object["displayName"] as? String, thumbprint: thumbprint,
                start: start, end: end)
            else { return EmulatorJSON.response(404, ["error": "no such application"]) }
            return EmulatorJSON.response(200, ["keyId": certificate.keyID, "thumbprint": certificate.thumbprint.map { String(format: "%02X", $0) }.joined()])

        case ("POST", let route) where route.count == 3 && route[0] == "applications" && route[2] == "secrets":
            guard let object = object(), let endText = object["endDateTime"] as? String, let end = EmulatorJSON.parseDate(endText) else {
                return bad("expected {\"endDateTime\": \"2027-01-01T00:00:00Z\", \"value\"?, \"keyId\"?, \"displayName\"?, \"startDateTime\"?, \"replicated\"?}")
            }
            let start = (object["startDateTime"] as? String).flatMap(EmulatorJSON.parseDate)
            guard let secret = await state.addSecret(
                appID: route[1], value: object["value"] as? String, keyID: object["keyId"] as? String,
                displayName: object["displayName"] as? String, start: start, end: end,
                replicated: object["replicated"] as? Bool ?? true
            ) else {
                return EmulatorJSON.response(404, ["error": "no application \(route[1])"])
            }
            return EmulatorJSON.response(200, ["keyId": secret.keyID, "secretText": secret.value])

        case ("GET", let route) where route.count == 3 && route[0] == "applications" && route[2] == "secrets":
            guard await state.application(appID: route[1]) != nil else {
                return EmulatorJSON.response(404, ["error": "no application \(route[1])"])
            }
            let secrets = await state.secrets(ofApp: route[1]).map { secret -> [String: Any] in
                var json = EntraGraphAPI.json(secret)
                json["secretText"] = secret.value
                json["createdDateTime"] = EmulatorJSON.format(secret.created)
                return json
            }
            return EmulatorJSON.response(200, ["value": secrets])

        case ("GET", let route) where route.count == 3 && route[0] == "applications" && route[2] == "history":
            let events = await state.keyHistory(appID: route[1]).map { event -> [String: Any] in
                var json: [String: Any] = ["keyId": event.keyID, "added": EmulatorJSON.format(event.added)]
                if let removed = event.removed { json["removed"] = EmulatorJSON.format(removed) }
                return json
            }
            return EmulatorJSON.response(200, ["value": events])

        case ("POST", let route) where route.count == 3 && route[0] == "applications" && route[2] == "policy":
            guard let object = object(), let allowed = object["passwordsAllowed"] as? Bool else {
                return bad("expected {\"passwordsAllowed\": false}")
            }
            guard await state.application(appID: route[1]) != nil else {
                return EmulatorJSON.response(404, ["error": "no application \(route[1])"])
            }
            await state.setPasswordsForbidden(!allowed, appID: route[1])
            return EmulatorJSON.empty(204)

        case ("POST", ["faults"]):
            guard let object = object(), let name = object["operation"] as? String, let operation = EntraOperation(rawValue: name) else {
                return bad("expected {\"operation\": token|getApplication|listApplications|addPassword|removePassword|any, …}")
            }
            let fault: EmulatedFault
            if let status = object["status"] as? Int {
                fault = .status(status, retryAfter: object["retryAfter"] as? Int)
            } else if let seconds = object["hangSeconds"] as? Double {
                fault = .hang(seconds: seconds)
            } else if object["drop"] as? Bool == true {
                fault = .dropConnection
            } else if let milliseconds = object["slowMs"] as? Int {
                fault = .slow(.milliseconds(milliseconds))
            } else if let milliseconds = object["answerDelayMs"] as? Int {
                fault = .slowAnswer(.milliseconds(milliseconds))
            } else {
                return bad("expected one of status, hangSeconds, drop, slowMs, answerDelayMs")
            }
            await state.injectFault(fault, on: operation, times: object["times"] as? Int ?? 1, after: object["after"] as? Int ?? 0)
            return EmulatorJSON.empty(204)

        case ("DELETE", ["faults"]):
            await state.clearFaults()
            return EmulatorJSON.empty(204)

        case ("POST", ["hostile", "addPassword"]):
            guard let object = object() else { return bad("expected a JSON object") }
            await state.queueHostileAnswer(HostileAnswer(json: object))
            return EmulatorJSON.empty(204)

        case ("POST", ["config"]):
            guard let object = object() else { return bad("expected a JSON object") }
            if let value = object["latencyMs"] as? Int { await state.setLatency(.milliseconds(value)) }
            if let value = object["replicationDelayMs"] as? Int { await state.setReplicationDelay(.milliseconds(value)) }
            if object["maxLifetimeDays"] is NSNull { await state.setMaxLifetime(nil) }
            if let value = object["maxLifetimeDays"] as? Double { await state.setMaxLifetime(value * 86_400) }
            if let value = object["tokenLifetime"] as? Int { await state.setTokenLifetime(value) }
            let configuration = await state.configuration
            return EmulatorJSON.response(200, [
                "latencyMs": Int(configuration.latency.timeInterval * 1000),
                "replicationDelayMs": Int(configuration.replicationDelay.timeInterval * 1000),
                "maxLifetimeDays": configuration.maxLifetime.map { $0 / 86_400 as Any } ?? NSNull(),
                "tokenLifetime": configuration.tokenLifetime,
            ])

        case ("POST", ["accepts"]), ("GET", ["accepts"]):
            guard let appID = request.query.first(where: { $0.name == "appId" })?.value else { return bad("expected ?appId=") }
            let secret = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let result = await state.check(appID: appID, secret: secret)
            return EmulatorJSON.response(200, ["accepts": result == .accepted, "result": "\(result)"])

        case ("POST", ["world"]):
            guard let worlds = await state.worlds else { return EmulatorJSON.response(404, ["error": "this emulator seeds no worlds"]) }
            let plan: WorldPlan
            do {
                plan = try JSONDecoder().decode(WorldPlan.self, from: body.isEmpty ? Data("{}".utf8) : body)
            } catch {
                return bad("expected a world plan: \(error)")
            }
            let world: SeededWorld
            do {
                world = try await worlds.seed(plan)
            } catch {
                return bad("\(error)")
            }
            if request.query.contains(where: { $0.name == "format" && $0.value == "shell" }) {
                var headers = HTTPHeaders()
                headers[.contentType] = "text/x-shellscript; charset=utf-8"
                return HTTPResponse(statusCode: .ok, headers: headers, body: Data(world.shellScript.utf8))
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var headers = HTTPHeaders()
            headers[.contentType] = EmulatorJSON.jsonContentType
            return HTTPResponse(statusCode: .ok, headers: headers, body: try encoder.encode(world))

        case ("POST", ["world", "apps"]):
            guard let worlds = await state.worlds else { return EmulatorJSON.response(404, ["error": "this emulator seeds no worlds"]) }
            struct More: Decodable {
                let rotatorAppId: String
                let apps: [WorldPlan.App]
            }
            guard let more = try? JSONDecoder().decode(More.self, from: body) else {
                return bad("expected {\"rotatorAppId\": …, \"apps\": [{\"label\": …}]}")
            }
            do {
                let added = try await worlds.add(more.apps, toWorldOf: more.rotatorAppId)
                var headers = HTTPHeaders()
                headers[.contentType] = EmulatorJSON.jsonContentType
                return HTTPResponse(statusCode: .ok, headers: headers, body: try JSONEncoder().encode(added))
            } catch {
                return bad("\(error)")
            }

        case ("DELETE", ["requests"]):
            await state.clearRequests()
            return EmulatorJSON.empty(204)

        case ("GET", ["requests"]):
            let requests = await state.requests().map { request -> [String: Any] in
                [
                    "method": request.method, "path": request.path, "query": request.query, "status": request.status,
                    "operation": request.operation?.rawValue as Any? ?? NSNull(), "clientId": request.clientID as Any? ?? NSNull(),
                    "time": EmulatorJSON.format(request.time, fractionalDigits: 3),
                ]
            }
            return EmulatorJSON.response(200, ["value": requests])

        default:
            return EmulatorJSON.response(404, ["error": "unknown control endpoint \(method) \(path)"])
        }
    }
}
