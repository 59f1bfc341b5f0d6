/* libFuzzer target: the bus decoder must reject or round-trip any bytes without crashing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cf/bus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cf_bus_msg *msg = NULL;
	cf_bus_drop_reason why;
	void *again = NULL;
	size_t len;

	if (cf_bus_decode(&msg, &why, data, size) != 0)
		return 0;
	/* Whatever decodes must encode again and decode to the same type. */
	if (cf_bus_encode(&again, &len, msg) == 0) {
		cf_bus_msg *second = NULL;
		if (cf_bus_decode(&second, &why, again, len) != 0 || second->type != msg->type)
			abort();
		cf_bus_msg_free(second);
		free(again);
	}
	cf_bus_msg_free(msg);
	return 0;
}
