/*
 * daemon_player.h - capture files as the source of `vigil run` ([capture]
 * source = pcap:FILE,...; replay_speed, loop).
 *
 * Owns: replaying a list of capture files as one source. At recorded
 * speed or in a loop, each file is shifted in time to start a second
 * (LOOP_GAP_US) after the previous one ended, and every pass after the
 * previous pass, so packet time runs forward as on a live link: the flow
 * table, which lives on across files and passes, times flows out, and
 * recorded speed never waits for the days between two captures. Fast and
 * once, packet times stay as recorded: the same flows as `vigil replay` of
 * the same files. "First pass fast" (make run's demo) reads the files once
 * as fast as the pipeline goes, so the page has its alerts at once, then
 * loops at recorded speed like a live link.
 */
#ifndef VIGIL_DAEMON_PLAYER_H
#define VIGIL_DAEMON_PLAYER_H

#include <stdint.h>

#include "drivers/capture/capture.h"

struct player;

/* fast: 0 recorded speed, 1 fast, PLAYER_FAST_FIRST the first pass fast
 * and the later passes (loop) at recorded speed.
 * files (n of them) stay the caller's. NULL when out of memory. */
#define PLAYER_FAST_FIRST 2
struct player *player_new(char (*files)[1024], int n, int fast, int loop);
void player_free(struct player *pl);

/* Next packet: CAPTURE_PACKET (*out and *linktype set), CAPTURE_TIMEOUT
 * (a packet is not due yet; slept a little) or CAPTURE_EOF (all done). */
int player_next(struct player *pl, struct cap_packet *out, int *linktype);
/* Recorded speed: packet time now (the recording's clock running on). */
uint64_t player_clock(const struct player *pl);

int player_done(const struct player *pl);
uint32_t player_files_read(const struct player *pl);
uint64_t player_packets(const struct player *pl);

#endif
