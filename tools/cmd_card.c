/*
 * cmd_card.c - commands that talk to a card through a reader (PC/SC, libnfc).
 * Filled by the transport work (issues 3 and 4).
 */
#include "cli.h"

const struct cli_cmd cli_cmds_card[] = {
	{NULL, NULL, NULL, NULL},
};
