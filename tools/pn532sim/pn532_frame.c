/*
 * pn532_frame.c: parse host frames and build chip frames (see pn532_frame.h).
 */
#include "pn532_frame.h"

#include <string.h>

const uint8_t pn532_ack_frame[6] = {0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00};
const uint8_t pn532_error_frame[8] = {0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00};

/* Sum of len bytes, modulo 256. */
static uint8_t sum8(const uint8_t *p, size_t len)
{
    uint8_t s = 0;
    size_t i;

    for (i = 0; i < len; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

/*
 * Find the start code 00 FF. Returns its index, or len when there is none;
 * then the caller may drop all bytes but a trailing 00 (which could begin
 * the next start code).
 */
static size_t find_start(const uint8_t *buf, size_t len)
{
    size_t i;

    for (i = 0; i + 1u < len; i++)
        if (buf[i] == 0x00u && buf[i + 1u] == 0xFFu)
            return i;
    return len;
}

enum pn532_in pn532_frame_parse(const uint8_t *buf, size_t len, size_t *used, size_t *data_off,
                                size_t *data_len)
{
    size_t s = find_start(buf, len);
    size_t h, n;

    *data_off = 0;
    *data_len = 0;
    if (s == len) {
        *used = (len > 0u && buf[len - 1u] == 0x00u) ? len - 1u : len;
        return PN532_IN_MORE;
    }
    *used = s; /* junk before the start code */
    h = s + 2u; /* first byte after 00 FF */
    if (len < h + 2u)
        return PN532_IN_MORE;
    if (buf[h] == 0x00u && buf[h + 1u] == 0xFFu) {
        *used = h + 2u;
        return PN532_IN_ACK;
    }
    if (buf[h] == 0xFFu && buf[h + 1u] == 0x00u) {
        *used = h + 2u;
        return PN532_IN_NACK;
    }
    if (buf[h] == 0xFFu && buf[h + 1u] == 0xFFu) {
        if (len < h + 5u)
            return PN532_IN_MORE;
        if (sum8(buf + h + 2u, 3u) != 0u) {
            *used = h;
            return PN532_IN_BAD;
        }
        n = ((size_t)buf[h + 2u] << 8) | buf[h + 3u];
        h += 5u;
    } else {
        if ((uint8_t)(buf[h] + buf[h + 1u]) != 0u) {
            *used = h;
            return PN532_IN_BAD;
        }
        n = buf[h];
        h += 2u;
    }
    if (n == 0u || n > PN532_MAX_DATA) {
        *used = h;
        return PN532_IN_BAD;
    }
    if (len < h + n + 1u)
        return PN532_IN_MORE;
    *used = h + n + 1u; /* data and DCS; a postamble 00 is skipped as junk later */
    if (sum8(buf + h, n + 1u) != 0u)
        return PN532_IN_BAD;
    *data_off = h;
    *data_len = n;
    return PN532_IN_FRAME;
}

size_t pn532_frame_build(uint8_t *out, size_t out_cap, const uint8_t *data, size_t data_len)
{
    size_t h;

    if (data_len == 0u || data_len > PN532_MAX_DATA)
        return 0;
    h = (data_len > 255u) ? 8u : 5u;
    if (out_cap < h + data_len + 2u)
        return 0;
    out[0] = 0x00u;
    out[1] = 0x00u;
    out[2] = 0xFFu;
    if (h == 8u) {
        out[3] = 0xFFu;
        out[4] = 0xFFu;
        out[5] = (uint8_t)(data_len >> 8);
        out[6] = (uint8_t)(data_len & 0xFFu);
        out[7] = (uint8_t)(0u - sum8(out + 5, 2u));
    } else {
        out[3] = (uint8_t)data_len;
        out[4] = (uint8_t)(0u - out[3]);
    }
    memcpy(out + h, data, data_len);
    out[h + data_len] = (uint8_t)(0u - sum8(data, data_len));
    out[h + data_len + 1u] = 0x00u;
    return h + data_len + 2u;
}

void pn532_crc_a(const uint8_t *data, size_t len, uint8_t crc[2])
{
    uint16_t c = 0x6363u;
    size_t i;

    for (i = 0; i < len; i++) {
        uint8_t b = (uint8_t)(data[i] ^ (c & 0xFFu));
        b = (uint8_t)(b ^ (b << 4));
        c = (uint16_t)((c >> 8) ^ ((uint16_t)b << 8) ^ ((uint16_t)b << 3) ^ (b >> 4));
    }
    crc[0] = (uint8_t)(c & 0xFFu);
    crc[1] = (uint8_t)(c >> 8);
}
