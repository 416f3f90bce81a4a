/*
 * daemon_player.c - capture files as the daemon's source (see
 * daemon_player.h).
 *
 * Files are shifted in time as daemon_player.h says; recorded speed is
 * kept by holding a packet until the monotonic clock reaches its due time
 * (mono_s), never by sleeping longer than 0.1 s, so the loop's timers and
 * signals are served meanwhile.
 */
#include "daemon_player.h"

#include <stdlib.h>

#include "core/clock.h"
#include "core/log.h"

#define LOOP_GAP_US US_PER_S  /* between two passes of a looping replay */

struct player {
	char (*files)[1024];
	int n, idx;
	int fast, loop;
	int fast_first;         /* the first pass fast, the later ones at recorded speed */
	struct capture *cap;
	int64_t offset_us;      /* added to the packet times of this file */
	int file_packets;       /* packets read from the open file */
	uint64_t last_us;       /* latest (shifted) time handed out */
	uint64_t pass_packets;
	/* recorded speed: packet time ts0 is due at mono0 */
	int clock_set;
	double mono0;
	uint64_t ts0;
	int held;               /* pkt is read but not due yet */
	struct cap_packet pkt;
	int linktype;
	int done;
	uint32_t files_read;
	uint64_t packets;
};

struct player *player_new(char (*files)[1024], int n, int fast, int loop)
{
	struct player *pl = calloc(1, sizeof *pl);

	if (!pl)
		return NULL;
	pl->files = files;
	pl->n = n;
	pl->fast = fast != 0;
	pl->fast_first = fast == PLAYER_FAST_FIRST;
	pl->loop = loop;
	return pl;
}

int player_done(const struct player *pl)
{
	return pl->done;
}

uint32_t player_files_read(const struct player *pl)
{
	return pl->files_read;
}

uint64_t player_packets(const struct player *pl)
{
	return pl->packets;
}

/* The end of one file: the next, the next pass (loop), or done. */
static void player_next_file(struct player *pl)
{
	capture_close(pl->cap);
	pl->cap = NULL;
	if (++pl->idx < pl->n)
		return;
	pl->idx = 0;
	if (!pl->loop || pl->pass_packets == 0)
		pl->done = 1;
	pl->pass_packets = 0;
	if (pl->fast_first && pl->fast) {
		pl->fast = 0;
		log_info("replay: first pass read; the next ones at recorded speed");
	}
}

/* A packet read from the file: shifted, counted. */
static void player_take(struct player *pl)
{
	int64_t ts;

	if (pl->file_packets++ == 0 && (!pl->fast || pl->loop) && pl->last_us)
		pl->offset_us = (int64_t)(pl->last_us + LOOP_GAP_US) - (int64_t)pl->pkt.ts_us;
	ts = (int64_t)pl->pkt.ts_us + pl->offset_us;
	pl->pkt.ts_us = ts > 0 ? (uint64_t)ts : 0;
	if (pl->pkt.ts_us > pl->last_us)
		pl->last_us = pl->pkt.ts_us;
	pl->pass_packets++;
	pl->packets++;
	pl->linktype = capture_linktype(pl->cap);
}

/* Next packet of the replay: CAPTURE_PACKET, CAPTURE_TIMEOUT (a packet is
 * not due yet; slept a little) or CAPTURE_EOF (all done). */
int player_next(struct player *pl, struct cap_packet *out, int *linktype)
{
	char err[512];

	while (!pl->done) {
		if (pl->held) {
			double due = pl->pkt.ts_us >= pl->ts0 ?
				pl->mono0 + (double)(pl->pkt.ts_us - pl->ts0) / 1e6 : 0;
			double now = mono_s();
			if (due > now) {
				sleep_s(due - now < 0.1 ? due - now : 0.1);
				return CAPTURE_TIMEOUT;
			}
			pl->held = 0;
			*out = pl->pkt;
			*linktype = pl->linktype;
			return CAPTURE_PACKET;
		}
		if (!pl->cap) {
			pl->cap = capture_open_file(pl->files[pl->idx], err, sizeof err);
			if (!pl->cap) {
				log_error("%s", err);
				player_next_file(pl);
				continue;
			}
			pl->files_read++;
			pl->file_packets = 0;
			log_info("%s: replaying (link type %d)", pl->files[pl->idx], capture_linktype(pl->cap));
		}
		int rc = capture_next(pl->cap, &pl->pkt);
		if (rc == CAPTURE_PACKET) {
			player_take(pl);
			if (pl->fast) {
				*out = pl->pkt;
				*linktype = pl->linktype;
				return CAPTURE_PACKET;
			}
			if (!pl->clock_set) {
				pl->clock_set = 1;
				pl->mono0 = mono_s();
				pl->ts0 = pl->pkt.ts_us;
			}
			pl->held = 1;
			continue;
		}
		if (rc == CAPTURE_ERROR)
			log_error("%s", capture_error(pl->cap));
		player_next_file(pl);
	}
	return CAPTURE_EOF;
}

/* Recorded speed: packet time now (the recording's clock running on). */
uint64_t player_clock(const struct player *pl)
{
	uint64_t now;

	if (pl->fast || !pl->clock_set)
		return pl->last_us;
	now = pl->ts0 + (uint64_t)((mono_s() - pl->mono0) * 1e6);
	if (pl->held && now > pl->pkt.ts_us)
		now = pl->pkt.ts_us;
	return now > pl->last_us ? now : pl->last_us;
}

void player_free(struct player *pl)
{
	if (!pl)
		return;
	if (pl->cap)
		capture_close(pl->cap);
	free(pl);
}
