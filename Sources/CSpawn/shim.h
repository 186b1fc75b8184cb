// glibc declares this only under _GNU_SOURCE/_DEFAULT_SOURCE, which Swift's Glibc module does not see.
#include <spawn.h>
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);
