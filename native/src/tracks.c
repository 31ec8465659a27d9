/* tracks.c -- the track table and the lifecycle rules every tracker shares
 * (mottrack/tracks.py), and its save / load. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

int mt_table_init(mt_table *tb, int dim, int ni, int nf, size_t cap)
{
    memset(tb, 0, sizeof *tb);
    tb->dim = dim;
    tb->ni = ni;
    tb->nf = nf;
    tb->n = 0;
    tb->next_id = 1;
    return mt_table_reserve(tb, cap);
}

void mt_table_free(mt_table *tb)
{
    free(tb->mean);
    free(tb->cov);
    free(tb->ints);
    free(tb->floats);
    free(tb->feats);
    memset(tb, 0, sizeof *tb);
}

int mt_table_reserve(mt_table *tb, size_t rows)
{
    if (rows <= tb->cap)
        return 0;
    size_t c = tb->cap ? tb->cap : 32;
    while (c < rows)
        c *= 2;
    size_t d = (size_t)tb->dim;
    double *mean = calloc(c * d, sizeof *mean);
    double *cov = calloc(c * d * d, sizeof *cov);
    int64_t *ints = calloc(c * (size_t)tb->ni, sizeof *ints);
    double *floats = calloc(c * (size_t)tb->nf, sizeof *floats);
    double *feats = tb->nfeat ? calloc(c * (size_t)tb->nfeat, sizeof *feats) : NULL;
    if (!mean || !cov || !ints || !floats || (tb->nfeat && !feats)) {
        free(mean); free(cov); free(ints); free(floats); free(feats);
        return -1;
    }
    size_t n = (size_t)tb->n;
    if (n) {
        memcpy(mean, tb->mean, n * d * sizeof *mean);
        memcpy(cov, tb->cov, n * d * d * sizeof *cov);
        memcpy(ints, tb->ints, n * (size_t)tb->ni * sizeof *ints);
        memcpy(floats, tb->floats, n * (size_t)tb->nf * sizeof *floats);
        if (tb->nfeat)
            memcpy(feats, tb->feats, n * (size_t)tb->nfeat * sizeof *feats);
    }
    free(tb->mean); free(tb->cov); free(tb->ints); free(tb->floats); free(tb->feats);
    tb->mean = mean; tb->cov = cov; tb->ints = ints; tb->floats = floats; tb->feats = feats;
    tb->cap = c;
    return 0;
}

int mt_table_set_nfeat(mt_table *tb, int nfeat)
{
    double *f = NULL;
    if (nfeat > 0 && tb->cap) {
        f = calloc(tb->cap * (size_t)nfeat, sizeof *f);
        if (!f)
            return -1;
    }
    free(tb->feats);
    tb->feats = f;
    tb->nfeat = nfeat;
    return 0;
}

void mt_start_track(mt_table *tb, int64_t row, int64_t id, int64_t hits, int64_t state,
                    int64_t class_id, int64_t det, double score)
{
    for (int k = 0; k < tb->ni; k++)
        MT_I(tb, row, k) = 0;
    for (int k = 0; k < tb->nf; k++)
        MT_F(tb, row, k) = 0.0;
    MT_I(tb, row, MT_ID) = id;
    MT_I(tb, row, MT_HITS) = hits;
    MT_I(tb, row, MT_STATE) = state;
    MT_I(tb, row, MT_CLASS) = class_id;
    MT_I(tb, row, MT_DET) = det;
    MT_F(tb, row, MT_SCORE) = score;
}

void mt_mark_predicted(mt_table *tb, int64_t n, double dt)
{
    for (int64_t t = 0; t < n; t++) {
        MT_I(tb, t, MT_AGE) += 1;
        if (MT_F(tb, t, MT_TSU) > 0.0)
            MT_I(tb, t, MT_STREAK) = 0;
        MT_F(tb, t, MT_TSU) += dt;
        MT_I(tb, t, MT_DET) = -1;
    }
}

void mt_mark_hit(mt_table *tb, int64_t row, int64_t det, int64_t class_id, double score)
{
    MT_I(tb, row, MT_HITS) += 1;
    MT_I(tb, row, MT_STREAK) += 1;
    MT_I(tb, row, MT_DET) = det;
    MT_I(tb, row, MT_CLASS) = class_id;
    MT_F(tb, row, MT_TSU) = 0.0;
    MT_F(tb, row, MT_SCORE) = score;
}

void mt_copy_row(mt_table *tb, int64_t src, int64_t dst)
{
    if (src == dst)
        return;
    size_t d = (size_t)tb->dim;
    memmove(MT_MEAN(tb, dst), MT_MEAN(tb, src), d * sizeof(double));
    memmove(MT_COV(tb, dst), MT_COV(tb, src), d * d * sizeof(double));
    memmove(&MT_I(tb, dst, 0), &MT_I(tb, src, 0), (size_t)tb->ni * sizeof(int64_t));
    memmove(&MT_F(tb, dst, 0), &MT_F(tb, src, 0), (size_t)tb->nf * sizeof(double));
    if (tb->nfeat)
        memmove(tb->feats + (size_t)dst * (size_t)tb->nfeat, tb->feats + (size_t)src * (size_t)tb->nfeat,
                (size_t)tb->nfeat * sizeof(double));
}

int64_t mt_compact(mt_table *tb, int64_t n, const unsigned char *keep)
{
    int64_t m = 0;
    for (int64_t t = 0; t < n; t++) {
        if (keep[t]) {
            if (m != t)
                mt_copy_row(tb, t, m);
            m++;
        }
    }
    return m;
}

/* ------------------------------------------------------------------ save / load */
void mt_table_save(const mt_table *tb, mt_writer *w)
{
    size_t n = (size_t)tb->n, d = (size_t)tb->dim;
    mt_w_u32(w, (uint32_t)tb->dim);
    mt_w_u32(w, (uint32_t)tb->ni);
    mt_w_u32(w, (uint32_t)tb->nf);
    mt_w_u32(w, (uint32_t)tb->nfeat);
    mt_w_i64(w, tb->n);
    mt_w_i64(w, tb->next_id);
    for (size_t i = 0; i < n * d; i++)
        mt_w_f64(w, tb->mean[i]);
    for (size_t i = 0; i < n * d * d; i++)
        mt_w_f64(w, tb->cov[i]);
    for (size_t i = 0; i < n * (size_t)tb->ni; i++)
        mt_w_i64(w, tb->ints[i]);
    for (size_t i = 0; i < n * (size_t)tb->nf; i++)
        mt_w_f64(w, tb->floats[i]);
    for (size_t i = 0; i < n * (size_t)tb->nfeat; i++)
        mt_w_f64(w, tb->feats[i]);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int mt_table_load(mt_table *tb, mt_reader *r, const char *what)
{
    uint32_t dim = mt_r_u32(r), ni = mt_r_u32(r), nf = mt_r_u32(r), nfeat = mt_r_u32(r);
    int64_t n = mt_r_i64(r), next_id = mt_r_i64(r);
    if (r->bad)
        return -1;
    if ((int)dim != tb->dim || (int)ni != tb->ni || (int)nf != tb->nf || nfeat > 1u << 20) {
        mt_r_fail(r, "state: %s has columns (%u, %u, %u), expected (%d, %d, %d)", what, dim, ni, nf,
                  tb->dim, tb->ni, tb->nf);
        return -1;
    }
    /* every row takes at least (dim + dim^2 + ni + nf) * 8 bytes: bound n by what is left */
    size_t row_bytes = ((size_t)dim + (size_t)dim * dim + ni + nf + nfeat) * 8;
    if (n < 0 || (uint64_t)n > (r->len - r->pos) / row_bytes) {
        mt_r_fail(r, "state: %s holds %lld rows, more than the buffer can hold", what, (long long)n);
        return -1;
    }
    if (next_id < 1 || next_id > INT64_MAX / 2) {
        mt_r_fail(r, "state: %s next_id %lld is outside [1, 2**62]", what, (long long)next_id);
        return -1;
    }
    if (mt_table_set_nfeat(tb, (int)nfeat) || mt_table_reserve(tb, (size_t)n + 1)) {
        mt_r_fail(r, "state: out of memory for %lld rows", (long long)n);
        return -1;
    }
    size_t nn = (size_t)n, d = dim;
    for (size_t i = 0; i < nn * d; i++)
        tb->mean[i] = mt_r_f64(r);
    for (size_t i = 0; i < nn * d * d; i++)
        tb->cov[i] = mt_r_f64(r);
    for (size_t i = 0; i < nn * ni; i++)
        tb->ints[i] = mt_r_i64(r);
    for (size_t i = 0; i < nn * nf; i++)
        tb->floats[i] = mt_r_f64(r);
    for (size_t i = 0; i < nn * nfeat; i++)
        tb->feats[i] = mt_r_f64(r);
    if (r->bad)
        return -1;
    tb->n = n;
    tb->next_id = next_id;
    for (size_t i = 0; i < nn * d; i++)
        if (!isfinite(tb->mean[i])) {
            mt_r_fail(r, "state: %s mean must be finite (row %zu)", what, i / d);
            return -1;
        }
    for (size_t i = 0; i < nn * d * d; i++)
        if (!isfinite(tb->cov[i])) {
            mt_r_fail(r, "state: %s covariance must be finite (row %zu)", what, i / (d * d));
            return -1;
        }
    for (size_t i = 0; i < nn * nf; i++)
        if (!isfinite(tb->floats[i])) {
            mt_r_fail(r, "state: %s float columns must be finite (row %zu)", what, i / nf);
            return -1;
        }
    for (size_t i = 0; i < nn * nfeat; i++)
        if (!isfinite(tb->feats[i])) {
            mt_r_fail(r, "state: %s features must be finite (row %zu)", what, i / nfeat);
            return -1;
        }
    for (int64_t t = 0; t < n; t++) {
        int64_t id = MT_I(tb, t, MT_ID), st = MT_I(tb, t, MT_STATE);
        if (id < 1 || id >= next_id) {
            mt_r_fail(r, "state: %s row %lld has id %lld outside [1, next_id)", what, (long long)t, (long long)id);
            return -1;
        }
        if (st < MT_TENTATIVE || st > MT_DELETED) {
            mt_r_fail(r, "state: %s row %lld has state %lld", what, (long long)t, (long long)st);
            return -1;
        }
        if (MT_I(tb, t, MT_HITS) < 0 || MT_I(tb, t, MT_STREAK) < 0 || MT_I(tb, t, MT_AGE) < 0
            || MT_I(tb, t, MT_CLASS) < -1 || MT_I(tb, t, MT_DET) < -1
            || MT_I(tb, t, MT_HITS) > INT64_MAX / 2 || MT_I(tb, t, MT_STREAK) > INT64_MAX / 2
            || MT_I(tb, t, MT_AGE) > INT64_MAX / 2 || MT_I(tb, t, MT_DET) > INT64_MAX / 2) {
            mt_r_fail(r, "state: %s row %lld has a lifecycle count out of range", what, (long long)t);
            return -1;
        }
    }
    /* ids unique: sort a copy in the row storage after n (reserved above) -- use a temp */
    if (n > 1) {
        int64_t *ids = malloc(nn * sizeof *ids);
        if (!ids) {
            mt_r_fail(r, "state: out of memory");
            return -1;
        }
        for (size_t t = 0; t < nn; t++)
            ids[t] = MT_I(tb, t, MT_ID);
        qsort(ids, nn, sizeof *ids, cmp_i64);
        int dup = 0;
        for (size_t t = 1; t < nn; t++)
            dup |= ids[t] == ids[t - 1];
        free(ids);
        if (dup) {
            mt_r_fail(r, "state: %s holds two tracks with one id", what);
            return -1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ SORT's rules over (u, v, s, r) */
int64_t mt_xysr_boxes_or_drop(mt_table *tb, int64_t n, double *pred, unsigned char *keep)
{
    int dropped = 0;
    for (int64_t t = 0; t < n; t++) {
        double *b = pred + 4 * t;
        mt_xysr_box(MT_MEAN(tb, t), b);
        keep[t] = 1;
        for (int k = 0; k < 4; k++)
            if (isnan(b[k])) {
                keep[t] = 0;
                dropped = 1;
            }
    }
    if (dropped) {
        int64_t m = 0;
        for (int64_t t = 0; t < n; t++)
            if (keep[t]) {
                if (m != t)
                    memmove(pred + 4 * m, pred + 4 * t, 4 * sizeof *pred);
                m++;
            }
        n = mt_compact(tb, n, keep);
    }
    return n;
}

int64_t mt_report_xysr_tracks(mt_table *tb, int64_t *n_io, int64_t frame_count, double min_hits, double max_age,
                              int need_detection, double *out, unsigned char *keep)
{
    int64_t n = *n_io, m = 0;
    int dropped = 0;
    for (int64_t t = 0; t < n; t++) {
        if ((double)MT_I(tb, t, MT_STREAK) >= min_hits)
            MT_I(tb, t, MT_STATE) = MT_CONFIRMED;
        int updated = need_detection ? MT_I(tb, t, MT_DET) >= 0 : MT_F(tb, t, MT_TSU) < 1.0;
        if (updated && ((double)MT_I(tb, t, MT_STREAK) >= min_hits || (double)frame_count <= min_hits)) {
            double *o = out + 8 * m;
            mt_xysr_box(MT_MEAN(tb, t), o);
            o[4] = (double)MT_I(tb, t, MT_ID);
            o[5] = MT_F(tb, t, MT_SCORE);
            o[6] = (double)MT_I(tb, t, MT_CLASS);
            o[7] = (double)MT_I(tb, t, MT_DET);
            m++;
        }
        keep[t] = !(MT_F(tb, t, MT_TSU) > max_age);
        dropped = dropped || !keep[t];
    }
    if (dropped)
        n = mt_compact(tb, n, keep);
    *n_io = n;
    return m;
}
