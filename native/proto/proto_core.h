/* TEMPORARY stand-in for native's core (kalman xysr, track table), to develop ocsort.c before
 * the core lands; deleted once ocsort.c builds on native/src. Mirrors mottrack/kalman.py and
 * mottrack/tracks.py operation for operation. */
#ifndef PROTO_CORE_H
#define PROTO_CORE_H
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { T_ID, T_HITS, T_STREAK, T_AGE, T_STATE, T_CLASS, T_DET, T_N_INT_BASE };
enum { T_TSU, T_SCORE, T_N_FLOAT_BASE };
enum { TENTATIVE, CONFIRMED, LOST, DELETED };

typedef struct {
    size_t n, cap, dim, ni, nf;
    int64_t next_id;
    double *mean, *cov, *floats;
    int64_t *ints;
} table_t;

static const double XYSR_P0[7] = {10.0, 10.0, 10.0, 10.0, 10000.0, 10000.0, 10000.0};
static const double XYSR_Q[7] = {1.0, 1.0, 1.0, 1.0, 0.01, 0.01, 0.0001};
static const double XYSR_R[4] = {1.0, 1.0, 10.0, 10.0};

#define M(tb, t, k) ((tb)->mean[(size_t)(t) * 7 + (k)])
#define P(tb, t, i, j) ((tb)->cov[(size_t)(t) * 49 + (i) * 7 + (j)])
#define I(tb, t, k) ((tb)->ints[(size_t)(t) * (tb)->ni + (k)])
#define F(tb, t, k) ((tb)->floats[(size_t)(t) * (tb)->nf + (k)])

static inline int table_reserve(table_t *tb, size_t extra) {
    size_t need = tb->n + extra;
    if (need <= tb->cap) return 0;
    size_t cap = tb->cap * 2 > need ? tb->cap * 2 : need;
    double *m = realloc(tb->mean, cap * 7 * sizeof(double));
    if (!m) return -1;
    tb->mean = m;
    double *c = realloc(tb->cov, cap * 49 * sizeof(double));
    if (!c) return -1;
    tb->cov = c;
    int64_t *in = realloc(tb->ints, cap * tb->ni * sizeof(int64_t));
    if (!in) return -1;
    tb->ints = in;
    double *fl = realloc(tb->floats, cap * tb->nf * sizeof(double));
    if (!fl) return -1;
    tb->floats = fl;
    tb->cap = cap;
    return 0;
}

static inline void xysr_z(double x1, double y1, double x2, double y2, double h_eps, double z[4]) {
    double w = x2 - x1, h = y2 - y1;
    z[0] = x1 + w / 2.0;
    z[1] = y1 + h / 2.0;
    z[2] = w * h;
    z[3] = w / (h + h_eps);
}

static inline void xysr_initiate_z(table_t *tb, size_t row, const double z[4]) {
    for (int k = 0; k < 4; k++) M(tb, row, k) = z[k];
    for (int k = 4; k < 7; k++) M(tb, row, k) = 0.0;
    for (int i = 0; i < 7; i++) {
        for (int j = 0; j < 7; j++) P(tb, row, i, j) = 0.0;
        P(tb, row, i, i) = XYSR_P0[i];
    }
}

static inline void block_predict(table_t *tb, size_t t, int k, int v, double dt, double qk, double qv) {
    M(tb, t, k) += dt * M(tb, t, v);
    double a = P(tb, t, k, k), b = P(tb, t, k, v), c = P(tb, t, v, v);
    double bc = b + dt * c;
    P(tb, t, k, k) = a + dt * b + dt * bc + qk;
    P(tb, t, k, v) = bc;
    P(tb, t, v, k) = bc;
    P(tb, t, v, v) = c + qv;
}

static inline void xysr_predict_row(table_t *tb, size_t t, double dt) {
    for (int k = 0; k < 3; k++) block_predict(tb, t, k, k + 4, dt, XYSR_Q[k] * dt, XYSR_Q[k + 4] * dt);
    P(tb, t, 3, 3) += XYSR_Q[3] * dt;
}

static inline void xysr_predict(table_t *tb, size_t n, double dt) {
    for (size_t t = 0; t < n; t++) {
        if (M(tb, t, 6) * dt + M(tb, t, 2) <= 0.0) M(tb, t, 6) = 0.0;
        xysr_predict_row(tb, t, dt);
    }
}

static inline void xysr_box(const table_t *tb, size_t row, double b[4]) {
    double s = M(tb, row, 2), r = M(tb, row, 3);
    double w = sqrt(s * r);
    double h = s / w;
    b[0] = M(tb, row, 0) - w / 2.0;
    b[1] = M(tb, row, 1) - h / 2.0;
    b[2] = M(tb, row, 0) + w / 2.0;
    b[3] = M(tb, row, 1) + h / 2.0;
}

static inline void block_update_joseph(table_t *tb, size_t t, int k, int v, double r, double y) {
    double a = P(tb, t, k, k), b = P(tb, t, k, v), c = P(tb, t, v, v);
    double s = a + r;
    double g0 = a / s, g1 = b / s;
    M(tb, t, k) += g0 * y;
    M(tb, t, v) += g1 * y;
    double m = 1.0 - g0;
    P(tb, t, k, k) = m * m * a + g0 * g0 * r;
    double off = m * (b - g1 * a) + g0 * g1 * r;
    P(tb, t, k, v) = off;
    P(tb, t, v, k) = off;
    P(tb, t, v, v) = g1 * g1 * a - 2.0 * g1 * b + c + g1 * g1 * r;
}

