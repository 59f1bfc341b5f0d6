/* Sequences: a growing array of owned items. */
#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "internal.h"

static int check_seq(const cf_doc *seq)
{
	if (!seq || seq->type != CF_DOC_SEQ)
		return cf_error_set(CF_EINVALID, "doc: not a sequence (%s)",
		                    seq ? cf_doc_type_name(seq->type) : "NULL");
	return 0;
}

static int grow(cf_doc *seq)
{
	size_t cap;
	cf_doc **items;

	if (seq->u.c.len < seq->u.c.cap)
		return 0;
	cap = seq->u.c.cap ? 2 * (size_t)seq->u.c.cap : 4;
	if (cap > DOC_MAX_LEN)
		return cf_error_set(CF_ELIMIT, "doc: sequence too large");
	if (!(items = realloc(seq->u.c.items, cap * sizeof(*items))))
		return cf_error_set(CF_ENOMEM, "doc: out of memory");
	seq->u.c.items = items;
	seq->u.c.cap = (uint32_t)cap;
	return 0;
}

cf_doc *cf_doc_item(const cf_doc *seq, size_t i)
{
	if (!seq || seq->type != CF_DOC_SEQ || i >= seq->u.c.len)
		return NULL;
	return seq->u.c.items[i];
}

int cf_doc_seq_insert(cf_doc *seq, size_t i, cf_doc *item)
{
	int err;

	if ((err = check_seq(seq)) < 0 || !item || i > seq->u.c.len || (err = grow(seq)) < 0) {
		cf_doc_free(item);
		return err < 0 ? err : cf_error_set(CF_EINVALID, "doc: bad sequence insert");
	}
	memmove(&seq->u.c.items[i + 1], &seq->u.c.items[i],
	        (seq->u.c.len - i) * sizeof(cf_doc *));
	seq->u.c.items[i] = item;
	seq->u.c.len++;
	return 0;
}

int cf_doc_seq_append(cf_doc *seq, cf_doc *item)
{
	return cf_doc_seq_insert(seq, seq && seq->type == CF_DOC_SEQ ? seq->u.c.len : 0, item);
}

cf_doc *cf_doc_seq_take(cf_doc *seq, size_t i)
{
	cf_doc *v;

	if (!seq || seq->type != CF_DOC_SEQ || i >= seq->u.c.len)
		return NULL;
	v = seq->u.c.items[i];
	memmove(&seq->u.c.items[i], &seq->u.c.items[i + 1],
	        (seq->u.c.len - i - 1) * sizeof(cf_doc *));
	seq->u.c.len--;
	return v;
}

int cf_doc_seq_replace(cf_doc *seq, size_t i, cf_doc *item)
{
	int err;

	if ((err = check_seq(seq)) < 0 || !item || i >= seq->u.c.len) {
		cf_doc_free(item);
		return err < 0 ? err : cf_error_set(CF_EINVALID, "doc: bad sequence index %zu", i);
	}
	cf_doc_free(seq->u.c.items[i]);
	seq->u.c.items[i] = item;
	return 0;
}
