/// Names from files Mailstorm did not write (a scenario file's `name`, a summary's `scenario`, a profile's
/// `svg_file`) become parts of paths: they must stay one plain component inside the folder meant for them.
public enum FileName {
    /// `name` with every character outside letters, digits, '.', '_' and '-' replaced by '_', at most 64
    /// characters, and never "." or "..": safe as one path component.
    public static func safe(_ name: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        var s = String(name.prefix(64).map { allowed.contains($0) ? $0 : "_" })
        if s.isEmpty || s.allSatisfy({ $0 == "." }) { s = "_" + s }
        return s
    }

    /// Whether `name` is already safe as is.
    public static func isSafe(_ name: String) -> Bool { safe(name) == name }
}
