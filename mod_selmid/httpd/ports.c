/* ports.c placeholder */
#include <httpd.h>
