// For the load engine's own loop, from headers Swift's Glibc module does not include (or declares only under
// _GNU_SOURCE): epoll, eventfd, and naming its thread.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <pthread.h>
extern int pthread_setname_np(pthread_t thread, const char *name);
