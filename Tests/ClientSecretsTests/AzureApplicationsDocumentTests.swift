import Foundation
import Testing

@testable import ClientSecrets

/// The fixtures (Support/AzureFixtures.swift) are shaped like real az CLI (2.37+, Graph-based) and Microsoft Graph v1.0 output, with the
/// irrelevant fields those tools emit. IDs, hints and the "secret" are made up.

private let secret = "Xq8Q~fAkEsEcReTvAlUe.DoNotStore-0123456789"
private let secretPrefix = "Xq8Q~fAkE"

private func parse(_ json: String, appID: String? = nil) throws -> AzureApplicationsDocument {
    try AzureApplicationsDocument.parse(Data(json.utf8), appID: appID)
}

/// The reason `json` is refused, recording an issue if it is accepted or fails another way.
private func failureReason(
    _ json: String, appID: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
) -> String {
    do {
        let document = try parse(json, appID: appID)
        Issue.record("expected the document to be refused, got \(document)", sourceLocation: sourceLocation)
    } catch let error as VaultError where error.code == .invalidDocument {
        guard case .invalidDocument(let reason) = error.detail else { return "" }
        return reason
    } catch {
        Issue.record("expected invalidDocument, got \(error)", sourceLocation: sourceLocation)
    }
    return ""
}

private func epoch(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }

/// Within a microsecond (or one unit in the last place, far from 1970): fractional seconds go
/// through binary floating point.
private func close(_ date: Date?, _ expected: Double) -> Bool {
    guard let date else { return false }
    return abs(date.timeIntervalSince1970 - expected) <= max(1e-6, expected.magnitude.ulp)
}

/// A one-app `az ad app list` document whose only credential has the given extra members.
private func appListWithCredential(_ members: String, appID: String = "6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9d") -> String {
    """
    [{"appId": "\(appID)", "displayName": "orders-api", "passwordCredentials": [
      {"customKeyIdentifier": null, "keyId": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", \(members)}
    ]}]
    """
}

@Suite("Azure applications document")
struct AzureApplicationsDocumentTests {
    // MARK: Shapes

