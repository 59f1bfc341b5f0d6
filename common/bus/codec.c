/* Translation between cf_bus_msg and the wire form: topic prefix + protobuf-c Envelope. */
#include "cf/bus.h"

#include <stdlib.h>
#include <string.h>

#include "cf/error.h"
#include "cflux.pb-c.h"
#include "topic.h"

#define TOPIC_LEN 3

typedef Cflux__Bus__V1__Envelope pb_envelope;
typedef Cflux__Bus__V1__ArtifactReady pb_artifact_ready;
typedef Cflux__Bus__V1__ReconcileResult pb_reconcile_result;

/* One string field: where it sits in the C struct and in the generated struct. */
typedef struct {
	const char *name;
	size_t c_off;
	size_t pb_off;
	int required;
} string_field;

static const string_field artifact_ready_strings[] = {
	{"kind", offsetof(cf_bus_artifact_ready, kind), offsetof(pb_artifact_ready, kind), 1},
	{"namespace", offsetof(cf_bus_artifact_ready, namespace_), offsetof(pb_artifact_ready, namespace_), 1},
	{"name", offsetof(cf_bus_artifact_ready, name), offsetof(pb_artifact_ready, name), 1},
	{"revision", offsetof(cf_bus_artifact_ready, revision), offsetof(pb_artifact_ready, revision), 1},
	{"digest", offsetof(cf_bus_artifact_ready, digest), offsetof(pb_artifact_ready, digest), 1},
	{"url", offsetof(cf_bus_artifact_ready, url), offsetof(pb_artifact_ready, url), 1},
};

