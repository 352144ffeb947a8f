extension App {
    /// Every setting of this app that makes an admin act — run a process, call a server, or use
    /// another app's secret — in the order the export document holds them.
    ///
    /// This is the one place that says which fields are actions:
    /// - `rotator` (its secret creates this app's secrets);
    /// - `jamfProIssuer.url` (the Jamf Pro server that regenerates the secret), and every other
    ///   issuer setting whose format is a service URL (``IssuerSetting/isAction``), or that no
    ///   issuer declares (it cannot be checked, so it is treated as one);
    /// - each consumer's `target`: a `command=` consumer is run with the new secret on stdin, a
    ///   `jamf-pro-intune` URL is called during verification and named in the runbook;
    /// - each consumer's settings that its kind declares as actions (``ConsumerSetting/action``:
    ///   `apiClient`, whose secret authenticates to that URL, and `applyCommand`, run with the
    ///   update payload on stdin), and any setting no kind declares.
    ///
    /// Not actions: the label, app ID, tenant, cloud and issuer kind (the Entra ID endpoints
    /// follow from the cloud and the local `SECRETS_*_ENDPOINT` settings, never from an app),
    /// the Jamf Pro integration id and canary computer id (they only pick records on a server
    /// named elsewhere), policy, tags and notes. An app with no actions can be imported as plain
    /// data; `import` refuses one with actions unless told to accept them.
    public var actions: [AppAction] {
        var actions: [AppAction] = []
        if let rotator {
            actions.append(AppAction(app: label, kind: .rotator, field: "rotator", value: rotator))
        }
        if let jamfProIssuer {
            actions.append(AppAction(app: label, kind: .jamfProServer, field: "jamfProIssuer.url", value: jamfProIssuer.url))
        }
        // Any other issuer's server: whichever issuer declares the key, so that a setting of an
        // issuer the app no longer uses is still shown before it is imported.
        for (key, value) in otherIssuerSettings.sorted(by: { $0.key < $1.key }) where IssuerKind.setting(key)?.1.isAction ?? true {
            actions.append(AppAction(app: label, kind: .issuerServer, field: "issuerSettings.\(key)", value: value))
        }
        for (index, consumer) in consumers.enumerated() {
            let prefix = "consumers[\(index)]"
            let kind = consumer.kind
            actions.append(AppAction(app: label, kind: kind.targetAction, field: "\(prefix).target (\(kind.targetSummary))", value: consumer.target))
            // Whichever kind declares a setting: validation refuses a setting on a kind that
            // does not declare it, but the list must not depend on a document having been
            // validated first. A setting no kind declares cannot be checked, so it is one too.
            for (key, value) in consumer.orderedSettings {
                let declared = Consumer.Kind.allCases.lazy.compactMap { $0.settings.first { $0.key == key } }.first
                guard let action = declared.map(\.action) ?? .consumerSetting else { continue }
                actions.append(AppAction(app: label, kind: action, field: "\(prefix).\(key)", value: value))
            }
        }
        return actions
    }
}
