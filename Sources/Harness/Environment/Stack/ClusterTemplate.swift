import Foundation
import Harness

/// The cluster initdb leaves, made once per machine and PostgreSQL build and copied into each new stack: a copy
/// takes 0.25 s here where initdb takes 0.8 s, about half of a stack's start.
enum ClusterTemplate {
    /// initdb's arguments besides -D. Changing them must change `tag`, so that no older template is copied.
    static let initdbArguments = ["-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"]
    static let tag = "v1"

    /// Fills `data`, which must not exist yet, with a new cluster: a copy of the template, or initdb's own when no
    /// template can be made or trusted.
    static func create(_ data: String, bin: String, folder: String = NSTemporaryDirectory()) throws {
        if let template = prepared(bin: bin, folder: folder),
           (try? ManagedProcess.runToEnd("/bin/cp", ["-a", template, data]))?.status == 0 {
            return
        }
        try? FileManager.default.removeItem(atPath: data)
        try initdb(data, bin: bin)
    }

    static func initdb(_ data: String, bin: String) throws {
        let r = try ManagedProcess.runToEnd(bin + "/initdb", ["-D", data] + initdbArguments, asUser: "postgres")
        guard r.status == 0 else { throw StackError("initdb failed:\n\(r.output.suffix(1500))") }
    }

    /// The template for `bin` in `folder`, made now if none is there; nil when it cannot be made or what is there is
    /// not one this user could have made (another user's directory in a shared folder is never copied).
    static func prepared(bin: String, folder: String = NSTemporaryDirectory()) -> String? {
        // PostgreSQL runs as postgres when Mailstorm runs as root, so that user owns the clusters.
        let owner = geteuid() == 0 ? getpwnam("postgres")?.pointee.pw_uid : geteuid()
        guard let owner else { return nil }
        let key = String(bin.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) ? Character($0) : "_" })
        let path = folder + (folder.hasSuffix("/") ? "" : "/") + "mailstorm-pgtemplate-\(tag)-\(owner)-\(key)"
        if isTemplate(path, owner: owner) { return path }
        // initdb into a folder of this process's own, renamed into place whole: a reader never sees half a template,
        // and of two processes racing, the first rename wins and the other's copy is dropped.
        let scratch = path + ".\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        guard (try? initdb(scratch, bin: bin)) != nil else { return nil }
        _ = rename(scratch, path)
        return isTemplate(path, owner: owner) ? path : nil
    }

    /// A directory (not a link) that `owner` alone may read, holding a whole cluster.
    static func isTemplate(_ path: String, owner: uid_t) -> Bool {
        var st = stat()
        guard lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFDIR, st.st_uid == owner, st.st_mode & 0o077 == 0 else { return false }
        return ["PG_VERSION", "global/pg_control", "base"].allSatisfy { FileManager.default.fileExists(atPath: path + "/" + $0) }
    }
}
