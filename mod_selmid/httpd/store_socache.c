/* store_socache.c placeholder */
#include <httpd.h>
