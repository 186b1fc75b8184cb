import Foundation
import Harness

/// The exit codes of every mailstorm command (docs/regression-detection.md lists them for CI).
public enum ExitStatus {
    public static let pass: Int32 = 0
    /// A KPI failed, the run failed its own checks, or a figure regressed.
    public static let failure: Int32 = 1
    /// Bad input: arguments, settings, thresholds, baseline, scenario file, output folder.
    public static let usage: Int32 = 2
    /// The stack could not start, or a segment or server went missing.
    public static let infrastructure: Int32 = 3
    /// Only improvements against the baseline (package-benchmark's convention).
    public static let improvementsOnly: Int32 = 4
    /// The comparison could not decide at the cap of trials, or the baseline is from another machine.
    public static let inconclusive: Int32 = 5
    public static let interrupted: Int32 = 130

    /// The code and message for an error the libraries throw: bad input is a usage error (a bad run folder,
    /// baseline or threshold too); a stack that would not run, or a server that did not answer, is infrastructure
    /// (it was exit 1, a KPI failure's code, with a raw NSError); nil for any other error.
    public static func classify(_ error: any Error) -> (code: Int32, message: String)? {
        switch error {
        case let e as UsageError: (usage, e.description)
        case let e as ReportError: (usage, e.description)
        case let e as StackError: (e.isUsage ? usage : infrastructure, e.description)
        default: unreachable(error).map { (infrastructure, $0) }
        }
    }

    /// What a connection error from Foundation says, read from the innermost error that says anything.
    static func unreachable(_ error: any Error) -> String? {
        var e = error as NSError
        guard e.domain == NSURLErrorDomain || e.domain == NSPOSIXErrorDomain else { return nil }
        let url = (e.userInfo[NSURLErrorFailingURLErrorKey] as? URL)?.absoluteString
        var said = e.userInfo[NSLocalizedDescriptionKey] as? String
        while let inner = e.userInfo[NSUnderlyingErrorKey] as? NSError {
            e = inner
            said = e.userInfo[NSLocalizedDescriptionKey] as? String ?? said
        }
        return (url.map { "\($0): " } ?? "") + (said ?? "\(e.domain) error \(e.code)")
    }
}
