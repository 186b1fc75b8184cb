import Foundation
import Testing
@testable import Environment

struct ManagedProcessTests {
    /// NIO opens its sockets without CLOEXEC; a spawned server that inherited one kept a killed campaignd's
    /// database session alive through the fault proxy. A child sees only its stdin, stdout and stderr.
    @Test func aChildInheritsNoDescriptorOfTheHarness() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)  // inheritable, as NIO's are
        #expect(fd > 2)
        defer { close(fd) }
        let (status, output) = try ManagedProcess.runToEnd("/bin/sh", ["-c", "ls /proc/$$/fd; true"])
        #expect(status == 0)
        #expect(output.split(separator: "\n").map(String.init) == ["0", "1", "2"], "\(output)")
    }
}
