/* The controllers' event bus: typed hint messages over nanomsg PUB/SUB, encoded as protobuf. */
#ifndef CF_BUS_H
#define CF_BUS_H

#include <stddef.h>
#include <stdint.h>

/*
 * The bus carries hints, never truth: a consumer re-reads the object it is told about. Messages
 * are plain C structs here; the wire format (topic prefix + protobuf Envelope, see docs/bus.md)
 * never leaves this module.
 */

/* Envelope schema version written by this build and the only one it accepts. */
#define CF_BUS_SCHEMA_VERSION 1

/* Largest message accepted on receive (topic + envelope), in bytes. */
#define CF_BUS_MAX_MSG 65536

typedef enum {
	CF_BUS_ARTIFACT_READY = 1,   /* topic "AR:" */
	CF_BUS_RECONCILE_RESULT = 2, /* topic "RR:" */
	/* New types take the next number (no gaps) and a row in common/bus/codec.c. */
} cf_bus_type;

/* Bit masks for cf_bus_sub_new: which message types to subscribe to. */
#define CF_BUS_MASK(type) (1u << (type))
#define CF_BUS_MASK_ALL (CF_BUS_MASK(CF_BUS_ARTIFACT_READY) | CF_BUS_MASK(CF_BUS_RECONCILE_RESULT))

/* A source stored a new artifact. kind, namespace_, name, revision, digest, url are required. */
typedef struct {
	const char *kind;       /* e.g. "GitRepository" */
	const char *namespace_;
	const char *name;
	const char *revision;   /* e.g. "main@sha1:<40 hex>" */
	const char *digest;     /* "sha256:<hex>" */
	const char *url;
	uint64_t size;
	int64_t generation;
	int64_t observed_at_unix_nano;
} cf_bus_artifact_ready;

/* A controller finished reconciling an object. controller, kind, namespace_, name are required. */
typedef struct {
	const char *controller;
	const char *kind;
	const char *namespace_;
	const char *name;
	int64_t generation;
	int ready;               /* 1 when the Ready condition is True */
	const char *reason;      /* optional (NULL) */
	const char *message;     /* optional */
	const char *revision;    /* optional */
	uint64_t duration_ms;
} cf_bus_reconcile_result;

/*
 * One message. On send, the caller fills type and the body; the publisher fills the envelope
 * fields (schema_version, producer, sequence, timestamp). On receive, everything is filled.
 * Optional strings that were absent are NULL.
 */
typedef struct {
	uint32_t schema_version;
	const char *producer;
	uint64_t sequence;
	int64_t timestamp_unix_nano;
	cf_bus_type type;
	union {
		cf_bus_artifact_ready artifact_ready;
		cf_bus_reconcile_result reconcile_result;
	} body;
} cf_bus_msg;

/* Why a received message was dropped; counters per reason are kept by each subscriber. */
typedef enum {
	CF_BUS_DROP_MALFORMED = 0, /* unknown topic, bad protobuf, topic/body mismatch, too large */
	CF_BUS_DROP_INVALID = 1,   /* well-formed but a required field is missing or empty */
	CF_BUS_DROP_VERSION = 2,   /* schema_version missing or not CF_BUS_SCHEMA_VERSION */
	CF_BUS_DROP_REASONS = 3,
} cf_bus_drop_reason;

typedef struct {
	uint64_t received;                    /* valid messages returned by cf_bus_sub_recv */
	uint64_t dropped[CF_BUS_DROP_REASONS];
} cf_bus_stats;

/* ---- codec (pure, no sockets; what the fuzzer drives) ---- */

/*
 * Encodes msg (type, body and envelope fields as given) into a new buffer: topic prefix followed
 * by the protobuf envelope. *out is malloc'd and owned by the caller (free()). Returns 0,
 * CF_EINVALID when a required field is missing or the type is unknown, CF_ENOMEM.
 */
int cf_bus_encode(void **out, size_t *out_len, const cf_bus_msg *msg);

