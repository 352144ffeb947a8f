#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Who the audit log attributes changes to. (Named so as not to shadow Swift's `Actor`
/// protocol in every module that imports this one.)
public enum AuditActor {
    /// `user@host` of this process.
    public static var current: String {
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        let user = getpwuid(geteuid()).map { String(cString: $0.pointee.pw_name) } ?? "uid\(geteuid())"
        let hostname = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return "\(user)@\(hostname)"
    }
}
