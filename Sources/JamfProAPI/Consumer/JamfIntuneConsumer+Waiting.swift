import ClientSecrets

extension JamfIntuneConsumer {
    /// Only with an API client and a canary is there a check whose `.needsPerson` means "not
    /// verified yet" (the app waits for a person). Without them, verify's text is advice for the
    /// notes: the apply command's exit status is all there is, as before issue 13.
    public var unverifiedWaitsForPerson: Bool { apiClient != nil && consumer.canaryComputerID != nil }
}
