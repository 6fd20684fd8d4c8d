/*
 * lm_air.h - how long an exchange takes on an ISO/IEC 14443 type A field:
 * the timing model of the virtual cards (lm-vcard --timing, and the
 * benches' transport floors), so that a bench shows what a desk feels on
 * a real field rather than what a loopback socket does.
 *
 * A frame of n bytes (CRC_A included) takes 9n + 2 elementary time units
 * (start bit or SOF, 8 data bits and a parity bit per byte, end or EOF);
 * one etu = 128 / (D * fc), fc = 13.56 MHz, D = 1, 2, 4, 8 for 106, 212,
 * 424 and 848 kbit/s.  Between frames: the card answers no earlier than
 * 1172/fc after the reader's frame (ISO/IEC 14443-3 FDT, n = 9), and the
 * reader sends its next frame no earlier than 6780/fc after the card's
 * (NFC Forum Digital FDT_A,POLL,MIN, ~500 us).  ISO-DEP (ISO/IEC 14443-4)
 * carries an APDU in I-blocks of at most FSC (to the card) or FSD (to the
 * reader) bytes, PCB and CRC_A included: an APDU longer than that is
 * chained, and each block but the last is acknowledged by an R(ACK) block
 * (PCB + CRC_A, 3 bytes) from the other side.  Not modelled: the card's
 * own processing (the host's real time stands for it), S(WTX) requests
 * (a card that needs longer than its frame waiting time asks for more;
 * FWT = 256 * 16 / fc * 2^FWI, 38.7 ms for our ATS's FWI 7), NVM
 * programming time, anticollision and RATS (once per session).
 */
#ifndef LM_AIR_H
#define LM_AIR_H

#include <stddef.h>
#include <stdint.h>

#define LM_AIR_FC_HZ		13560000u
#define LM_AIR_FDT_CARD_FC	1172u /* reader frame end -> card frame start */
#define LM_AIR_FDT_READER_FC	6780u /* card frame end -> next reader frame */
#define LM_AIR_ISO_DEP_OVERHEAD 3u    /* PCB + CRC_A per I-block (no CID, no NAD) */
#define LM_AIR_FRAME_MAX	256u  /* FSC = FSD = 256 (FSCI / FSDI 8) */

/* kbit/s -> D (1, 2, 4, 8); 0 for any other rate. */
unsigned lm_air_divisor(unsigned kbps);

/* Nanoseconds of one standard frame of n bytes (CRC_A included) at D. */
uint64_t lm_air_frame_ns(unsigned d, size_t n);

/* The two frame delay times of one command and its answer (card's + reader's). */
uint64_t lm_air_turn_ns(void);

/*
 * Nanoseconds of one APDU exchange over ISO-DEP at D: a c-byte command
 * APDU and an r-byte response APDU (data + SW1 SW2), each split into
 * I-blocks of at most frame_max bytes, every block but the last of each
 * side acknowledged by an R(ACK), with the two frame delay times between
 * frames.  *frames (may be NULL) gets the number of frames on the air.
 */
uint64_t lm_air_apdu_ns(unsigned d, size_t frame_max, size_t c, size_t r, unsigned *frames);

#endif /* LM_AIR_H */
