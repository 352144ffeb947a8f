import Testing
@testable import JamfPro