static const string_field reconcile_result_strings[] = {
	{"controller", offsetof(cf_bus_reconcile_result, controller), offsetof(pb_reconcile_result, controller), 1},
	{"kind", offsetof(cf_bus_reconcile_result, kind), offsetof(pb_reconcile_result, kind), 1},
	{"namespace", offsetof(cf_bus_reconcile_result, namespace_), offsetof(pb_reconcile_result, namespace_), 1},
	{"name", offsetof(cf_bus_reconcile_result, name), offsetof(pb_reconcile_result, name), 1},
	{"reason", offsetof(cf_bus_reconcile_result, reason), offsetof(pb_reconcile_result, reason), 0},
	{"message", offsetof(cf_bus_reconcile_result, message), offsetof(pb_reconcile_result, message), 0},
	{"revision", offsetof(cf_bus_reconcile_result, revision), offsetof(pb_reconcile_result, revision), 0},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* One message type: its topic, oneof case and how to move its scalars across. */
typedef struct {
	cf_bus_type type;
	const char *name;
	char topic[TOPIC_LEN + 1];
	int body_case;
	const string_field *strings;
	size_t nstrings;
	size_t pb_size;
	void (*init_pb)(void *pb);
	void (*scalars_to_pb)(void *pb, const cf_bus_msg *msg);
	void (*scalars_from_pb)(cf_bus_msg *msg, const void *pb);
} msg_type;

static void artifact_ready_init(void *pb)
{
	cflux__bus__v1__artifact_ready__init(pb);
}

static void artifact_ready_to_pb(void *p, const cf_bus_msg *msg)
{
	pb_artifact_ready *pb = p;
	const cf_bus_artifact_ready *m = &msg->body.artifact_ready;

	pb->has_size = pb->has_generation = pb->has_observed_at_unix_nano = 1;
	pb->size = m->size;
	pb->generation = m->generation;
	pb->observed_at_unix_nano = m->observed_at_unix_nano;
}

static void artifact_ready_from_pb(cf_bus_msg *msg, const void *p)
{
	const pb_artifact_ready *pb = p;
	cf_bus_artifact_ready *m = &msg->body.artifact_ready;

	m->size = pb->size;
	m->generation = pb->generation;
	m->observed_at_unix_nano = pb->observed_at_unix_nano;
}

static void reconcile_result_init(void *pb)
{
	cflux__bus__v1__reconcile_result__init(pb);
}

static void reconcile_result_to_pb(void *p, const cf_bus_msg *msg)
{
	pb_reconcile_result *pb = p;
	const cf_bus_reconcile_result *m = &msg->body.reconcile_result;

	pb->has_generation = pb->has_ready = pb->has_duration_ms = 1;
	pb->generation = m->generation;
	pb->ready = m->ready ? 1 : 0;
	pb->duration_ms = m->duration_ms;
}

static void reconcile_result_from_pb(cf_bus_msg *msg, const void *p)
{
	const pb_reconcile_result *pb = p;
	cf_bus_reconcile_result *m = &msg->body.reconcile_result;

	m->generation = pb->generation;
	m->ready = pb->ready ? 1 : 0;
	m->duration_ms = pb->duration_ms;
}

static const msg_type msg_types[] = {
	{CF_BUS_ARTIFACT_READY, "ArtifactReady", "AR:", CFLUX__BUS__V1__ENVELOPE__BODY_ARTIFACT_READY,
	 artifact_ready_strings, COUNT(artifact_ready_strings), sizeof(pb_artifact_ready),
	 artifact_ready_init, artifact_ready_to_pb, artifact_ready_from_pb},
	{CF_BUS_RECONCILE_RESULT, "ReconcileResult", "RR:", CFLUX__BUS__V1__ENVELOPE__BODY_RECONCILE_RESULT,
	 reconcile_result_strings, COUNT(reconcile_result_strings), sizeof(pb_reconcile_result),
	 reconcile_result_init, reconcile_result_to_pb, reconcile_result_from_pb},
};

static const msg_type *type_by_id(cf_bus_type type)
{
	for (size_t i = 0; i < COUNT(msg_types); i++)
		if (msg_types[i].type == type)
			return &msg_types[i];
	return NULL;
}

static const msg_type *type_by_topic(const unsigned char *buf, size_t len)
{
	if (len < TOPIC_LEN)
		return NULL;
	for (size_t i = 0; i < COUNT(msg_types); i++)
		if (memcmp(buf, msg_types[i].topic, TOPIC_LEN) == 0)
			return &msg_types[i];
	return NULL;
}

const char *cf_bus_type_name(cf_bus_type type)
{
	const msg_type *t = type_by_id(type);

	return t ? t->name : "unknown";
}

/* For cf_bus_sub_new: the topic prefix a SUB socket filters on. */
const char *cf_bus__topic(cf_bus_type type, size_t *len)
{
	const msg_type *t = type_by_id(type);

	*len = TOPIC_LEN;
	return t ? t->topic : NULL;
}

#define FIELD(base, off) (*(const char **)((const char *)(base) + (off)))
#define PB_FIELD(base, off) (*(char **)((char *)(base) + (off)))

static int check_required(const msg_type *t, const void *body, int from_pb)
{
	for (size_t i = 0; i < t->nstrings; i++) {
		const char *s = from_pb ? PB_FIELD((void *)body, t->strings[i].pb_off)
					: FIELD(body, t->strings[i].c_off);
		if (t->strings[i].required && (s == NULL || s[0] == '\0'))
			return cf_error_set(CF_EINVALID, "%s: field %s is required", t->name,
					    t->strings[i].name);
	}
	return 0;
}

int cf_bus_encode(void **out, size_t *out_len, const cf_bus_msg *msg)
{
	const msg_type *t = type_by_id(msg->type);
	pb_envelope env = CFLUX__BUS__V1__ENVELOPE__INIT;
	union {
		pb_artifact_ready ar;
		pb_reconcile_result rr;
	} body;
	unsigned char *buf;
	size_t size;
	int err;

	if (t == NULL)
		return cf_error_set(CF_EINVALID, "bus: unknown message type %d", (int)msg->type);
	if ((err = check_required(t, &msg->body, 0)) < 0)
		return err;
	t->init_pb(&body);
	for (size_t i = 0; i < t->nstrings; i++)
		PB_FIELD(&body, t->strings[i].pb_off) = (char *)FIELD(&msg->body, t->strings[i].c_off);
	t->scalars_to_pb(&body, msg);

	env.has_schema_version = env.has_sequence = env.has_timestamp_unix_nano = 1;
	env.schema_version = msg->schema_version;
	env.producer = (char *)msg->producer;
	env.sequence = msg->sequence;
	env.timestamp_unix_nano = msg->timestamp_unix_nano;
	env.body_case = t->body_case;
	/* Both union members are pointers at the same place; one assignment covers either. */
	env.artifact_ready = (pb_artifact_ready *)(void *)&body;

	size = protobuf_c_message_get_packed_size(&env.base);
	if ((buf = malloc(TOPIC_LEN + size)) == NULL)
		return cf_error_set(CF_ENOMEM, "bus: out of memory encoding %s", t->name);
	memcpy(buf, t->topic, TOPIC_LEN);
	protobuf_c_message_pack(&env.base, buf + TOPIC_LEN);
	*out = buf;
	*out_len = TOPIC_LEN + size;
	return 0;
}

static size_t str_size(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

static const char *copy_str(char **arena, const char *s)
{
	char *dst = *arena;
	size_t n = str_size(s);

	if (s == NULL)
		return NULL;
	memcpy(dst, s, n);
	*arena += n;
	return dst;
}

/* Builds the caller's message in one allocation: the struct followed by its strings. */
static int copy_out(cf_bus_msg **out, const msg_type *t, const pb_envelope *env, const void *pb)
{
	size_t total = sizeof(cf_bus_msg) + str_size(env->producer);
	cf_bus_msg *msg;
	char *arena;

	for (size_t i = 0; i < t->nstrings; i++)
		total += str_size(PB_FIELD((void *)pb, t->strings[i].pb_off));
	if ((msg = calloc(1, total)) == NULL)
		return cf_error_set(CF_ENOMEM, "bus: out of memory decoding %s", t->name);
	arena = (char *)(msg + 1);
	msg->schema_version = env->schema_version;
	msg->producer = copy_str(&arena, env->producer);
	msg->sequence = env->sequence;
	msg->timestamp_unix_nano = env->timestamp_unix_nano;
	msg->type = t->type;
	for (size_t i = 0; i < t->nstrings; i++)
		*(const char **)((char *)&msg->body + t->strings[i].c_off) =
			copy_str(&arena, PB_FIELD((void *)pb, t->strings[i].pb_off));
	t->scalars_from_pb(msg, pb);
	*out = msg;
	return 0;
}

static int drop(cf_bus_drop_reason *reason, cf_bus_drop_reason why, int err)
{
	if (reason)
		*reason = why;
	return err;
}

int cf_bus_decode(cf_bus_msg **out, cf_bus_drop_reason *reason, const void *buf, size_t len)
{
	const msg_type *t;
	pb_envelope *env = NULL;
	const void *body;
	int err;

	if (len > CF_BUS_MAX_MSG)
		return drop(reason, CF_BUS_DROP_MALFORMED,
			    cf_error_set(CF_ELIMIT, "bus: message of %zu bytes exceeds %d", len, CF_BUS_MAX_MSG));
	if ((t = type_by_topic(buf, len)) == NULL)
		return drop(reason, CF_BUS_DROP_MALFORMED, cf_error_set(CF_EPARSE, "bus: unknown topic"));
	env = cflux__bus__v1__envelope__unpack(NULL, len - TOPIC_LEN, (const uint8_t *)buf + TOPIC_LEN);
	if (env == NULL)
		return drop(reason, CF_BUS_DROP_MALFORMED,
			    cf_error_set(CF_EPARSE, "bus: %s: not a valid envelope", t->name));
	if (!env->has_schema_version || env->schema_version != CF_BUS_SCHEMA_VERSION) {
		err = drop(reason, CF_BUS_DROP_VERSION,
			   cf_error_set(CF_EUNSUPPORTED, "bus: %s: schema version %u, want %d", t->name,
					env->has_schema_version ? env->schema_version : 0u,
					CF_BUS_SCHEMA_VERSION));
		goto done;
	}
	if ((int)env->body_case != t->body_case) {
		err = drop(reason, CF_BUS_DROP_MALFORMED,
			   cf_error_set(CF_EPARSE, "bus: topic %s does not match the body", t->name));
		goto done;
	}
	body = env->artifact_ready; /* the oneof's pointers share one slot */
	if ((err = check_required(t, body, 1)) < 0) {
		drop(reason, CF_BUS_DROP_INVALID, err);
		goto done;
	}
	err = copy_out(out, t, env, body);
done:
	cflux__bus__v1__envelope__free_unpacked(env, NULL);
	return err;
}

void cf_bus_msg_free(cf_bus_msg *msg)
{
	free(msg);
}
