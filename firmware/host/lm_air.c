/*
 * lm_air.c - the ISO/IEC 14443 type A timing model (lm_air.h).
 */
#include "lm_air.h"

unsigned lm_air_divisor(unsigned kbps)
{
	switch (kbps) {
	case 106: return 1;
	case 212: return 2;
	case 424: return 4;
	case 848: return 8;
	default: return 0;
	}
}

/* Nanoseconds of `units` carrier periods (1/fc). */
static uint64_t fc_ns(uint64_t units)
{
	return units * 1000000000u / LM_AIR_FC_HZ;
}

uint64_t lm_air_frame_ns(unsigned d, size_t n)
{
	return fc_ns((9u * (uint64_t)n + 2u) * 128u / d);
}

uint64_t lm_air_turn_ns(void)
{
	return fc_ns(LM_AIR_FDT_CARD_FC) + fc_ns(LM_AIR_FDT_READER_FC);
}

/* I-blocks needed to carry len bytes of APDU (at least one: an empty APDU is one block). */
static size_t blocks(size_t len, size_t inf_max)
{
	return len == 0 ? 1u : (len + inf_max - 1u) / inf_max;
}

uint64_t lm_air_apdu_ns(unsigned d, size_t frame_max, size_t c, size_t r, unsigned *frames)
{
	size_t inf = frame_max - LM_AIR_ISO_DEP_OVERHEAD;
	size_t bc = blocks(c, inf), br = blocks(r, inf);
	/* Each block on the air, then the other side's answer to it: an
	 * R(ACK) after a chained block, the other direction's first block
	 * after the last one; a frame delay time before every frame but
	 * the first. */
	uint64_t ns = lm_air_frame_ns(d, c + bc * LM_AIR_ISO_DEP_OVERHEAD) +
		      lm_air_frame_ns(d, r + br * LM_AIR_ISO_DEP_OVERHEAD) +
		      (bc - 1u + br - 1u) * lm_air_frame_ns(d, LM_AIR_ISO_DEP_OVERHEAD);
	/* The card sends bc - 1 R(ACK)s and br blocks, each after the card's
	 * FDT; the reader bc - 1 blocks after the first, br - 1 R(ACK)s and
	 * its next command, each after the reader's FDT. */
	size_t card_frames = bc + br - 1u, reader_frames = bc + br - 1u;
	ns += card_frames * fc_ns(LM_AIR_FDT_CARD_FC) + reader_frames * fc_ns(LM_AIR_FDT_READER_FC);
	if (frames)
		*frames = (unsigned)(2u * (bc + br) - 2u);
	return ns;
}