static inline void xysr_update_z(table_t *tb, size_t row, const double z[4]) {
    block_update_joseph(tb, row, 0, 4, XYSR_R[0], z[0] - M(tb, row, 0));
    block_update_joseph(tb, row, 1, 5, XYSR_R[1], z[1] - M(tb, row, 1));
    block_update_joseph(tb, row, 2, 6, XYSR_R[2], z[2] - M(tb, row, 2));
    double p = P(tb, row, 3, 3);
    double s = p + XYSR_R[3];
    double g = p / s;
    M(tb, row, 3) += g * (z[3] - M(tb, row, 3));
    P(tb, row, 3, 3) = (1.0 - g) * (1.0 - g) * p + g * g * XYSR_R[3];
}

static inline void start_track(table_t *tb, size_t row, int64_t id, int64_t hits, int64_t state, int64_t cls,
                        int64_t det, double score) {
    for (size_t k = 0; k < tb->ni; k++) I(tb, row, k) = 0;
    for (size_t k = 0; k < tb->nf; k++) F(tb, row, k) = 0.0;
    I(tb, row, T_ID) = id;
    I(tb, row, T_HITS) = hits;
    I(tb, row, T_STATE) = state;
    I(tb, row, T_CLASS) = cls;
    I(tb, row, T_DET) = det;
    F(tb, row, T_SCORE) = score;
}

static inline void mark_predicted(table_t *tb, size_t n, double dt) {
    for (size_t t = 0; t < n; t++) {
        I(tb, t, T_AGE) += 1;
        if (F(tb, t, T_TSU) > 0.0) I(tb, t, T_STREAK) = 0;
        F(tb, t, T_TSU) += dt;
        I(tb, t, T_DET) = -1;
    }
}

static inline void mark_hit(table_t *tb, size_t row, int64_t det, int64_t cls, double score) {
    I(tb, row, T_HITS) += 1;
    I(tb, row, T_STREAK) += 1;
    I(tb, row, T_DET) = det;
    I(tb, row, T_CLASS) = cls;
    F(tb, row, T_TSU) = 0.0;
    F(tb, row, T_SCORE) = score;
}

static inline size_t compact(table_t *tb, size_t n, const unsigned char *keep) {
    size_t m = 0;
    for (size_t t = 0; t < n; t++) {
        if (keep[t]) {
            if (m != t) {
                memcpy(&M(tb, m, 0), &M(tb, t, 0), 7 * sizeof(double));
                memcpy(&P(tb, m, 0, 0), &P(tb, t, 0, 0), 49 * sizeof(double));
                memcpy(&I(tb, m, 0), &I(tb, t, 0), tb->ni * sizeof(int64_t));
                memcpy(&F(tb, m, 0), &F(tb, t, 0), tb->nf * sizeof(double));
            }
            m++;
        }
    }
    return m;
}

/* boxes of rows 0..n-1 into pred (n x 4), dropping NaN boxes; keep: n bytes scratch */
static inline size_t xysr_boxes_or_drop(table_t *tb, size_t n, double *pred, unsigned char *keep) {
    int dropped = 0;
    for (size_t t = 0; t < n; t++) {
        xysr_box(tb, t, pred + 4 * t);
        keep[t] = 1;
        for (int k = 0; k < 4; k++)
            if (isnan(pred[4 * t + k])) { keep[t] = 0; dropped = 1; }
    }
    if (dropped) {
        size_t m = 0;
        for (size_t t = 0; t < n; t++)
            if (keep[t]) { memmove(pred + 4 * m, pred + 4 * t, 4 * sizeof(double)); m++; }
        n = compact(tb, n, keep);
    }
    return n;
}

static inline size_t report_xysr_tracks(table_t *tb, size_t *n_io, int64_t frame_count, double min_hits, double max_age,
                                 int need_detection, double *out, unsigned char *keep) {
    size_t n = *n_io, m = 0;
    int dropped = 0;
    for (size_t t = 0; t < n; t++) {
        if ((double)I(tb, t, T_STREAK) >= min_hits) I(tb, t, T_STATE) = CONFIRMED;
        int updated = need_detection ? I(tb, t, T_DET) >= 0 : F(tb, t, T_TSU) < 1.0;
        if (updated && ((double)I(tb, t, T_STREAK) >= min_hits || (double)frame_count <= min_hits)) {
            xysr_box(tb, t, out + 8 * m);
            out[8 * m + 4] = (double)I(tb, t, T_ID);
            out[8 * m + 5] = F(tb, t, T_SCORE);
            out[8 * m + 6] = (double)I(tb, t, T_CLASS);
            out[8 * m + 7] = (double)I(tb, t, T_DET);
            m++;
        }
        keep[t] = !(F(tb, t, T_TSU) > max_age);
        dropped = dropped || !keep[t];
    }
    if (dropped) n = compact(tb, n, keep);
    *n_io = n;
    return m;
}
#endif
