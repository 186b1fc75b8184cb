#include <curl/curl.h>

// curl_easy_setopt and friends are variadic, which Swift cannot call: typed wrappers.
static inline CURLcode ccurl_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode ccurl_setopt_ptr(CURL *h, CURLoption o, const void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode ccurl_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode ccurl_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
typedef size_t (*ccurl_io_fn)(char *, size_t, size_t, void *);
static inline CURLcode ccurl_setopt_io(CURL *h, CURLoption o, ccurl_io_fn f) { return curl_easy_setopt(h, o, f); }
