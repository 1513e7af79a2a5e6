#include <curl/curl.h>

// curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call: one
// non-variadic wrapper per argument type used.

/// A `long` option (CURLOPT_FOLLOWLOCATION, CURLOPT_FAILONERROR, timeouts, …).
static inline CURLcode ccurl_set_long(CURL *curl, CURLoption option, long value) {
    return curl_easy_setopt(curl, option, value);
}
/// A string option (CURLOPT_URL, CURLOPT_RANGE, CURLOPT_USERAGENT, …); libcurl copies it.
static inline CURLcode ccurl_set_string(CURL *curl, CURLoption option, const char *value) {
    return curl_easy_setopt(curl, option, value);
}
/// A pointer option (CURLOPT_WRITEDATA, CURLOPT_HEADERDATA, CURLOPT_XFERINFODATA, CURLOPT_ERRORBUFFER).
static inline CURLcode ccurl_set_pointer(CURL *curl, CURLoption option, void *value) {
    return curl_easy_setopt(curl, option, value);
}
/// The body callback (CURLOPT_WRITEFUNCTION) or the header callback (CURLOPT_HEADERFUNCTION).
static inline CURLcode ccurl_set_data_function(CURL *curl, CURLoption option,
                                               size_t (*function)(char *, size_t, size_t, void *)) {
    return curl_easy_setopt(curl, option, function);
}
/// The progress callback (CURLOPT_XFERINFOFUNCTION); also turns CURLOPT_NOPROGRESS off.
static inline CURLcode ccurl_set_progress_function(CURL *curl,
                                                   int (*function)(void *, curl_off_t, curl_off_t, curl_off_t, curl_off_t)) {
    CURLcode code = curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, function);
    return code != CURLE_OK ? code : curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
}
/// A `long` transfer detail (CURLINFO_RESPONSE_CODE, …).
static inline CURLcode ccurl_get_long(CURL *curl, CURLINFO info, long *value) {
    return curl_easy_getinfo(curl, info, value);
}
