import Foundation
import Harness

/// PostgreSQL and Redis settings for the embedded stack, taken from seed 000_b0898af9d4bb9020.txt
/// ("PostgreSQL Configuration" and "Redis Configuration") and scaled to this machine.
public enum ServerSettings {
    /// PostgreSQL settings, which PostgresServer writes into the cluster's configuration. Seed 000 sizes memory for
    /// a small box (shared_buffers 256MB = 25% of RAM, effective_cache_size 1GB = 75%); the same ratios are applied
    /// to this machine's RAM, capped at seed 004's 512MB and 2GB because the harness, campaignd and Redis share it.
    public static func postgres(memoryBytes: UInt64) -> [(String, String)] {
        let mb = memoryBytes / 1_048_576
        let shared = min(max(mb / 4, 128), 512)
        let cache = min(max(mb * 3 / 4, 512), 2048)
        return [
            ("shared_buffers", "\(shared)MB"),
            ("effective_cache_size", "\(cache)MB"),
            ("work_mem", "4MB"),
            ("maintenance_work_mem", "64MB"),
            ("max_connections", "200"),
            ("shared_preload_libraries", "pg_stat_statements"),
            ("checkpoint_completion_target", "0.9"),
            ("wal_buffers", "16MB"),
            ("default_statistics_target", "100"),
            ("random_page_cost", "1.1"),
            ("effective_io_concurrency", "200"),
            ("log_min_duration_statement", "1000"),
            ("log_checkpoints", "on"),
            // Seed 000 logs connections; the pool connects once, so this is cheap and helps debugging.
            ("log_connections", "on"),
            ("log_disconnections", "on"),
        ]
    }

    /// redis-server arguments from seed 000's redis.conf. Snapshots follow the seed ("save 900 1" ...),
    /// but shutdown skips the final save: the data directory is deleted with the stack.
    public static func redis(port: Int, dir: String) -> [String] {
        [
            "--port", "\(port)", "--bind", "127.0.0.1", "--dir", dir, "--daemonize", "no",
            "--maxmemory", "2gb", "--maxmemory-policy", "allkeys-lru", "--maxmemory-samples", "5",
            "--save", "900 1 300 10 60 10000",
            "--tcp-keepalive", "300", "--tcp-backlog", "511", "--timeout", "0",
            "--maxclients", "10000",
            "--shutdown-on-sigterm", "nosave",
        ]
    }
}
