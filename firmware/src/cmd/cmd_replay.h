/*
 * replay.h - the `vigil replay` command (capture files -> flows).
 */
#ifndef VIGIL_REPLAY_H
#define VIGIL_REPLAY_H

int cmd_replay(int argc, char **argv);

#endif
