/*
 * pn532_frame.h: PN532 host-interface frames (UM0701-02 §6.2), both ways.
 *
 *   normal    00 00 FF LEN LCS TFI PD0..PDn DCS 00     LEN = 1..255 (TFI + PD)
 *   extended  00 00 FF FF FF LENM LENL LCS TFI PD.. DCS 00
 *   ACK       00 00 FF 00 FF 00        NACK  00 00 FF FF 00 00
 *   error     00 00 FF 01 FF 7F 81 00  (application-level / syntax error)
 *
 * LEN + LCS = 0 (mod 256) (LENM + LENL + LCS for extended frames);
 * TFI + sum(PD) + DCS = 0 (mod 256). TFI is D4 host->chip, D5 chip->host.
 * Pure functions over caller buffers: no I/O, no malloc.
 */
#ifndef PN532_FRAME_H
#define PN532_FRAME_H

#include <stddef.h>
#include <stdint.h>

/* Largest TFI+PD the simulated chip accepts or sends (PN532: 264 data bytes + TFI + cmd). */
#define PN532_MAX_DATA 266u
/* Longest frame on the wire: 8 bytes of extended header + data + DCS + postamble. */
#define PN532_MAX_FRAME (PN532_MAX_DATA + 10u)

#define PN532_TFI_HOST 0xD4u
#define PN532_TFI_CHIP 0xD5u

enum pn532_in {
    PN532_IN_MORE = 0, /* no complete frame yet: read more bytes (after dropping *used) */
    PN532_IN_FRAME,    /* a good frame: TFI..PD at buf[*data_off], *data_len bytes */
    PN532_IN_ACK,      /* the host sent ACK (it aborts the running command) */
    PN532_IN_NACK,     /* the host asks for the last response again */
    PN532_IN_BAD       /* a frame with a bad LCS/DCS or length: ignored, as the chip does */
};

/*
 * Look for one frame at the start of buf[0..len). Leading junk (the 55 55 00
 * ... wake-up preamble, stray bytes) is skipped. *used is the number of bytes
 * the caller may drop from the front of buf in every case (also for MORE).
 * For FRAME, *data_off and *data_len locate TFI+PD inside buf.
 */
enum pn532_in pn532_frame_parse(const uint8_t *buf, size_t len, size_t *used, size_t *data_off,
                                size_t *data_len);

/*
 * Build a chip->host frame around data (TFI+PD, data_len >= 1 bytes) into
 * out (capacity out_cap). Normal frame up to 255 bytes, extended above.
 * Returns the frame length, or 0 when data_len is 0 or too long or out too small.
 */
size_t pn532_frame_build(uint8_t *out, size_t out_cap, const uint8_t *data, size_t data_len);

/* ISO/IEC 14443-3 CRC_A over data (init 0x6363), low byte first into crc[0..1]. */
void pn532_crc_a(const uint8_t *data, size_t len, uint8_t crc[2]);

extern const uint8_t pn532_ack_frame[6];
extern const uint8_t pn532_error_frame[8];

#endif /* PN532_FRAME_H */
