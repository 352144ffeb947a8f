import CryptoPrimitives
import FlyingFox
import Foundation

/// Graph's `addKey` and `removeKey` (v1.0, "application: addKey", "application: removeKey"):
/// an application rolls its certificates by proving possession of one it already has.
///
/// `addKey` takes `{"keyCredential": {"type": "AsymmetricX509Cert", "usage": "Verify", "key":
/// base64 DER, "displayName"?}, "passwordCredential": null, "proof": JWT}` and answers 200 with
/// the new `keyCredential`; `removeKey` takes `{"keyId", "proof"}` and answers 204. An
/// application without a valid certificate cannot use them (the page's note). Graph does not
/// document its error for a proof it refuses; the emulator answers 400 `Request_BadRequest`
/// naming what was wrong.
extension EntraGraphAPI {
    func rollKey(
        adding: Bool, application: EntraEmulatorState.Application, request: HTTPRequest, error: (Int, String, String) -> HTTPResponse
    ) async -> HTTPResponse {
        let body = (try? await request.bodyData) ?? Data()
        guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else {
            return error(400, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
        }
        guard let proof = object["proof"] as? String else {
            return error(400, "Request_BadRequest", "The proof of possession is required.")
        }
        if let problem = AssertionCheck.proofProblem(proof, objectID: application.objectID, certificates: application.certificates, now: Date()) {
            return error(400, "Request_BadRequest", "Invalid proof of possession: \(problem).")
        }
        guard adding else {
            guard let keyID = object["keyId"] as? String, UUID(uuidString: keyID) != nil else {
                return error(400, "Request_BadRequest", "Invalid value specified for property 'keyId' of resource 'KeyCredential'.")
            }
            guard application.certificates.contains(where: { $0.keyID == keyID.lowercased() }),
                  await state.removeCredential(appID: application.appID, keyID: keyID)
            else {
                return error(400, "Request_BadRequest", "No key credential with keyId '\(keyID.lowercased())' exists on the application.")
            }
            return EmulatorJSON.empty(204)
        }
        guard let credential = object["keyCredential"] as? [String: Any], credential["type"] as? String == "AsymmetricX509Cert",
              credential["usage"] as? String == "Verify", let text = credential["key"] as? String, let der = Data(base64Encoded: text),
              let parsed = try? X509Certificate(der: Array(der)), let sha1 = try? parsed.sha1Thumbprint()
        else {
            return error(400, "Request_BadRequest", "Invalid keyCredential: an AsymmetricX509Cert with usage Verify and the certificate's DER as key is required.")
        }
        guard parsed.notAfter > Date() else { return error(400, "Request_BadRequest", "The certificate has expired.") }
        guard let added = await state.addCertificate(
            appID: application.appID, keyID: nil, displayName: credential["displayName"] as? String ?? parsed.subject, thumbprint: sha1,
            start: parsed.notBefore, end: parsed.notAfter, der: Array(der))
        else { return error(404, "Request_ResourceNotFound", "The application was deleted meanwhile.") }
        return EmulatorJSON.response(200, Self.json(added), contentType: EmulatorJSON.graphContentType)
    }
}
