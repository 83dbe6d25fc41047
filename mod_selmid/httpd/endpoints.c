/* endpoints.c placeholder */
#include <httpd.h>
