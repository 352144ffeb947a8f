import Foundation

/// Azure JSON as `az ad app list`, `az ad app credential list` and Graph `/applications` print it,
/// with the irrelevant fields real output carries.
enum AzureFixture {
    static let azAppList = """
        [
          {
            "addIns": [],
            "api": {
              "acceptMappedClaims": null,
              "knownClientApplications": [],
              "oauth2PermissionScopes": [],
              "preAuthorizedApplications": [],
              "requestedAccessTokenVersion": null
            },
            "appId": "6F3B1C2A-9D4E-4B7A-8C1D-2E5F6A7B8C9D",
            "appRoles": [],
            "applicationTemplateId": null,
            "certification": null,
            "createdDateTime": "2023-03-14T09:26:53Z",
            "defaultRedirectUri": null,
            "deletedDateTime": null,
            "description": null,
            "disabledByMicrosoftStatus": null,
            "displayName": "orders-api",
            "groupMembershipClaims": null,
            "id": "0a1b2c3d-4e5f-4061-8273-94a5b6c7d8e9",
            "identifierUris": ["api://6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9d"],
            "info": {"logoUrl": null, "marketingUrl": null, "privacyStatementUrl": null, "supportUrl": null, "termsOfServiceUrl": null},
            "isDeviceOnlyAuthSupported": null,
            "isFallbackPublicClient": null,
            "keyCredentials": [
              {
                "customKeyIdentifier": "QkE5RjE4QjM3QjQ3RjI5QUY4MkU3NjY2RTM4N0IyQzZBRDM1NkY5Mw==",
                "displayName": "CN=orders-api",
                "endDateTime": "2026-03-14T09:16:53Z",
                "key": null,
                "keyId": "11111111-2222-4333-8444-555555555555",
                "startDateTime": "2025-03-14T09:16:53Z",
                "type": "AsymmetricX509Cert",
                "usage": "Verify"
              }
            ],
            "notes": null,
            "optionalClaims": null,
            "parentalControlSettings": {"countriesBlockedForMinors": [], "legalAgeGroupRule": "Allow"},
            "passwordCredentials": [
              {
                "customKeyIdentifier": null,
                "displayName": "ci-deploy",
                "endDateTime": "2026-05-01T12:34:56.789Z",
                "hint": "q7X",
                "keyId": "A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D",
                "secretText": null,
                "startDateTime": "2025-11-02T08:00:00Z"
              },
              {
                "customKeyIdentifier": null,
                "displayName": null,
                "endDateTime": "2024-01-01T00:00:00.0000000Z",
                "hint": null,
                "keyId": "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e",
                "secretText": null,
                "startDateTime": "2023-01-01T00:00:00.0000000Z"
              }
            ],
            "publicClient": {"redirectUris": []},
            "publisherDomain": "contoso.onmicrosoft.com",
            "requiredResourceAccess": [
              {
                "resourceAccess": [{"id": "e1fe6dd8-ba31-4d61-89e7-88639da4683d", "type": "Scope"}],
                "resourceAppId": "00000003-0000-0000-c000-000000000000"
              }
            ],
            "samlMetadataUrl": null,
            "serviceManagementReference": null,
            "signInAudience": "AzureADMyOrg",
            "spa": {"redirectUris": []},
            "tags": [],
            "tokenEncryptionKeyId": null,
            "verifiedPublisher": {"addedDateTime": null, "displayName": null, "verifiedPublisherId": null},
            "web": {
              "homePageUrl": null,
              "implicitGrantSettings": {"enableAccessTokenIssuance": false, "enableIdTokenIssuance": false},
              "logoutUrl": null,
              "redirectUriSettings": [],
              "redirectUris": []
            }
          },
          {
            "addIns": [],
            "appId": "7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f",
            "appRoles": [],
            "createdDateTime": "2024-06-01T10:00:00Z",
            "displayName": "billing-worker",
            "id": "1b2c3d4e-5f60-4172-8394-a5b6c7d8e9f0",
            "keyCredentials": [],
            "passwordCredentials": [],
            "signInAudience": "AzureADMyOrg",
            "tags": []
          }
        ]
        """

    static let azCredentialList = """
        [
          {
            "customKeyIdentifier": null,
            "displayName": "rotated 2025-11",
            "endDateTime": "2026-05-01T12:34:56+00:00",
            "hint": "Zk2",
            "keyId": "C3D4E5F6-A7B8-4C9D-8E0F-1A2B3C4D5E6F",
            "secretText": null,
            "startDateTime": "2025-11-02T08:00:00.000Z"
          },
          {
            "customKeyIdentifier": "cmJhYw==",
            "displayName": "rbac",
            "endDateTime": null,
            "hint": "8fV",
            "keyId": "d4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f70",
            "secretText": null,
            "startDateTime": "2024-02-29T23:59:59Z"
          }
        ]
        """

    static let graphApplications = """
        {
          "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#applications(appId,displayName,passwordCredentials)",
          "@odata.nextLink": "https://graph.microsoft.com/v1.0/applications?$select=appId,displayName,passwordCredentials&$skiptoken=RFNwdAIAAQAAAB",
          "value": [
            {
              "appId": "8d9e0f1a-2b3c-4d4e-8f5a-6b7c8d9e0f1a",
              "displayName": "reporting",
              "passwordCredentials": [
                {
                  "customKeyIdentifier": null,
                  "displayName": "prod",
                  "endDateTime": "2026-05-01T12:34:56Z",
                  "hint": "~Qa",
                  "keyId": "e5f6a7b8-c9d0-4e1f-9a2b-3c4d5e6f7a8b",
                  "secretText": null,
                  "startDateTime": "2025-11-02T08:00:00Z"
                }
              ]
            },
            {
              "appId": "9e0f1a2b-3c4d-4e5f-9a6b-7c8d9e0f1a2b",
              "displayName": null,
              "passwordCredentials": []
            }
          ]
        }
        """

    static let graphSingleApplication = """
        {
          "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#applications/$entity",
          "id": "2c3d4e5f-6071-4283-94a5-b6c7d8e9f0a1",
          "deletedDateTime": null,
          "appId": "0F1A2B3C-4D5E-4F6A-8B7C-8D9E0F1A2B3C",
          "applicationTemplateId": null,
          "createdDateTime": "2022-09-30T18:02:11Z",
          "displayName": "legacy-sync",
          "signInAudience": "AzureADMultipleOrgs",
          "tags": ["HideApp"],
          "keyCredentials": [],
          "passwordCredentials": [
            {
              "customKeyIdentifier": null,
              "displayName": "expired one",
              "endDateTime": "2024-01-01T00:00:00Z",
              "hint": "aB1",
              "keyId": "f6a7b8c9-d0e1-4f2a-8b3c-4d5e6f7a8b9c",
              "secretText": null,
              "startDateTime": "2023-01-01T05:30:00+05:30"
            }
          ]
        }
        """
}
