import Testing
@testable import EntraID