    @Test func azAppListIsReadWithAllCredentialMetadata() throws {
        let document = try parse(AzureFixture.azAppList)
        #expect(document.source == .azAppList)
        try #require(document.applications.count == 2)

        let orders = document.applications[0]
        #expect(orders.appID == "6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9d")
        #expect(orders.displayName == "orders-api")
        try #require(orders.credentials.count == 2)
        let ciDeploy = orders.credentials[0]
        #expect(ciDeploy.keyID == "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d")
        #expect(ciDeploy.displayName == "ci-deploy")
        #expect(ciDeploy.hint == "q7X")
        #expect(ciDeploy.start == epoch(1_762_070_400))
        #expect(close(ciDeploy.end, 1_777_638_896.789))
        #expect(orders.credentials[1] == .init(
            keyID: "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e", displayName: nil, hint: nil,
            start: epoch(1_672_531_200), end: epoch(1_704_067_200)
        ))

        let billing = document.applications[1]
        #expect(billing == .init(appID: "7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f", displayName: "billing-worker", credentials: []))
    }

    @Test func azCredentialListBelongsToTheSuppliedApp() throws {
        let document = try parse(AzureFixture.azCredentialList, appID: "7C8D9E0F-1A2B-4C3D-9E4F-5A6B7C8D9E0F")
        #expect(document.source == .azCredentialList)
        #expect(document.applications == [
            .init(appID: "7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f", displayName: nil, credentials: [
                .init(keyID: "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f", displayName: "rotated 2025-11", hint: "Zk2",
                      start: epoch(1_762_070_400), end: epoch(1_777_638_896)),
                .init(keyID: "d4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f70", displayName: "rbac", hint: "8fV",
                      start: epoch(1_709_251_199), end: nil),
            ]),
        ])
    }

    @Test func azCredentialListWithoutAppIDAsksForIt() {
        let reason = failureReason(AzureFixture.azCredentialList)
        #expect(reason.contains("az ad app credential list"))
        #expect(reason.contains("pass --app-id"))
    }

    @Test func servicePrincipalsAreNotApplications() {
        // `az ad sp list`: a SAML app's password is its signing key's, never a client secret to hold.
        let principal = #"{"id": "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "appId": "7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f", "servicePrincipalType": "Application", "passwordCredentials": []}"#
        #expect(failureReason("[\(principal)]").contains("not the output of az ad app list"))
        let mixed = #"[{"appId": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "passwordCredentials": []}, "# + principal + "]"
        #expect(failureReason(mixed).contains("is a service principal"))
    }

    @Test func malformedSuppliedAppIDIsRefused() {
        #expect(failureReason(AzureFixture.azCredentialList, appID: "orders-api").contains("--app-id value is not a GUID"))
        #expect(failureReason("[]", appID: "6f3b1c2a9d4e4b7a8c1d2e5f6a7b8c9d").contains("--app-id value is not a GUID"))
    }

    @Test func emptyArrayIsAnEmptyAppListUnlessAnAppIDIsGiven() throws {
        let list = try parse(" [ ] ")
        #expect(list.source == .azAppList)
        #expect(list.applications.isEmpty)

        let credentials = try parse("[]", appID: "6F3B1C2A-9D4E-4B7A-8C1D-2E5F6A7B8C9D")
        #expect(credentials.source == .azCredentialList)
        #expect(credentials.applications == [.init(appID: "6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9d", displayName: nil, credentials: [])])
    }

    @Test func appIDIsIgnoredForShapesThatCarryTheirOwn() throws {
        let document = try parse(AzureFixture.azAppList, appID: "00000000-0000-0000-0000-000000000000")
        #expect(document.applications.map(\.appID) == ["6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9d", "7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f"])
    }

    @Test func graphCollectionIsReadAndNextLinkIgnored() throws {
        let document = try parse(AzureFixture.graphApplications)
        #expect(document.source == .graphApplications)
        #expect(document.applications == [
            .init(appID: "8d9e0f1a-2b3c-4d4e-8f5a-6b7c8d9e0f1a", displayName: "reporting", credentials: [
                .init(keyID: "e5f6a7b8-c9d0-4e1f-9a2b-3c4d5e6f7a8b", displayName: "prod", hint: "~Qa",
                      start: epoch(1_762_070_400), end: epoch(1_777_638_896)),
            ]),
            .init(appID: "9e0f1a2b-3c4d-4e5f-9a6b-7c8d9e0f1a2b", displayName: nil, credentials: []),
        ])
    }

    @Test func emptyGraphCollectionHasNoApplications() throws {
        let document = try parse(#"{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#applications", "value": []}"#)
        #expect(document == AzureApplicationsDocument(source: .graphApplications, applications: []))
    }

    @Test func singleGraphApplicationIsRead() throws {
        let document = try parse(AzureFixture.graphSingleApplication)
        #expect(document.source == .graphApplications)
        #expect(document.applications == [
            .init(appID: "0f1a2b3c-4d5e-4f6a-8b7c-8d9e0f1a2b3c", displayName: "legacy-sync", credentials: [
                .init(keyID: "f6a7b8c9-d0e1-4f2a-8b3c-4d5e6f7a8b9c", displayName: "expired one", hint: "aB1",
                      start: epoch(1_672_531_200), end: epoch(1_704_067_200)),
            ]),
        ])
    }

    @Test func applicationWithoutPasswordCredentialsMemberHasNone() throws {
        let document = try parse(#"{"value": [{"appId": "8d9e0f1a-2b3c-4d4e-8f5a-6b7c8d9e0f1a", "displayName": "x"}]}"#)
        #expect(document.applications.first?.credentials == [])
        #expect(try parse(#"[{"appId": "8d9e0f1a-2b3c-4d4e-8f5a-6b7c8d9e0f1a", "passwordCredentials": null}]"#)
            .applications.first?.credentials == [])
    }

    @Test func utf16WithByteOrderMarkIsRead() throws {
        // What `az ad app list > apps.json` writes in Windows PowerShell 5.1.
        var bytes = Data([0xFF, 0xFE])
        for unit in AzureFixture.azCredentialList.utf16 { bytes.append(contentsOf: [UInt8(unit & 0xFF), UInt8(unit >> 8)]) }
        let document = try AzureApplicationsDocument.parse(bytes, appID: "7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f")
        #expect(document.applications.first?.credentials.map(\.hint) == ["Zk2", "8fV"])
    }

    // MARK: Fields

    @Test(arguments: [
        ("2026-05-01T12:34:56Z", 1_777_638_896.0),
        ("2026-05-01T12:34:56.789Z", 1_777_638_896.789),
        ("2026-05-01T12:34:56.7890000Z", 1_777_638_896.789),
        ("2024-01-01T00:00:00.0000000Z", 1_704_067_200.0),
        ("2024-01-01T00:00:00.1234567Z", 1_704_067_200.1234567),
        ("2026-05-01T12:34:56+00:00", 1_777_638_896.0),
        ("2026-05-01T12:34:56.5+00:00", 1_777_638_896.5),
        ("2026-05-01T18:04:56+05:30", 1_777_638_896.0),
        ("2026-05-01T04:34:56-08:00", 1_777_638_896.0),
        ("2026-05-01T04:34:56-0800", 1_777_638_896.0),
        ("2026-05-01t12:34:56z", 1_777_638_896.0),
        ("2024-02-29T23:59:59Z", 1_709_251_199.0),
        ("0001-01-01T00:00:00Z", -62_135_596_800.0),
        ("9999-12-31T23:59:59.9999999Z", 253_402_300_799.9999999),
    ])
    func dateVariantsAreRead(text: String, expected: Double) throws {
        let document = try parse(appListWithCredential(#""startDateTime": "\#(text)", "endDateTime": "\#(text)""#))
        let credential = try #require(document.applications.first?.credentials.first)
        #expect(close(credential.start, expected))
        #expect(close(credential.end, expected))
    }

    @Test(arguments: [
        #""2026-05-01""#, #""2026-05-01T12:34:56""#, #""2026-05-01 12:34:56Z""#, #""2026-13-01T00:00:00Z""#,
        #""2025-02-29T00:00:00Z""#, #""2026-04-31T00:00:00Z""#, #""2026-05-01T24:00:00Z""#, #""2026-05-01T12:60:00Z""#,
        #""2026-05-01T12:34:56.Z""#, #""2026-05-01T12:34:56+25:00""#, #""2026-05-01T12:34:56Z ""#, #""""#,
        #""tomorrow""#, "1777638896", "true", #"{"dateTime": "2026-05-01T12:34:56Z"}"#,
    ])
    func malformedEndDateTimeIsRefused(value: String) {
        let reason = failureReason(appListWithCredential(#""startDateTime": "2025-11-02T08:00:00Z", "endDateTime": \#(value)"#))
        #expect(reason.hasPrefix("passwordCredential 1 of app 6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9d has a malformed endDateTime"))
    }

    @Test func malformedStartDateTimeIsNamed() {
        let reason = failureReason(appListWithCredential(#""startDateTime": "2025-11-02", "endDateTime": null"#))
        #expect(reason.contains("passwordCredential 1 of app 6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9d has a malformed startDateTime"))
    }

    @Test func nullAndMissingOptionalFieldsAreNil() throws {
        let nulls = try parse(appListWithCredential(#""displayName": null, "hint": null, "startDateTime": null, "endDateTime": null"#))
        let missing = try parse(appListWithCredential(#""secretText": null"#))
        for document in [nulls, missing] {
            #expect(document.applications.first?.credentials == [
                .init(keyID: "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", displayName: nil, hint: nil, start: nil, end: nil),
            ])
        }
    }

    @Test func wronglyTypedStringFieldsAreRefused() {
        #expect(failureReason(appListWithCredential(#""hint": 123"#))
            == "passwordCredential 1 of app 6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9d has a malformed hint (expected a string)")
        #expect(failureReason(#"[{"appId": "6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9d", "displayName": ["x"]}]"#)
            == "application 1 has a malformed displayName (expected a string)")
    }

    @Test func uppercaseGUIDsAreLowercased() throws {
        let document = try parse(appListWithCredential(#""hint": "AbC""#, appID: "ABCDEF01-2345-4789-ABCD-EF0123456789"))
        let app = try #require(document.applications.first)
        #expect(app.appID == "abcdef01-2345-4789-abcd-ef0123456789")
        #expect(app.credentials.first?.keyID == "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d")
        #expect(app.credentials.first?.hint == "AbC")  // Hints are not IDs: kept as given.
    }

    // MARK: secretText

    @Test func secretTextIsIgnored() throws {
        let document = try parse(appListWithCredential(
            #""displayName": "fresh", "hint": "Xq8", "secretText": "\#(secret)", "startDateTime": "2025-11-02T08:00:00Z""#
        ))
        #expect(document.applications.first?.credentials == [
            .init(keyID: "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", displayName: "fresh", hint: "Xq8", start: epoch(1_762_070_400), end: nil),
        ])
        var dumped = ""
        dump(document, to: &dumped)
        for rendering in [dumped, String(describing: document), String(reflecting: document)] {
            #expect(!rendering.contains(secretPrefix))
        }
    }

    @Test(arguments: [
        #""keyId": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", "secretText": "SECRET", "endDateTime": "SECRET""#,
        #""keyId": "SECRET", "secretText": "SECRET""#,
        #""keyId": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", "secretText": "SECRET", "displayName": 7"#,
    ])
    func errorsInTheSameDocumentDoNotMentionSecretText(members: String) throws {
        let json = #"[{"appId": "6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9d", "passwordCredentials": [{\#(members)}]}]"#
            .replacingOccurrences(of: "SECRET", with: secret)
        do {
            _ = try parse(json)
            Issue.record("expected the document to be refused")
        } catch let error as VaultError {
            guard case .invalidDocument(let reason) = error.detail else { Issue.record("unexpected \(error)"); return }
            #expect(reason.hasPrefix("passwordCredential 1 of app 6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9d has a malformed"))
            #expect(!reason.contains(secretPrefix))
            #expect(!error.description.contains(secretPrefix))
        }
    }

    @Test func truncatedJSONDoesNotEchoSecretText() {
        let reason = failureReason(#"[{"appId": "6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9d", "passwordCredentials": [{"secretText": "\#(secret)"#)
        #expect(reason == "not JSON")
    }

    // MARK: Errors

    @Test func notJSONIsRefused() {
        #expect(failureReason("appId,displayName\n6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9d,orders-api") == "not JSON")
        #expect(failureReason("") == "not JSON")
    }

    @Test(arguments: [
        #"{"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges"}}"#,
        #"{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users", "value": [{"id": "x", "userPrincipalName": "a@b.c"}]}"#,
        #"{"value": "nope"}"#, #"[1, 2, 3]"#, #"[{"name": "vm1"}]"#, #""6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9d""#, "42", "null",
    ])
    func otherJSONIsNotRecognised(json: String) {
        #expect(failureReason(json) == "not the output of az ad app list, az ad app credential list or Graph /applications")
    }

    @Test func applicationWithoutAppIDIsNamedByPosition() throws {
        var apps = (1...3).map { #"{"appId": "6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9\#($0)", "passwordCredentials": []}"# }
        apps[2] = #"{"id": "0a1b2c3d-4e5f-4061-8273-94a5b6c7d8e9", "displayName": "no app id", "passwordCredentials": []}"#
        #expect(failureReason("[\(apps.joined(separator: ","))]") == "application 3 has no appId")
        #expect(failureReason(#"{"value": [{"appId": null, "passwordCredentials": []}]}"#) == "application 1 has no appId")
        #expect(failureReason(#"{"displayName": "x", "passwordCredentials": []}"#) == "application 1 has no appId")
    }

    @Test func malformedAppIDIsRefused() {
        for appID in ["orders-api", "6f3b1c2a9d4e4b7a8c1d2e5f6a7b8c9d", "{6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9d}", "6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9g"] {
            #expect(failureReason(#"[{"appId": "\#(appID)"}]"#) == "application 1 has a malformed appId (expected a GUID)")
        }
        #expect(failureReason(#"[{"appId": 12345}]"#) == "application 1 has a malformed appId (expected a GUID)")
    }

    @Test func missingOrMalformedKeyIDIsRefused() {
        let credentials = #"[{"keyId": "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f"}, {"keyId": "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6"}]"#
        #expect(failureReason(credentials, appID: "7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f")
            == "passwordCredential 2 of app 7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f has a malformed keyId (expected a GUID)")
        #expect(failureReason(#"[{"appId": "6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9d", "passwordCredentials": [{"keyId": null, "hint": "abc"}]}]"#)
            == "passwordCredential 1 of app 6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9d has no keyId")
    }

    @Test func duplicateKeyIDWithinAnAppIsRefused() {
        // Same GUID in different case: still the same credential.
        let credentials = """
            [{"keyId": "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f"}, {"keyId": "d4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f70"},
             {"keyId": "C3D4E5F6-A7B8-4C9D-8E0F-1A2B3C4D5E6F"}]
            """
        #expect(failureReason(credentials, appID: "7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f")
            == "passwordCredential 3 of app 7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f repeats keyId c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f of passwordCredential 1")
    }

    @Test func sameKeyIDInDifferentAppsIsAccepted() throws {
        let credential = #"[{"keyId": "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f"}]"#
        let document = try parse("""
            [{"appId": "6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9d", "passwordCredentials": \(credential)},
             {"appId": "7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f", "passwordCredentials": \(credential)}]
            """)
        #expect(document.applications.map(\.credentials.count) == [1, 1])
    }

    @Test func duplicateAppIDIsRefused() {
        let json = """
            {"value": [
              {"appId": "6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9d", "passwordCredentials": []},
              {"appId": "7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f", "passwordCredentials": []},
              {"appId": "6F3B1C2A-9D4E-4B7A-8C1D-2E5F6A7B8C9D", "passwordCredentials": []}
            ]}
            """
        #expect(failureReason(json) == "application 3 repeats appId 6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9d of application 1")
    }

    @Test func structurallyWrongMembersAreRefused() {
        #expect(failureReason(#"[{"appId": "6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9d", "passwordCredentials": {"keyId": "x"}}]"#)
            == "application 1 has a malformed passwordCredentials (expected an array)")
        #expect(failureReason(#"[{"appId": "6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9d", "passwordCredentials": ["abc"]}]"#)
            == "passwordCredential 1 of app 6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9d is not a JSON object")
        #expect(failureReason(#"[{"appId": "6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9d"}, "orders-api"]"#)
            == "application 2 is not a JSON object")
    }
}
