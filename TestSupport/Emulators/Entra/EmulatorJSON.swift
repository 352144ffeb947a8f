import FlyingFox
import Foundation

/// Building the emulator's answers: JSON bodies in the shapes Microsoft's services use, and
/// Graph's timestamps.
enum EmulatorJSON {
    static let graphContentType = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
    static let jsonContentType = "application/json; charset=utf-8"

    /// A JSON response; `object` is made of dictionaries, arrays, strings, numbers, booleans and `NSNull`.
    /// - Parameter sortedKeys: `false` for pages of thousands of objects, where sorting every
    ///   object's keys (Foundation compares them as NSStrings) costs more than the rest.
    static func response(
        _ status: Int, _ object: Any, contentType: String = jsonContentType, headers extra: [String: String] = [:], sortedKeys: Bool = true
    ) -> HTTPResponse {
        let options: JSONSerialization.WritingOptions = sortedKeys ? [.sortedKeys, .withoutEscapingSlashes] : [.withoutEscapingSlashes]
        let body = (try? JSONSerialization.data(withJSONObject: object, options: options)) ?? Data("{}".utf8)
        return response(status, body: body, contentType: contentType, headers: extra)
    }

    /// A response with a JSON body already written.
    static func response(_ status: Int, body: Data, contentType: String = jsonContentType, headers extra: [String: String] = [:]) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers[.contentType] = contentType
        headers[HTTPHeader("request-id")] = UUID().uuidString.lowercased()
        for (name, value) in extra { headers[HTTPHeader(name)] = value }
        return HTTPResponse(statusCode: statusCode(status), headers: headers, body: body)
    }

    /// An empty response (204 and the like).
    static func empty(_ status: Int) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers[HTTPHeader("request-id")] = UUID().uuidString.lowercased()
        return HTTPResponse(statusCode: statusCode(status), headers: headers)
    }

    /// Graph's error document: `{"error":{"code","message","innerError":{date,request-id,client-request-id}}}`.
    static func graphError(
        _ status: Int, code: String, message: String, clientRequestID: String?,
        details: [[String: Any]]? = nil, headers: [String: String] = [:]
    ) -> HTTPResponse {
        let requestID = UUID().uuidString.lowercased()
        var error: [String: Any] = [
            "code": code,
            "message": message,
            "innerError": [
                "date": innerErrorDate(Date()),
                "request-id": requestID,
                "client-request-id": clientRequestID ?? requestID,
            ],
        ]
        if let details { error["details"] = details }
        return response(status, ["error": error], contentType: graphContentType, headers: headers)
    }

    /// The identity platform's OAuth error document, with AADSTS code, trace and correlation ids.
    static func oauthError(_ status: Int, error: String, aadsts: Int, description: String) -> HTTPResponse {
        let trace = UUID().uuidString.lowercased()
        let correlation = UUID().uuidString.lowercased()
        let now = Date()
        let timestamp = format(now).replacingOccurrences(of: "T", with: " ")
        let body: [String: Any] = [
            "error": error,
            "error_description": "AADSTS\(aadsts): \(description)\r\nTrace ID: \(trace)\r\nCorrelation ID: \(correlation)\r\nTimestamp: \(timestamp)",
            "error_codes": [aadsts],
            "timestamp": timestamp,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": "https://login.microsoftonline.com/error?code=\(aadsts)",
        ]
        return response(status, body)
    }

    static func statusCode(_ code: Int) -> HTTPStatusCode {
        let phrases = [
            200: "OK", 204: "No Content", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
            404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 429: "Too Many Requests",
            500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
        ]
        return HTTPStatusCode(code, phrase: phrases[code] ?? "Status \(code)")
    }

    // MARK: Dates

    /// `2027-05-01T00:00:00Z`, or with seven fractional digits as Graph writes times it chose.
    static func format(_ date: Date, fractionalDigits: Int = 0) -> String {
        let whole = date.timeIntervalSince1970.rounded(.down)
        var text = wholeSeconds(whole)
        if fractionalDigits > 0 {
            let fraction = date.timeIntervalSince1970 - whole
            let scaled = Int((fraction * pow(10, Double(fractionalDigits))).rounded(.down))
            let digits = String(scaled)
            text += "." + String(repeating: "0", count: fractionalDigits - digits.count) + digits
        }
        return text + "Z"
    }

    /// `YYYY-MM-DDTHH:MM:SS` in UTC, from `gmtime_r` (what `.iso8601` formatting wrote for
    /// years 0001-9999, at a fraction of its cost).
    private static func wholeSeconds(_ seconds: Double) -> String {
        var time = time_t(seconds)
        var parts = tm()
        guard gmtime_r(&time, &parts) != nil, (1...9999).contains(parts.tm_year + 1900) else {
            var text = Date(timeIntervalSince1970: seconds).formatted(.iso8601)
            if text.hasSuffix("Z") { text.removeLast() }
            return text
        }
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let year = String(parts.tm_year + 1900)
        return String(repeating: "0", count: 4 - year.count) + year + "-" + two(parts.tm_mon + 1) + "-" + two(parts.tm_mday)
            + "T" + two(parts.tm_hour) + ":" + two(parts.tm_min) + ":" + two(parts.tm_sec)
    }

    /// Graph's `innerError.date`: `2024-05-01T12:00:00` (no zone).
    static func innerErrorDate(_ date: Date) -> String {
        String(format(date).dropLast())
    }

    /// Parses ISO 8601 with `Z` or an offset, with or without fractional seconds.
    static func parseDate(_ text: String) -> Date? {
        var base = text
        var fraction = 0.0
        if let dot = text.firstIndex(of: ".") {
            let rest = text[text.index(after: dot)...]
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty else { return nil }
            fraction = Double("0." + digits) ?? 0
            base = String(text[..<dot]) + String(rest.dropFirst(digits.count))
        }
        guard let date = try? Date(base, strategy: .iso8601) else { return nil }
        return date.addingTimeInterval(fraction)
    }
}
