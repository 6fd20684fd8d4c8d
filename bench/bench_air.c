/*
 * bench_air.c - transport floors for the benches, from the timing model
 * the virtual cards use (firmware/include/lm_air.h): the least time the
 * air (and, for a PN532, its UART) needs to bring BYTES of a card's image.
 *
 *   bench_air applet KBPS BYTES      SELECT, then one READ BINARY of BYTES
 *                                    (extended Le, chained at FSD 256)
 *   bench_air apdu KBPS CMD RESP     one APDU of CMD bytes answered by RESP
 *   bench_air ntag KBPS BYTES BAUD   FAST_READs of at most 60 pages (what
 *                                    one PN532 frame carries) through a
 *                                    PN532: radio + UART frames at BAUD 8N1
 *
 * Prints the floor in milliseconds (three decimals) and nothing else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lm_air.h"

#define PN532_FRAME_OVERHEAD 9u /* 00 00 FF LEN LCS TFI CMD ... DCS 00 */
#define PN532_ACK	     6u

int main(int argc, char **argv)
{
	if (argc < 4)
		goto usage;
	unsigned d = lm_air_divisor((unsigned)atoi(argv[2]));
	if (!d)
		goto usage;
	double ns = 0;
	if (!strcmp(argv[1], "applet") && argc == 4) {
		size_t bytes = (size_t)atol(argv[3]);
		ns = (double)lm_air_apdu_ns(d, LM_AIR_FRAME_MAX, 15, 2, NULL) +
		     (double)lm_air_apdu_ns(d, LM_AIR_FRAME_MAX, 7, bytes + 2, NULL);
	} else if (!strcmp(argv[1], "apdu") && argc == 5) {
		ns = (double)lm_air_apdu_ns(d, LM_AIR_FRAME_MAX, (size_t)atol(argv[3]),
					    (size_t)atol(argv[4]), NULL);
	} else if (!strcmp(argv[1], "ntag") && argc == 5) {
		size_t bytes = (size_t)atol(argv[3]);
		double baud = atof(argv[4]);
		for (size_t done = 0; done < bytes;) {
			size_t n = bytes - done < 240 ? bytes - done : 240;
			/* FAST_READ 3A a b + CRC_A; the pages + CRC_A back. */
			ns += (double)(lm_air_frame_ns(d, 5) + lm_air_frame_ns(d, n + 2) +
				       lm_air_turn_ns());
			/* UART: InDataExchange 40 01 3A a b (D4 40 in the overhead); ACK; answer 41
			 * 00 + pages (an extended frame above 255 bytes: 3 more). */
			size_t uart = PN532_FRAME_OVERHEAD + 4 + PN532_ACK + PN532_FRAME_OVERHEAD +
				      1 + n + (n + 2 > 255 ? 3 : 0);
			ns += (double)uart * 10.0 * 1e9 / baud;
			done += n;
		}
	} else {
		goto usage;
	}
	printf("%.3f\n", ns / 1e6);
	return 0;
usage:
	fprintf(stderr, "usage: bench_air applet KBPS BYTES | apdu KBPS CMD RESP | "
			"ntag KBPS BYTES BAUD\n");
	return 2;
}
