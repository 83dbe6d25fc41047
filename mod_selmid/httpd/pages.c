/* pages.c placeholder */
#include <httpd.h>
