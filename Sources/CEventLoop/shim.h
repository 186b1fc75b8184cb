// For the load engine's own loop, from headers Swift's Glibc module does not include (or declares only under
// _GNU_SOURCE): epoll, eventfd, timerfd, and naming its thread.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <pthread.h>
extern int pthread_setname_np(pthread_t thread, const char *name);
