/// The exit code a run, compare or ab ends with (package-benchmark's convention for improvements).
public enum ExitStatus {
    public static let pass: Int32 = 0
    public static let failure: Int32 = 1
    public static let improvementsOnly: Int32 = 4

    /// 1 on a failed KPI or any regression; 4 when the only changes are improvements; 0 otherwise.
    public static func code(kpisPassed: Bool, comparison: Comparison?) -> Int32 {
        guard kpisPassed, comparison?.regressions.isEmpty ?? true else { return failure }
        return comparison?.improvements.isEmpty == false ? improvementsOnly : pass
    }
}
