/// What the next `addPassword` answer says instead of the truth: the values a hostile, spoofed or
/// broken Graph could send. The emulator still creates the secret as asked (a real key id, a real
/// value, the requested display name and dates), so a client that refuses the answer must find and
/// remove that secret by its marker, as it would after a lost answer.
///
/// Each field left `nil` keeps the true value. With ``errorStatus``, the answer is a Graph error
/// with ``errorCode`` and ``errorMessage`` instead (and nothing is created): a server that quotes
/// anything it likes in an error.
public struct HostileAnswer: Sendable, Hashable {
    /// The `keyId` to answer (any string, or a key id the app already holds).
    public var keyID: String?
    /// The `secretText` to answer.
    public var secretText: String?
    /// A `secretText` of this many `A` characters (instead of ``secretText``), for size limits.
    public var secretTextLength: Int?
    /// The `startDateTime` to answer, as written (need not be a date).
    public var startDateTime: String?
    /// The `endDateTime` to answer, as written.
    public var endDateTime: String?
    /// The `displayName` to answer.
    public var displayName: String?
    /// Answer a Graph error with this status instead of the credential.
    public var errorStatus: Int?
    /// The error's `code` (default `Request_BadRequest`).
    public var errorCode: String?
    /// The error's `message`.
    public var errorMessage: String?

    /// Creates a hostile answer; every field is optional.
    public init(
        keyID: String? = nil, secretText: String? = nil, secretTextLength: Int? = nil, startDateTime: String? = nil,
        endDateTime: String? = nil, displayName: String? = nil, errorStatus: Int? = nil, errorCode: String? = nil,
        errorMessage: String? = nil
    ) {
        self.keyID = keyID
        self.secretText = secretText
        self.secretTextLength = secretTextLength
        self.startDateTime = startDateTime
        self.endDateTime = endDateTime
        self.displayName = displayName
        self.errorStatus = errorStatus
        self.errorCode = errorCode
        self.errorMessage = errorMessage
    }

    /// Reads the control API's JSON (`{"keyId"?, "secretText"?, "secretTextLength"?, "startDateTime"?,
    /// "endDateTime"?, "displayName"?, "errorStatus"?, "errorCode"?, "errorMessage"?}`).
    init(json object: [String: Any]) {
        self.init(
            keyID: object["keyId"] as? String, secretText: object["secretText"] as? String,
            secretTextLength: object["secretTextLength"] as? Int, startDateTime: object["startDateTime"] as? String,
            endDateTime: object["endDateTime"] as? String, displayName: object["displayName"] as? String,
            errorStatus: object["errorStatus"] as? Int, errorCode: object["errorCode"] as? String,
            errorMessage: object["errorMessage"] as? String)
    }

    /// `json` (a passwordCredential as the emulator answers it) with the hostile values put in.
    func apply(to json: [String: Any]) -> [String: Any] {
        var json = json
        if let keyID { json["keyId"] = keyID }
        if let secretTextLength {
            json["secretText"] = String(repeating: "A", count: max(0, secretTextLength))
        } else if let secretText {
            json["secretText"] = secretText
        }
        if let startDateTime { json["startDateTime"] = startDateTime }
        if let endDateTime { json["endDateTime"] = endDateTime }
        if let displayName { json["displayName"] = displayName }
        return json
    }
}
