#include <stddef.h>
#include <stdint.h>
#include <jemalloc/jemalloc.h>

/// Reads a size_t statistic such as "stats.allocated"; refreshes the stats epoch first. Returns 0 on error.
static inline size_t cjemalloc_stat(const char *name) {
    uint64_t epoch = 1;
    size_t esz = sizeof(epoch);
    mallctl("epoch", &epoch, &esz, &epoch, esz);
    size_t value = 0;
    size_t sz = sizeof(value);
    if (mallctl(name, &value, &sz, NULL, 0) != 0) return 0;
    return value;
}
