/* mod_selmid.c placeholder */
#include <httpd.h>
