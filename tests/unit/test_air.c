/*
 * test_air.c - the ISO 14443 type A timing model of the virtual cards
 * (firmware/include/lm_air.h), against figures worked out by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lm_air.h"

/* One etu at 106 kbit/s is 128 / 13.56 MHz = 9439 ns. */
static void test_frames(void **state)
{
	(void)state;
	assert_int_equal(lm_air_divisor(106), 1);
	assert_int_equal(lm_air_divisor(848), 8);
	assert_int_equal(lm_air_divisor(100), 0);
	/* 16 bytes + CRC_A: 9 * 18 + 2 = 164 etu = 1548 us. */
	assert_int_equal(lm_air_frame_ns(1, 18) / 1000, 1548);
	/* The same frame at 848 kbit/s: an eighth. */
	assert_int_equal(lm_air_frame_ns(8, 18) / 1000, 193);
	/* FDTs: 1172/fc = 86.4 us, 6780/fc = 500 us. */
	assert_int_equal(lm_air_turn_ns() / 1000, 586);
}

/*
 * READ BINARY of 240 bytes: 5 + 3 bytes out, 242 + 3 back, one block each:
 * (74 + 2207) etu = 21531 us, plus both FDTs.
 */
static void test_short_apdu(void **state)
{
	unsigned frames;
	(void)state;
	uint64_t ns = lm_air_apdu_ns(1, 256, 5, 242, &frames);
	assert_int_equal(frames, 2);
	assert_int_equal(ns / 1000,
			 (lm_air_frame_ns(1, 8) + lm_air_frame_ns(1, 245) + lm_air_turn_ns()) /
				 1000);
	assert_in_range(ns / 1000, 22100, 22120);
}

/*
 * An extended READ BINARY of 8100 bytes: 8102 bytes back need 33 blocks of
 * at most 253 (32 chained, each answered by the reader's R(ACK)); the
 * 7-byte command is one block.
 */
static void test_chained_apdu(void **state)
{
	unsigned frames;
	(void)state;
	uint64_t ns = lm_air_apdu_ns(1, 256, 7, 8102, &frames);
	assert_int_equal(frames, 2 * (1 + 33) - 2);
	uint64_t want = lm_air_frame_ns(1, 10) + lm_air_frame_ns(1, 8102 + 33 * 3) +
			32 * lm_air_frame_ns(1, 3) + 33 * lm_air_turn_ns();
	assert_int_equal(ns, want);
	/* A chained command (an UPDATE of 600 bytes: 3 blocks, 2 R(ACK)s back). */
	ns = lm_air_apdu_ns(1, 256, 607, 2, &frames);
	assert_int_equal(frames, 2 * (3 + 1) - 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frames),
		cmocka_unit_test(test_short_apdu),
		cmocka_unit_test(test_chained_apdu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
