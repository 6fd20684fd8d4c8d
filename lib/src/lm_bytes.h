/*
 * lm_bytes.h - byte order and padding of the card image, shared by the
 * version 1 image (card.c) and the protected one (protect.c).
 */
#ifndef LM_BYTES_H
#define LM_BYTES_H

#include <stddef.h>
#include <stdint.h>

#include "laufmappe/lm_card.h"

static inline uint16_t lm_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void lm_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* An entry's length with its zero padding to LM_CARD_ALIGN. */
static inline size_t lm_card_padded(size_t len)
{
	return (len + LM_CARD_ALIGN - 1) / LM_CARD_ALIGN * LM_CARD_ALIGN;
}

#endif /* LM_BYTES_H */
