import FlyingFox
import Foundation

/// Everything the Jamf Pro emulator remembers, behind one actor so that concurrent requests and
/// test code see consistent state.
actor JamfProEmulatorState {
    var configuration: JamfProEmulator.Configuration
    /// API clients by lowercased client ID.
    private(set) var clients: [String: JamfProEmulator.APIClient] = [:]
    private var tokens: [String: JamfProEmulator.IssuedToken] = [:]
    /// Every token ever issued: what must never show up in a log.
    private(set) var issuedTokens: [String] = []
    private(set) var computers: [String: JamfProEmulator.Computer] = [:]
    private(set) var integration: JamfProEmulator.ConfiguredIntegration?
    private var faults: [JamfProEmulator.Operation: [JamfProEmulator.PendingFault]] = [:]
    private(set) var log: [JamfProEmulator.RecordedRequest] = []
    private var server: HTTPServer?
    private var serverTask: Task<Void, Error>?

    init(configuration: JamfProEmulator.Configuration) {
        self.configuration = configuration
    }

    // MARK: Server lifetime

    func attach(_ server: HTTPServer, task: Task<Void, Error>) {
        self.server = server
        self.serverTask = task
    }

    func detach() -> (HTTPServer, Task<Void, Error>)? {
        defer {
            server = nil
            serverTask = nil
        }
        guard let server, let serverTask else { return nil }
        return (server, serverTask)
    }

    var isRunning: Bool { server != nil }

    // MARK: Setup

    func setConfiguration(_ configuration: JamfProEmulator.Configuration) { self.configuration = configuration }

    func register(_ client: JamfProEmulator.APIClient) {
        clients = clients.filter { $0.value.integrationID != client.integrationID }
        clients[client.clientID.lowercased()] = client
    }

    /// Adds a computer whose last inventory report is its enrolment, now.
    func addComputer(id: String, complianceState: String, applicable: Bool, complianceVendor: String = "Microsoft Intune") {
        let vendorID = UUID().uuidString.lowercased()
        computers[id] = JamfProEmulator.Computer(
            complianceState: complianceState, applicable: applicable, vendorDeviceID: vendorID, complianceVendor: complianceVendor,
            reportDate: Self.timestamp(Date()))
    }

    /// Records an inventory report of computer `id` made now while the integration held `secret`;
    /// `reportDate` replaces the date answered (any text, for hostile answers). False for an unknown computer.
    func report(id: String, secret: String, worked: Bool, reportDate: String? = nil) -> Bool {
        guard var computer = computers[id] else { return false }
        let now = Date()
        computer.lastReport = JamfProEmulator.InventoryReport(date: now, secret: secret, worked: worked)
        computer.reportDate = reportDate ?? Self.timestamp(now)
        computers[id] = computer
        return true
    }

    /// Jamf Pro's timestamp format: ISO 8601 in UTC with milliseconds, rounded up so that a report
    /// made a fraction of a millisecond after something never reads as made before it.
    static func timestamp(_ date: Date) -> String {
        // The formatter truncates, and 0.330 may be stored as 0.3299…: aim inside the millisecond.
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded(.up) / 1000 + 0.0004
        return Date(timeIntervalSince1970: milliseconds).formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// Regeneration answers queued by ``JamfProEmulator/answerNextRegeneration(with:)``.
    private(set) var hostileRegenerations: [JamfProEmulator.HostileRegeneration] = []

    func queueHostileRegeneration(_ answer: JamfProEmulator.HostileRegeneration) { hostileRegenerations.append(answer) }

    func takeHostileRegeneration() -> JamfProEmulator.HostileRegeneration? {
        hostileRegenerations.isEmpty ? nil : hostileRegenerations.removeFirst()
    }

    func configure(_ integration: JamfProEmulator.ConfiguredIntegration?) { self.integration = integration }

    func setEnabled(_ enabled: Bool) { integration?.enabled = enabled }

    // MARK: Faults

    func inject(_ fault: JamfProEmulator.Fault, on operation: JamfProEmulator.Operation, times: Int) {
        guard times > 0 else { return }
        faults[operation, default: []].append(JamfProEmulator.PendingFault(fault: fault, remaining: times))
    }

    func clearFaults() { faults = [:] }

    /// The next fault for `operation`, counting it as fired.
    func takeFault(for operation: JamfProEmulator.Operation) -> JamfProEmulator.Fault? {
        guard var queue = faults[operation], !queue.isEmpty else { return nil }
        let fault = queue[0].fault
        queue[0].remaining -= 1
        if queue[0].remaining <= 0 { queue.removeFirst() }
        faults[operation] = queue
        return fault
    }

    // MARK: Authentication

    func client(_ clientID: String) -> JamfProEmulator.APIClient? { clients[clientID.lowercased()] }

    func client(integrationID: String) -> JamfProEmulator.APIClient? {
        clients.values.first { $0.integrationID == integrationID }
    }

    func issueToken(for clientID: String) -> (token: String, lifetime: TimeInterval) {
        var generator = SystemRandomNumberGenerator()
        let token = (0..<4).map { _ in String(generator.next() as UInt64, radix: 16) }.joined(separator: ".")
        tokens[token] = JamfProEmulator.IssuedToken(clientID: clientID.lowercased(), expires: Date().addingTimeInterval(configuration.tokenLifetime))
        issuedTokens.append(token)
        return (token, configuration.tokenLifetime)
    }

    /// The client a bearer token belongs to, while it is valid. Tokens issued before a
    /// regeneration stay valid until they expire: regenerating changes the secret, not the tokens.
    func bearer(_ token: String) -> JamfProEmulator.APIClient? {
        guard let issued = tokens[token], issued.expires > Date() else { return nil }
        return clients[issued.clientID]
    }

    /// A new secret for the integration's client; the old one stops working at once.
    func regenerate(integrationID: String) -> JamfProEmulator.APIClient? {
        guard var client = client(integrationID: integrationID) else { return nil }
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        client.secret = String((0..<64).map { _ in alphabet[Int(generator.next() as UInt64 % UInt64(alphabet.count))] })
        clients[client.clientID.lowercased()] = client
        return client
    }

    // MARK: Record

    func record(_ request: JamfProEmulator.RecordedRequest) { log.append(request) }
}