/*
 * Decodes one wire message into a new cf_bus_msg (free with cf_bus_msg_free). Never crashes on
 * hostile input. Returns 0, CF_EPARSE (malformed; *reason set to CF_BUS_DROP_MALFORMED),
 * CF_EINVALID (required field missing; CF_BUS_DROP_INVALID), CF_EUNSUPPORTED (schema version;
 * CF_BUS_DROP_VERSION), CF_ELIMIT (larger than CF_BUS_MAX_MSG; malformed), CF_ENOMEM.
 * reason may be NULL.
 */
int cf_bus_decode(cf_bus_msg **out, cf_bus_drop_reason *reason, const void *buf, size_t len);

/* Frees a message returned by cf_bus_decode or cf_bus_sub_recv. NULL is a no-op. */
void cf_bus_msg_free(cf_bus_msg *msg);

/* Stable topic name of a type ("ArtifactReady", ...), or "unknown". */
const char *cf_bus_type_name(cf_bus_type type);

/* ---- publisher ---- */

typedef struct cf_bus_pub cf_bus_pub;

/*
 * Binds a PUB socket to bind_url (nanomsg syntax, e.g. "tcp://127.0.0.1:9091", "tcp://0.0.0.0:9091",
 * "ipc:///tmp/x"). producer names this process in every envelope (copied). Returns 0,
 * CF_EINVALID (bad URL), CF_EIO (bind failed: address in use, ...), CF_ENOMEM.
 */
int cf_bus_pub_new(cf_bus_pub **out, const char *bind_url, const char *producer);

/*
 * Publishes msg. Fills the envelope: schema version, producer, the next sequence number (the
 * first message is 1) and the current time, ignoring those fields in msg. Thread-safe. A message
 * nobody listens to is silently dropped (PUB semantics). Returns 0, CF_EINVALID, CF_EIO, CF_ENOMEM.
 */
int cf_bus_pub_send(cf_bus_pub *pub, const cf_bus_msg *msg);

/* Sequence number of the last message sent (0 before the first). */
uint64_t cf_bus_pub_sequence(const cf_bus_pub *pub);

/* Closes the socket. NULL is a no-op. */
void cf_bus_pub_free(cf_bus_pub *pub);

/* ---- subscriber ---- */

typedef struct cf_bus_sub cf_bus_sub;

/*
 * Opens a SUB socket subscribed to the types in type_mask (CF_BUS_MASK(...) bits, or
 * CF_BUS_MASK_ALL), connected to nothing yet. Returns 0, CF_EINVALID (empty mask), CF_EIO,
 * CF_ENOMEM.
 */
int cf_bus_sub_new(cf_bus_sub **out, unsigned type_mask);

/*
 * Connects to one more publisher. Connection happens in the background and is retried forever,
 * so the publisher need not be up yet. Returns 0, CF_EEXISTS (already connected to url),
 * CF_EINVALID (bad URL), CF_EIO, CF_ENOMEM.
 */
int cf_bus_sub_connect(cf_bus_sub *sub, const char *url);

/* Stops listening to url. Returns 0 or CF_ENOTFOUND. */
int cf_bus_sub_disconnect(cf_bus_sub *sub, const char *url);

/* Number of endpoints currently connected (as added by cf_bus_sub_connect). */
size_t cf_bus_sub_endpoint_count(const cf_bus_sub *sub);

/*
 * A file descriptor that polls readable when a message may be waiting (nanomsg NN_RCVFD), for an
 * event loop. Only poll it; never read or close it. Call cf_bus_sub_recv with timeout 0 until it
 * returns CF_EAGAIN. Returns 0 or CF_EIO.
 */
int cf_bus_sub_fd(int *out, const cf_bus_sub *sub);

/*
 * Receives the next valid message, dropping and counting invalid ones. timeout_ms: 0 returns at
 * once, -1 waits forever. *out is owned by the caller (cf_bus_msg_free). Returns 0, CF_EAGAIN
 * (nothing valid arrived in time), CF_EIO, CF_ENOMEM.
 */
int cf_bus_sub_recv(cf_bus_msg **out, cf_bus_sub *sub, int timeout_ms);

/* Copies the counters into *out. */
void cf_bus_sub_stats(cf_bus_stats *out, const cf_bus_sub *sub);

/* Closes the socket. NULL is a no-op. */
void cf_bus_sub_free(cf_bus_sub *sub);

#endif
