/*
 * applet_target.h: an ISO 14443-4 (ISO-DEP) card running the Laufmappe
 * applet (firmware/applet) in the simulated PN532's field.
 *
 * The card's NVM is a file in lm-vcard's format (journal + image, created as
 * LM_APPLET_JOURNAL_SIZE + 8192 zero bytes), so the same memory file can be
 * used by both. InDataExchange payloads are APDUs for lm_applet_process.
 */
#ifndef APPLET_TARGET_H
#define APPLET_TARGET_H

#include "lm_applet.h"
#include "lm_nvm_file.h"
#include "pn532_chip.h"

#define APPLET_TARGET_CAPACITY 8192u /* image bytes of a new memory file */

struct applet_target {
    struct lm_applet applet;
    struct lm_nvm_file mem;   /* the NVM; mem.torn = no power until re-entering the field */
};

/*
 * Open (or create) the memory file, power the applet on and describe the card
 * in *t: ATQA 00 04 / SAK 20 with a 4-byte UID, or ATQA 00 44 with the given
 * 7-byte uid (may be NULL), and an ATS. Returns 0, or -1 after printing why.
 */
int applet_target_open(struct applet_target *a, struct pn532_target *t, const char *path,
                       const uint8_t *uid7, long tear_after);

/* Close the memory file (safe on a closed one). */
void applet_target_close(struct applet_target *a);

#endif /* APPLET_TARGET_H */
