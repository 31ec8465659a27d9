/* util.c -- memory growth, messages, CRC-32, the state writer / reader. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

int mt_grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 16;
    while (c < need) {
        if (c > SIZE_MAX / 2)
            return -1;
        c *= 2;
    }
    if (c > SIZE_MAX / size)
        return -1;
    void *q = realloc(*p, c * size);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

void mt_fmt(char *buf, size_t len, const char *fmt, va_list ap)
{
    if (!buf || !len)
        return;
    vsnprintf(buf, len, fmt, ap);
}

int mt_fail(mt_tracker *t, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mt_fmt(t->err, sizeof t->err, fmt, ap);
    va_end(ap);
    return status;
}

/* ------------------------------------------------------------------ CRC-32 (IEEE) */
uint32_t mt_crc32(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

/* ------------------------------------------------------------------ writer (little-endian) */
void mt_w_bytes(mt_writer *w, const void *p, size_t n)
{
    if (w->buf && w->len + n <= w->cap)
        memcpy(w->buf + w->len, p, n);
    w->len += n;
}

void mt_w_u32(mt_writer *w, uint32_t v)
{
    unsigned char b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    mt_w_bytes(w, b, 4);
}

void mt_w_i64(mt_writer *w, int64_t v)
{
    uint64_t u = (uint64_t)v;
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(u >> (8 * i));
    mt_w_bytes(w, b, 8);
}

void mt_w_f64(mt_writer *w, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    mt_w_i64(w, (int64_t)u);
}

/* ------------------------------------------------------------------ reader */
void mt_r_fail(mt_reader *r, const char *fmt, ...)
{
    if (r->bad)
        return;
    r->bad = 1;
    va_list ap;
    va_start(ap, fmt);
    mt_fmt(r->err, MT_ERRLEN, fmt, ap);
    va_end(ap);
}

int mt_r_bytes(mt_reader *r, void *p, size_t n)
{
    if (r->bad || n > r->len - r->pos) {
        if (!r->bad)
            mt_r_fail(r, "state: truncated (needs %zu more bytes at offset %zu)", n, r->pos);
        memset(p, 0, n);
        return -1;
    }
    memcpy(p, r->buf + r->pos, n);
    r->pos += n;
    return 0;
}

uint32_t mt_r_u32(mt_reader *r)
{
    unsigned char b[4];
    mt_r_bytes(r, b, 4);
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)b[i] << (8 * i);
    return v;
}

int64_t mt_r_i64(mt_reader *r)
{
    unsigned char b[8];
    mt_r_bytes(r, b, 8);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return (int64_t)v;
}

double mt_r_f64(mt_reader *r)
{
    uint64_t u = (uint64_t)mt_r_i64(r);
    double v;
    memcpy(&v, &u, 8);
    return v;
}
