/* Shared inside the bus module only: the topic prefix of each message type. */
#ifndef CF_BUS_TOPIC_H
#define CF_BUS_TOPIC_H

#include <stddef.h>

#include "cf/bus.h"

/* The topic prefix of type (not NUL-terminated on the wire) and its length; NULL if unknown. */
const char *cf_bus__topic(cf_bus_type type, size_t *len);

#endif
