/*
 * flow_payload.h - the payload inspection window of a flow.
 *
 * Owns: the first bytes of payload of each direction of a flow, kept for
 * the rules that look at payload (pkt_data, file.data, filemagic, the
 * HTTP buffers taken from the first request and response): TCP in
 * sequence order from the first segment seen (a retransmission adds
 * nothing, a hole ends the direction's window), other protocols their
 * datagrams back to back. Bounded twice: at most cap bytes per direction,
 * and all windows together at most the pool's limit (bytes that do not
 * fit are counted, never waited for). A window grows as bytes arrive, so
 * a flow that carries little payload holds little; the pipeline frees it
 * as soon as the flow's rules have decided.
 */
#ifndef VIGIL_FLOW_PAYLOAD_H
#define VIGIL_FLOW_PAYLOAD_H

#include <stdint.h>

#include "decode/decode.h"

/* The default window per direction, and the default bound on all of them. */
#define FLOW_PAYLOAD_DEFAULT 2048u
#define FLOW_PAYLOAD_MAX 65536u
#define FLOW_PAYLOAD_POOL_DEFAULT (64u << 20)

/* What all windows of a flow table hold (the packet thread's). */
struct flow_payload_pool {
	uint64_t limit;          /* bytes; 0: FLOW_PAYLOAD_POOL_DEFAULT */
	uint64_t used;           /* bytes held now (buffers and headers) */
	uint64_t peak;
	uint64_t windows;        /* windows held now */
	uint64_t dropped_bytes;  /* payload not kept: the pool was full */
};

/* State bits of one direction of a window. */
#define FPW_SEEN  0x01   /* payload was seen in this direction */
#define FPW_FULL  0x02   /* cap bytes are held */
#define FPW_CUT   0x04   /* a hole (lost or snapped segment, fragment, full
                            pool): nothing after it is kept */
#define FPW_FIN   0x08   /* the direction ended (FIN, or RST either way) */
#define FPW_ANSWERED 0x10 /* the other direction sent payload after this one */

/* A read-only view for detection: [0] client -> server, [1] back. */
struct flow_window {
	const uint8_t *data[2];
	uint32_t len[2];
	uint8_t state[2];        /* FPW_* */
	uint32_t cap;
};

struct flow_payload;

/* Add the payload of one packet of the flow (and its TCP FIN/RST) to the
 * window in *fp, made on the first packet with payload. cap: bytes per
 * direction (1..FLOW_PAYLOAD_MAX). */
void flow_payload_add(struct flow_payload_pool *pool, struct flow_payload **fp, uint32_t cap,
		      const struct decoded *d, int to_server);

/* The window as it is now (an empty view for NULL). Valid until the next
 * flow_payload_add or flow_payload_free. */
void flow_payload_view(const struct flow_payload *fp, uint32_t cap, struct flow_window *w);

/* Free the window and set *fp to NULL. */
void flow_payload_free(struct flow_payload_pool *pool, struct flow_payload **fp);

#endif
