/* authz.c placeholder */
#include <httpd.h>
