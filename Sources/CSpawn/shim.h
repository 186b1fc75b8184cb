// glibc declares this only under _GNU_SOURCE/_DEFAULT_SOURCE, which Swift's Glibc module does not see.
#include <spawn.h>
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);
// Likewise: names an OS thread, so top, perf and /proc show what it is.
#include <pthread.h>
extern int pthread_setname_np(pthread_t thread, const char *name);
