import Foundation
import Testing
@testable import Environment

/// Real initdb (the PostgreSQL `make setup` installs) in a folder of the test's own, each call on a thread of its
/// own (`Stack.blocking`), off the 2 threads every unit test shares.
struct ClusterTemplateTests {
    /// A folder anyone may write in, as /tmp is: initdb runs as postgres when the tests run as root.
    func folder() throws -> String {
        let dir = NSTemporaryDirectory() + "ms-template-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o1777])
        return dir
    }

    @Test func theTemplateIsMadeOnceAndEachClusterIsAWholeCopy() async throws {
        let dir = try folder(), bin = try PostgresServer.binDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let template = try #require(try await Stack.blocking { ClusterTemplate.prepared(bin: bin, folder: dir) })
        let made = try FileManager.default.attributesOfItem(atPath: template + "/global/pg_control")[.modificationDate] as? Date
        #expect(try await Stack.blocking { ClusterTemplate.prepared(bin: bin, folder: dir) } == template)
        #expect(try FileManager.default.attributesOfItem(atPath: template + "/global/pg_control")[.modificationDate] as? Date == made, "made again")
        // Only the template is left: the scratch folder initdb wrote into was renamed into place.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == [URL(fileURLWithPath: template).lastPathComponent])
        let data = dir + "/data"
        try await Stack.blocking { try ClusterTemplate.create(data, bin: bin, folder: dir) }
        #expect(ClusterTemplate.isTemplate(data, owner: try #require(Self.owner(of: template))), "a copy keeps its owner and mode")
    }

    /// Another user's folder, or one others may read, at the template's name is never copied: initdb makes the cluster.
    @Test func aFolderInTheWayIsNotCopied() async throws {
        let dir = try folder(), bin = try PostgresServer.binDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let template = try #require(try await Stack.blocking { ClusterTemplate.prepared(bin: bin, folder: dir) })
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: template)
        #expect(try await Stack.blocking { ClusterTemplate.prepared(bin: bin, folder: dir) } == nil)
        try "planted".write(toFile: template + "/planted", atomically: true, encoding: .utf8)
        let data = dir + "/data"
        try await Stack.blocking { try ClusterTemplate.create(data, bin: bin, folder: dir) }
        #expect(FileManager.default.fileExists(atPath: data + "/global/pg_control") && !FileManager.default.fileExists(atPath: data + "/planted"))
    }

    static func owner(of path: String) -> uid_t? {
        var st = stat()
        return lstat(path, &st) == 0 ? st.st_uid : nil
    }
}
