/* sm_log.c: the logging helper and the system clock and random ports. */
#include "sm_core.h"
#include <stdarg.h>
#include <openssl/rand.h>

void sm_log(const sm_log_t *log, sm_log_level_e level, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    if (!log || level > log->max_level)
        return;
    va_start(ap, fmt);
    apr_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    log->emit(log->baton, level, buf);
}

static apr_time_t system_now(void *baton)
{
    return apr_time_now();
}

static apr_status_t system_fill(void *baton, unsigned char *buf, apr_size_t len)
{
    return RAND_bytes(buf, (int)len) == 1 ? APR_SUCCESS : APR_EGENERAL;
}

const sm_clock_t sm_clock_system = {.now = system_now, .baton = NULL};
const sm_rand_t sm_rand_system = {.fill = system_fill, .baton = NULL};
