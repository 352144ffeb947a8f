import ClientSecrets
import Foundation
import Testing
@testable import EntraID

@Suite("endpoints per cloud and overrides")
struct EndpointTests {
    @Test("without overrides each cloud uses its own hosts and Graph scope", arguments: [
        (Cloud.global, "login.microsoftonline.com", "graph.microsoft.com"),
        (Cloud.usgov, "login.microsoftonline.us", "graph.microsoft.us"),
        (Cloud.usgovDoD, "login.microsoftonline.us", "dod-graph.microsoft.us"),
        (Cloud.china, "login.chinacloudapi.cn", "microsoftgraph.chinacloudapi.cn"),
    ])
    func defaults(cloud: Cloud, login: String, graph: String) throws {
        let endpoints = try EntraEndpoints(cloud: cloud, environment: [:])
        #expect(endpoints.login.absoluteString == "https://\(login)")
        #expect(endpoints.graph.absoluteString == "https://\(graph)")
        #expect(endpoints.scope == "https://\(graph)/.default")
        #expect(endpoints.tokenURL(tenant: "contoso.onmicrosoft.com").absoluteString == "https://\(login)/contoso.onmicrosoft.com/oauth2/v2.0/token")
        #expect(endpoints.graphURL("applications(appId='x')")?.absoluteString == "https://\(graph)/v1.0/applications(appId='x')")
    }

    @Test("https overrides replace the hosts but not the scope; a trailing slash is dropped")
    func httpsOverride() throws {
        let endpoints = try EntraEndpoints(cloud: .usgov, environment: [
            EntraEndpoints.loginVariable: "https://login.proxy.example/",
            EntraEndpoints.graphVariable: "https://graph.proxy.example/prefix",
        ])
        #expect(endpoints.login.absoluteString == "https://login.proxy.example")
        #expect(endpoints.graph.absoluteString == "https://graph.proxy.example/prefix")
        #expect(endpoints.scope == "https://graph.microsoft.us/.default")
        #expect(endpoints.graphURL("applications/1/addPassword")?.absoluteString == "https://graph.proxy.example/prefix/v1.0/applications/1/addPassword")
    }

    @Test("plain http is accepted on loopback only, and the error names the variable")
    func httpOnlyOnLoopback() throws {
        _ = try EntraEndpoints(cloud: .global, environment: [EntraEndpoints.graphVariable: "http://127.0.0.1:8080"])
        _ = try EntraEndpoints(cloud: .global, environment: [EntraEndpoints.loginVariable: "http://localhost:8080"])
        _ = try EntraEndpoints(cloud: .global, environment: [EntraEndpoints.loginVariable: "http://[::1]:8080"])
        for (variable, value) in [
            (EntraEndpoints.graphVariable, "http://graph.example.com"),
            (EntraEndpoints.loginVariable, "http://10.0.0.5:8080"),
            (EntraEndpoints.loginVariable, "ftp://login.example.com"),
            (EntraEndpoints.graphVariable, "https://user:pass@graph.example.com"),
            (EntraEndpoints.graphVariable, "https://graph.example.com/?x=1"),
            (EntraEndpoints.graphVariable, "not a url"),
        ] {
            do {
                _ = try EntraEndpoints(cloud: .global, environment: [variable: value])
                Issue.record("\(value) was accepted for \(variable)")
            } catch let failure as RotationFailure {
                guard failure.code == .misconfigured else {
                    Issue.record("unexpected \(failure)")
                    continue
                }
                let text = failure.reason
                #expect(text.hasPrefix(variable), "\(text)")
            }
        }
    }

    @Test("an empty override counts as none")
    func emptyOverride() throws {
        let endpoints = try EntraEndpoints(cloud: .china, environment: [EntraEndpoints.graphVariable: " ", EntraEndpoints.loginVariable: ""])
        #expect(endpoints.graph.absoluteString == "https://microsoftgraph.chinacloudapi.cn")
        #expect(endpoints.login.absoluteString == "https://login.chinacloudapi.cn")
    }
}
