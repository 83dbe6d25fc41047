/* authn.c placeholder */
#include <httpd.h>
