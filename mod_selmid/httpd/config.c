/* config.c placeholder */
#include <httpd.h>
