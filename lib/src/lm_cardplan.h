/*
 * lm_cardplan.h - what an append plan of either image version shares
 * (card.c for version 1, protect.c for version 2): the entry's checks and
 * room, and the commit word written last.  Internal to the library.
 */
#ifndef LM_CARDPLAN_H
#define LM_CARDPLAN_H

#include <stddef.h>
#include <stdint.h>

#include "laufmappe/lm_card.h"

/*
 * The room entry[0..len) takes at the end of c's log: it must be a
 * COSE_Sign1 without a holder hint (cards never carry it: LM_ERR_ARG), and
 * fit, padded (*total), in lm_card_free(c) and the 16-bit commit word
 * (LM_ERR_CARD_FULL).  The caller has checked c->committed against its
 * header's room.
 */
int cardplan_room(const struct lm_card *c, const uint8_t *entry, size_t len, size_t *total);

/* End plan p with the commit word for new_committed at image offset off:
 * the last write, one atomic 4-byte write. */
void cardplan_commit(struct lm_card_plan *p, uint32_t off, size_t new_committed);

#endif /* LM_CARDPLAN_H */
