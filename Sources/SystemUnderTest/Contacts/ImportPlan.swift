/// How each chunk of one import goes into `contacts`. COPY straight in goes first, in a savepoint: COPY cannot skip
/// the emails the tenant already has, so a duplicate undoes just that chunk, which then goes in skipping them, as does
/// every later chunk of the import. COPY into contacts took 0.94 of the time of COPY into a temp table and a plain
/// INSERT from it (90% interval 0.90-0.98, 24 alternated pairs of 100k imports over HTTP on 2M contacts), and that
/// INSERT 20-30% less than one with ON CONFLICT, which probes the unique index before each row and takes a
/// speculative lock per row. Each savepoint is a subtransaction, and past 64 in one transaction every other session's
/// snapshot checks go through pg_subtrans: hence at most 32.
struct ImportPlan {
    enum Step: Equatable { case copyInSavepoint, skipDuplicates }
    static let maxSavepoints = 32
    private var savepoints = 0
    private var duplicatesSeen = false

    mutating func next() -> Step {
        guard !duplicatesSeen, savepoints < Self.maxSavepoints else { return .skipDuplicates }
        savepoints += 1
        return .copyInSavepoint
    }

    /// The chunk just copied met an email the tenant already has (and was rolled back).
    mutating func metDuplicate() { duplicatesSeen = true }
}
