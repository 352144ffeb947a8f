import ClientSecrets

extension AppFieldOptions {
    /// The consumer settings given, by kind: `--consumer-setting KEY=VALUE` (KEY a setting's key
    /// or its flag) and the Jamf Pro flags, which are the same settings under their own names.
    func givenConsumerSettings() throws -> [(kind: Consumer.Kind, setting: ConsumerSetting, value: String)] {
        var given: [(String, String)] = []
        if let jamfApiClient { given.append(("apiClient", jamfApiClient)) }
        if let jamfCanary { given.append(("canaryComputerID", jamfCanary)) }
        if let applyCommand { given.append(("applyCommand", applyCommand)) }
        for text in consumerSetting {
            let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 else {
                throw VaultError.invalidValue(field: "consumer-setting", reason: "\"\(text.prefix(64))\" is not key=value")
            }
            given.append((parts[0], parts[1]))
        }
        return try given.map { key, value in
            for kind in Consumer.Kind.allCases {
                if let setting = kind.settings.first(where: { $0.key == key || $0.flag == key }) { return (kind, setting, value) }
            }
            let known = Consumer.Kind.allCases.flatMap { kind in kind.settings.map { "\($0.key) (\(kind.rawValue))" } }.joined(separator: ", ")
            throw VaultError.invalidValue(field: "consumer-setting", reason: "no consumer kind has a setting \"\(key.prefix(64))\"; known: \(known)")
        }
    }

    /// Sets each given consumer setting on the first consumer of the kind that declares it (as
    /// the Jamf Pro flags always did); an empty value clears it.
    func applyConsumerSettings(to consumers: inout [Consumer]) throws {
        let given = try givenConsumerSettings()
        for kind in Consumer.Kind.allCases {
            let settings = given.filter { $0.kind == kind }
            guard !settings.isEmpty else { continue }
            guard let index = consumers.firstIndex(where: { $0.kind == kind }) else {
                let flags = kind.settings.map { "--" + $0.flag }
                let named = flags.count > 1 ? flags.dropLast().joined(separator: ", ") + " and " + flags.last! : flags.joined()
                throw CLIError.usage("\(named) need a --consumer \(kind.rawValue)=\(kind == .command ? "COMMAND" : "URL")")
            }
            for (_, setting, value) in settings {
                consumers[index].settings[setting.key] = value.isEmpty ? nil : value
            }
        }
    }
}
