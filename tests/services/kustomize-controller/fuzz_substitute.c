/* libFuzzer target: post-build substitution on hostile text must end in a result or a clear error, never a crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *vars;
	char *text, *out = NULL;

	if (!vars)
		vars = json_pack("{s:s,s:s,s:s}", "a", "value", "empty", "", "long_name_1", "x/y/z");
	if (size < 1 || size > 65536)
		return 0;
	if (!(text = malloc(size)))
		return 0;
	/* The first byte picks strict mode; the rest is the text, cut at the first NUL. */
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (kc_substitute(&out, text, vars, data[0] & 1) == 0)
		free(out);
	free(text);
	return 0;
}
