/*
 * cmd.h - the subcommands of the `vigil` program, one file each
 * (cmd_<command>.c); vigil.c picks one.
 *
 * Each takes its own argv (argv[0] is the command's name), parses its
 * options and returns the exit status: 0 done, 1 failed, 2 usage.
 */
#ifndef VIGIL_CMD_H
#define VIGIL_CMD_H

int cmd_run(int argc, char **argv);      /* the sensor (vigil.conf) */
int cmd_replay(int argc, char **argv);   /* capture files -> flows */
int cmd_summary(int argc, char **argv);  /* what a flow database holds */
int cmd_rules(int argc, char **argv);    /* rules check DIR..., sign, verify */
int cmd_serve(int argc, char **argv);    /* the web for a database, no capture */
int cmd_user(int argc, char **argv);     /* the page's accounts from the console */
int cmd_led(int argc, char **argv);      /* the status LED */

#endif
