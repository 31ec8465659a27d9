/* deepsort.c -- DeepSORT (Wojke et al. 2017), mottrack/trackers/deepsort.py step for step:
 * predict (+ camera warp); matching cascade over confirmed tracks by gated nearest-neighbour
 * cosine distance to each track's appearance gallery, most recently seen first; IoU matching
 * of tentative tracks and tracks seen in the previous call; update, delete, start, report.
 * Galleries: mottrack/trackers/_gallery.py (a float32 ring of the last nn_budget unit vectors
 * per track slot, a free list of slots).
 *
 * Not bit-identical in one place: the package's gallery_max_dot is compiled with reassociation
 * (its float32 dot products are summed in a CPU-dependent vector order); here they are summed in
 * index order.  The cosine distances may differ in the last float32 bits, which only matters
 * for a decision exactly at a threshold or a tie (see tests/test_native.py). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

enum { P_MAX_COS, P_NN_BUDGET, P_MAX_IOU, P_MAX_AGE, P_N_INIT };
enum { SLOT = MT_N_INT_BASE, DS_NI };
#define CHI2INV95_4DOF 9.4877
#define EPS_FRAMES 1e-6
#define STD_WEIGHT_POSITION (1.0 / 20)

static const mt_param_info params[] = {
    {"max_cosine_distance", MT_PARAM_FLOAT, 0.2, NULL, 0.0, 2.0, 0, NULL},
    {"nn_budget", MT_PARAM_INT, 100.0, NULL, 1.0, 1048576.0, 0, NULL},
    {"max_iou_distance", MT_PARAM_FLOAT, 0.7, NULL, 0.0, 1.0, 0, NULL},
    {"max_age", MT_PARAM_FLOAT, 30.0, NULL, 0.0, HUGE_VAL, 0, NULL},
    {"n_init", MT_PARAM_INT, 3.0, NULL, 0.0, 9.2233720368547758e18, 0, NULL},
    MT_COMMON_PARAMS("kalman", 0.0),
};

typedef struct xsort { double x; int64_t i; } xsort;

typedef struct ds_impl {
    mt_table tb;
    int64_t budget;
    size_t dim;                              /* 0 until the first frame with embeddings */
    size_t slots;                            /* gallery capacity (slots) */
    float *gallery; size_t gallery_cap;      /* slots x budget x dim */
    int64_t *gcount; size_t gcount_cap;
    int64_t *ghead; size_t ghead_cap;
    int64_t *free_slots; size_t free_cap;    /* free[:slots - n] */
    /* scratch (grows only) */
    float *feats; size_t feats_cap;
    double *meas; size_t meas_cap;
    xsort *xs; size_t xs_cap;
    int64_t *order; size_t order_cap;
    double *sorted_x; size_t sorted_x_cap;
    int64_t *det_track; size_t det_track_cap;
    int64_t *trk_det; size_t trk_det_cap;
    int64_t *levels; size_t levels_cap;
    int64_t *rows; size_t rows_cap;
    int64_t *er, *ec; double *ew; size_t e_cap;
    int64_t *cfr; size_t cfr_cap;
    unsigned char *keep; size_t keep_cap;
    double *tlwh; size_t tlwh_cap;
    double *tbox; size_t tbox_cap;
    double *dbox; size_t dbox_cap;
    int64_t *freed; size_t freed_cap;
    mt_edges edges;
    mt_assign_ws aws;
} ds_impl;

#define IMPL(t) ((ds_impl *)(t)->impl)

/* ------------------------------------------------------------------ galleries */
/* _gallery.normalize_rows: unit rows of emb (n x d, float32) into out; the first row that is
 * all zeros or not finite, else -1. */
static int64_t normalize_rows(const float *emb, size_t n, size_t d, float *out)
{
    for (size_t i = 0; i < n; i++) {
        const float *e = emb + i * d;
        float *o = out + i * d;
        float acc = 0.0f;
        for (size_t k = 0; k < d; k++)
            acc += e[k] * e[k];
        if (acc >= 1e-20 && acc < HUGE_VALF) {
            float norm = sqrtf(acc);
            for (size_t k = 0; k < d; k++)
                o[k] = e[k] / norm;
            continue;
        }
        float big = 0.0f;
        for (size_t k = 0; k < d; k++) {
            float a = fabsf(e[k]);
            if (!(a <= HUGE_VALF))
                return (int64_t)i;
            big = a > big ? a : big;
        }
        if (!(big > 0.0f && big < HUGE_VALF))
            return (int64_t)i;
        acc = 0.0f;
        for (size_t k = 0; k < d; k++) {
            float y = e[k] / big;
            acc += y * y;
        }
        float norm = sqrtf(acc);
        for (size_t k = 0; k < d; k++)
            o[k] = (e[k] / big) / norm;
    }
    return -1;
}

static void gallery_append(ds_impl *s, int64_t slot, const float *f)
{
    int64_t pos = s->ghead[slot];
    memcpy(s->gallery + ((size_t)slot * (size_t)s->budget + (size_t)pos) * s->dim, f, s->dim * sizeof(float));
    s->ghead[slot] = pos + 1 < s->budget ? pos + 1 : 0;
    if (s->gcount[slot] < s->budget)
        s->gcount[slot]++;
}

/* the largest float32 dot product of f with the vectors of `slot` (summed in index order) */
static float gallery_max_dot(const ds_impl *s, int64_t slot, const float *f)
{
    const float *g = s->gallery + (size_t)slot * (size_t)s->budget * s->dim;
    float best = -HUGE_VALF;
    for (int64_t v = 0; v < s->gcount[slot]; v++) {
        float a = 0.0f;
        for (size_t k = 0; k < s->dim; k++)
            a += g[(size_t)v * s->dim + k] * f[k];
        best = a > best ? a : best;
    }
    return best;
}

/* room for `slots` gallery slots of the current dimension; new slots join the free list */
static int grow_slots(ds_impl *s, size_t slots)
{
    if (slots <= s->slots)
        return 0;
    size_t old = s->slots, n = (size_t)s->tb.n;
    size_t per = (size_t)s->budget * s->dim;
    if (s->dim && per > SIZE_MAX / sizeof(float) / slots)
        return -1;
    if (MT_GROW(s->gallery, s->gallery_cap, slots * per) || MT_GROW(s->gcount, s->gcount_cap, slots)
        || MT_GROW(s->ghead, s->ghead_cap, slots) || MT_GROW(s->free_slots, s->free_cap, slots))
        return -1;
    memset(s->gallery + old * per, 0, (slots - old) * per * sizeof(float));
    size_t k = old > n ? old - n : 0;  /* (a restore rebuilds the free list itself) */
    for (size_t j = old; j < slots; j++) {
        s->gcount[j] = 0;
        s->ghead[j] = 0;
        s->free_slots[k++] = (int64_t)j;
    }
    s->slots = slots;
    return 0;
}

/* ------------------------------------------------------------------ the pieces of a frame */
/* kalman._chol4: lower Cholesky factor of the 4x4 S */
static void chol4(const double S[16], double L[16])
{
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j <= i; j++) {
            double acc = S[i * 4 + j];
            for (int k = 0; k < j; k++)
                acc -= L[i * 4 + k] * L[j * 4 + k];
            if (i == j)
                L[i * 4 + i] = sqrt(acc);
            else
                L[i * 4 + j] = acc / L[j * 4 + j];
        }
        for (int j = i + 1; j < 4; j++)
            L[i * 4 + j] = 0.0;
    }
}

/* kalman.xyah_project_into: measurement mean m and innovation covariance S of a row */
static void xyah_project(const double *mean, const double *P, double m[4], double S[16])
{
    double sp = STD_WEIGHT_POSITION * mean[3];
    for (int i = 0; i < 4; i++) {
        m[i] = mean[i];
        for (int j = 0; j < 4; j++)
            S[i * 4 + j] = P[i * 8 + j];
    }
    S[0] += sp * sp;
    S[5] += sp * sp;
    S[10] += 1e-1 * 1e-1;
    S[15] += sp * sp;
}

static double iou_tlwh(double ax, double ay, double aw, double ah, double bx, double by, double bw, double bh)
{
    double ix = mt_min(ax + aw, bx + bw) - mt_max(ax, bx);
    double iy = mt_min(ay + ah, by + bh) - mt_max(ay, by);
    if (ix < 0.0)
        ix = 0.0;
    if (iy < 0.0)
        iy = 0.0;
    double inter = ix * iy;
    double uni = aw * ah + bw * bh - inter;
    return uni > 0.0 ? inter / uni : 0.0;
}

static int push_edge(ds_impl *s, size_t *ne, int64_t r, int64_t c, double w)
{
    if (*ne == s->e_cap) {
        size_t cap = 2 * *ne + 16, c1 = s->e_cap, c2 = s->e_cap, c3 = s->e_cap;
        if (MT_GROW(s->er, c1, cap) || MT_GROW(s->ec, c2, cap) || MT_GROW(s->ew, c3, cap))
            return -1;
        s->e_cap = cap;
    }
    s->er[*ne] = r;
    s->ec[*ne] = c;
    s->ew[*ne] = w;
    (*ne)++;
    return 0;
}

/* deepsort._solve: matched detection of each row into det_track / trk_det (rows -> tracks) */
static int solve(ds_impl *s, const int64_t *rows, size_t nr, size_t n_det, size_t ne)
{
    if (MT_GROW(s->cfr, s->cfr_cap, nr + 1))
        return -1;
    if (mt_match_edges(&s->aws, (int64_t)nr, (int64_t)n_det, s->er, s->ec, s->ew, ne, s->cfr))
        return -1;
    for (size_t r = 0; r < nr; r++)
        if (s->cfr[r] >= 0) {
            s->det_track[s->cfr[r]] = rows[r];
            s->trk_det[rows[r]] = s->cfr[r];
        }
    return 0;
}

/* deepsort._cascade_level: gated nearest-neighbour cosine matching of the tracks `rows` */
static int cascade_level(mt_tracker *t, const int64_t *rows, size_t nr, const mt_input *in)
{
    ds_impl *s = IMPL(t);
    mt_table *tb = &s->tb;
    double max_cos = t->p[P_MAX_COS], limit = max_cos + 1e-5;
    size_t n_det = in->n, ne = 0;
    for (size_t r = 0; r < nr; r++) {
        int64_t tr = rows[r];
        double m[4], S[16], L[16], y[4];
        xyah_project(MT_MEAN(tb, tr), MT_COV(tb, tr), m, S);
        chol4(S, L);
        double half = sqrt(CHI2INV95_4DOF * S[0]) * (1.0 + 1e-7) + 1e-9;
        size_t lo = mt_search_left(s->sorted_x, n_det, m[0] - half);
        size_t hi = mt_search_right(s->sorted_x, n_det, m[0] + half);
        int64_t slot = MT_I(tb, tr, SLOT);
        for (size_t q = lo; q < hi; q++) {
            int64_t j = s->order[q];
            if (s->det_track[j] != -1)
                continue;
            if (t->per_class && in->classes[j] != MT_I(tb, tr, MT_CLASS))
                continue;
            double d2 = 0.0;
            for (int i = 0; i < 4; i++) {
                double acc = s->meas[4 * j + i] - m[i];
                for (int k = 0; k < i; k++)
                    acc -= L[i * 4 + k] * y[k];
                y[i] = acc / L[i * 4 + i];
                d2 += y[i] * y[i];
            }
            if (!(d2 <= CHI2INV95_4DOF))
                continue;
            double cost = (double)(1.0f - gallery_max_dot(s, slot, s->feats + (size_t)j * s->dim));
            if (cost <= max_cos && push_edge(s, &ne, (int64_t)r, j, limit - cost))
                return -1;
        }
    }
    return ne > 0 ? solve(s, rows, nr, n_det, ne) : 0;
}

/* deepsort._iou_edges_sparse and its dense twin: IoU-stage edges of the tracks `rows` */
static int iou_edges(mt_tracker *t, const int64_t *rows, size_t nr, const mt_input *in, size_t *ne_out)
{
    ds_impl *s = IMPL(t);
    mt_table *tb = &s->tb;
    double max_iou = t->p[P_MAX_IOU], limit = max_iou + 1e-5;
    size_t ne = 0;
    for (size_t r = 0; r < nr; r++) {
        const double *mn = MT_MEAN(tb, rows[r]);
        double th = mn[3], tw = mn[2] * th;
        double *a = s->tlwh + 4 * r, *b = s->tbox + 4 * r;
        a[0] = mn[0] - tw / 2.0;
        a[1] = mn[1] - th / 2.0;
        a[2] = tw;
        a[3] = th;
        b[0] = a[0];
        b[1] = a[1];
        b[2] = a[0] + tw;
        b[3] = a[1] + th;
    }
    if (max_iou < 1.0 - 1e-9) {
        size_t nf = 0;
        for (size_t j = 0; j < in->n; j++)
            if (s->det_track[j] == -1) {
                s->freed[nf] = (int64_t)j;
                memcpy(s->dbox + 4 * nf, in->boxes + 4 * j, 4 * sizeof(double));
                nf++;
            }
        if (mt_overlap_edges(&s->edges, s->tbox, nr, s->dbox, nf))
            return -1;
        for (size_t e = 0; e < s->edges.n; e++) {
            int64_t r = s->edges.r[e], j = s->freed[s->edges.c[e]], tr = rows[r];
            if (t->per_class && in->classes[j] != MT_I(tb, tr, MT_CLASS))
                continue;
            const double *a = s->tlwh + 4 * r, *bx = in->boxes + 4 * j;
            double cost = 1.0 - iou_tlwh(a[0], a[1], a[2], a[3], bx[0], bx[1], bx[2] - bx[0], bx[3] - bx[1]);
            if (cost <= max_iou && push_edge(s, &ne, r, j, limit - cost))
                return -1;
        }
    } else {
        for (size_t r = 0; r < nr; r++) {
            int64_t tr = rows[r];
            const double *a = s->tlwh + 4 * r;
            for (size_t j = 0; j < in->n; j++) {
                if (s->det_track[j] != -1)
                    continue;
                if (t->per_class && in->classes[j] != MT_I(tb, tr, MT_CLASS))
                    continue;
                const double *bx = in->boxes + 4 * j;
                double cost = 1.0 - iou_tlwh(a[0], a[1], a[2], a[3], bx[0], bx[1], bx[2] - bx[0], bx[3] - bx[1]);
                if (cost <= max_iou && push_edge(s, &ne, (int64_t)r, (int64_t)j, limit - cost))
                    return -1;
            }
        }
    }
    *ne_out = ne;
    return 0;
}

static int cmp_xsort(const void *a, const void *b)
{
    const xsort *p = a, *q = b;
    if (p->x < q->x)
        return -1;
    if (p->x > q->x)
        return 1;
    return (p->i > q->i) - (p->i < q->i);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* ------------------------------------------------------------------ one frame */
static int64_t step(mt_tracker *t, const mt_input *in, double dt, const double *warp)
{
    ds_impl *s = IMPL(t);
    mt_table *tb = &s->tb;
    double max_age = t->p[P_MAX_AGE], n_init = t->p[P_N_INIT];
    int64_t n = tb->n;
    size_t n_det = in->n;
    /* 1. predict */
    for (int64_t r = 0; r < n; r++)
        mt_xyah_predict_row(MT_MEAN(tb, r), MT_COV(tb, r), dt);
    mt_mark_predicted(tb, n, dt);
    if (warp)
        mt_xyah_warp_rows(tb, n, warp);
    /* detections as measurements (x, y, a, h), sorted by x for the gate's window */
    for (size_t j = 0; j < n_det; j++) {
        const double *b = in->boxes + 4 * j;
        double w = b[2] - b[0], h = b[3] - b[1];
        double *m = s->meas + 4 * j;
        m[0] = b[0] + w / 2.0;
        m[1] = b[1] + h / 2.0;
        m[2] = h > 0.0 ? w / h : 0.0;
        m[3] = h;
        s->xs[j].x = m[0];
        s->xs[j].i = (int64_t)j;
    }
    if (n_det > 1)
        qsort(s->xs, n_det, sizeof *s->xs, cmp_xsort);
    for (size_t q = 0; q < n_det; q++) {
        s->order[q] = s->xs[q].i;
        s->sorted_x[q] = s->xs[q].x;
    }
    size_t n_left = n_det;
    for (size_t j = 0; j < n_det; j++) {
        s->det_track[j] = -1;
        if (!(s->meas[4 * j + 3] > 0.0)) {
            s->det_track[j] = -2;
            n_left--;
        }
    }
    for (int64_t r = 0; r < n; r++)
        s->trk_det[r] = -1;
    /* 2. matching cascade over confirmed tracks, most recently seen first */
    size_t n_conf = 0;
    for (int64_t r = 0; r < n; r++)
        if (MT_I(tb, r, MT_STATE) == MT_CONFIRMED && MT_F(tb, r, MT_TSU) <= max_age + EPS_FRAMES) {
            double c = ceil(MT_F(tb, r, MT_TSU) - EPS_FRAMES);
            int64_t top = ((int64_t)1 << 62) / (n + 1);  /* no overflow for absurd ages */
            int64_t lv = c < (double)top ? (int64_t)c : top;
            s->levels[n_conf++] = (lv > 1 ? lv : 1) * (n + 1) + r;
        }
    qsort(s->levels, n_conf, sizeof *s->levels, cmp_i64);
    size_t start = 0;
    while (start < n_conf && n_left > 0) {
        int64_t lv = s->levels[start] / (n + 1);
        size_t stop = start;
        while (stop < n_conf && s->levels[stop] / (n + 1) == lv)
            stop++;
        for (size_t k = start; k < stop; k++)
            s->rows[k - start] = s->levels[k] % (n + 1);
        if (cascade_level(t, s->rows, stop - start, in))
            return -1;
        n_left = 0;
        for (size_t j = 0; j < n_det; j++)
            n_left += s->det_track[j] == -1;
        start = stop;
    }
    /* 3. IoU matching: tentative tracks, then confirmed ones seen in the previous call */
    if (n_left > 0) {
        size_t nr = 0;
        for (int64_t r = 0; r < n; r++)
            if (MT_I(tb, r, MT_STATE) == MT_TENTATIVE)
                s->rows[nr++] = r;
        for (int64_t r = 0; r < n; r++)
            if (MT_I(tb, r, MT_STATE) == MT_CONFIRMED && s->trk_det[r] < 0 && MT_F(tb, r, MT_TSU) <= dt)
                s->rows[nr++] = r;
        size_t ne = 0;
        if (iou_edges(t, s->rows, nr, in, &ne) || (ne > 0 && solve(s, s->rows, nr, n_det, ne)))
            return -1;
    }
    /* 4. update matched tracks, delete lost ones (their gallery slots are freed) */
    size_t n_free = s->slots - (size_t)n;
    int dropped = 0;
    for (int64_t r = 0; r < n; r++) {
        int64_t d = s->trk_det[r];
        s->keep[r] = 1;
        if (d >= 0) {
            const double *b = in->boxes + 4 * d;
            mt_xyah_update(MT_MEAN(tb, r), MT_COV(tb, r), b[0], b[1], b[2], b[3]);
            mt_mark_hit(tb, r, d, in->classes[d], in->scores[d]);
            gallery_append(s, MT_I(tb, r, SLOT), s->feats + (size_t)d * s->dim);
            if (MT_I(tb, r, MT_STATE) == MT_TENTATIVE && (double)MT_I(tb, r, MT_HITS) >= n_init)
                MT_I(tb, r, MT_STATE) = MT_CONFIRMED;
        } else if (MT_I(tb, r, MT_STATE) == MT_TENTATIVE || MT_F(tb, r, MT_TSU) > max_age + EPS_FRAMES) {
            s->keep[r] = 0;
            dropped = 1;
            s->free_slots[n_free++] = MT_I(tb, r, SLOT);
        }
    }
    if (dropped)
        n = mt_compact(tb, n, s->keep);
    /* new tracks for unmatched detections (prepare() made room: slots >= n + n_det) */
    int64_t next_id = tb->next_id;
    for (size_t j = 0; j < n_det; j++) {
        if (s->det_track[j] != -1)
            continue;
        const double *b = in->boxes + 4 * j;
        mt_xyah_initiate(MT_MEAN(tb, n), MT_COV(tb, n), b[0], b[1], b[2], b[3]);
        mt_start_track(tb, n, next_id, 1, MT_TENTATIVE, in->classes[j], (int64_t)j, in->scores[j]);
        int64_t slot = s->free_slots[--n_free];
        MT_I(tb, n, SLOT) = slot;
        s->gcount[slot] = 0;
        s->ghead[slot] = 0;
        gallery_append(s, slot, s->feats + j * s->dim);
        next_id++;
        n++;
    }
    tb->n = n;
    tb->next_id = next_id;
    /* 5. report confirmed tracks updated now or in the previous call */
    int64_t m = 0;
    for (int64_t r = 0; r < n; r++)
        if (MT_I(tb, r, MT_STATE) == MT_CONFIRMED && MT_F(tb, r, MT_TSU) <= dt) {
            double *o = t->out + 8 * m;
            mt_xyah_box(MT_MEAN(tb, r), o);
            o[4] = (double)MT_I(tb, r, MT_ID);
            o[5] = MT_F(tb, r, MT_SCORE);
            o[6] = (double)MT_I(tb, r, MT_CLASS);
            o[7] = (double)MT_I(tb, r, MT_DET);
            m++;
        }
    return m;
}

/* ------------------------------------------------------------------ the tracker kind */
static int init(mt_tracker *t)
{
    ds_impl *s = calloc(1, sizeof *s);
    if (!s)
        return mt_fail(t, MT_ERR_NOMEM, "out of memory");
    t->impl = s;
    s->budget = (int64_t)t->p[P_NN_BUDGET];
    if (mt_table_init(&s->tb, 8, DS_NI, MT_N_FLOAT_BASE, 32))
        return mt_fail(t, MT_ERR_NOMEM, "out of memory");
    return MT_OK;
}

static void destroy(mt_tracker *t)
{
    ds_impl *s = IMPL(t);
    mt_table_free(&s->tb);
    mt_edges_free(&s->edges);
    mt_assign_ws_free(&s->aws);
    free(s->gallery); free(s->gcount); free(s->ghead); free(s->free_slots); free(s->feats); free(s->meas);
    free(s->xs); free(s->order); free(s->sorted_x); free(s->det_track); free(s->trk_det); free(s->levels);
    free(s->rows); free(s->er); free(s->ec); free(s->ew); free(s->cfr); free(s->keep); free(s->tlwh);
    free(s->tbox); free(s->dbox); free(s->freed);
}

static void reset(mt_tracker *t)
{
    ds_impl *s = IMPL(t);
    s->tb.n = 0;
    s->tb.next_id = 1;
    s->dim = 0;  /* as the package: a reset tracker takes embeddings of any dimension again */
    s->slots = 0;
}

/* Embeddings checked and normalised, and room made, before anything changes. */
static int prepare(mt_tracker *t, const mt_input *in)
{
    ds_impl *s = IMPL(t);
    size_t n = (size_t)s->tb.n, nd = in->n, cap = n + nd + 1;
    if (nd > 0 && !in->emb)
        return mt_fail(t, MT_ERR_ARG, "DeepSORT needs appearance embeddings: pass embeddings (N, D) for every "
                       "non-empty frame (got %zu detections without embeddings)", nd);
    size_t dim = s->dim;
    if (in->emb && nd > 0) {
        if (dim != 0 && in->dim != dim)
            return mt_fail(t, MT_ERR_ARG, "embeddings: dimension changed from %zu to %zu; a tracker takes "
                           "embeddings of one model", dim, in->dim);
        if (in->dim > ((size_t)1 << 20))
            return mt_fail(t, MT_ERR_ARG, "embeddings: dimension %zu is above 2**20", in->dim);
        dim = in->dim;
    }
    if (nd > 0 && nd > SIZE_MAX / sizeof(float) / dim)
        return mt_fail(t, MT_ERR_NOMEM, "out of memory for %zu embeddings", nd);
    if (MT_GROW(s->feats, s->feats_cap, nd * (dim ? dim : 1) + 1))
        return mt_fail(t, MT_ERR_NOMEM, "out of memory for %zu embeddings", nd);
    if (nd > 0) {
        int64_t bad = normalize_rows(in->emb, nd, dim, s->feats);
        if (bad >= 0)
            return mt_fail(t, MT_ERR_ARG, "embeddings: row %lld has zero length (all zeros, or it holds NaN/inf); "
                           "expected a non-zero, finite appearance vector", (long long)bad);
    }
    if (mt_table_reserve(&s->tb, cap) || MT_GROW(s->meas, s->meas_cap, 4 * nd + 4)
        || MT_GROW(s->xs, s->xs_cap, nd + 1) || MT_GROW(s->order, s->order_cap, nd + 1)
        || MT_GROW(s->sorted_x, s->sorted_x_cap, nd + 1) || MT_GROW(s->det_track, s->det_track_cap, nd + 1)
        || MT_GROW(s->trk_det, s->trk_det_cap, n + 1) || MT_GROW(s->levels, s->levels_cap, n + 1)
        || MT_GROW(s->rows, s->rows_cap, n + 1) || MT_GROW(s->keep, s->keep_cap, n + 1)
        || MT_GROW(s->tlwh, s->tlwh_cap, 4 * n + 4) || MT_GROW(s->tbox, s->tbox_cap, 4 * n + 4)
        || MT_GROW(s->dbox, s->dbox_cap, 4 * nd + 4) || MT_GROW(s->freed, s->freed_cap, nd + 1))
        return mt_fail(t, MT_ERR_NOMEM, "out of memory for %zu tracks", cap);
    if (dim != s->dim) {  /* the first frame with embeddings fixes the dimension */
        s->dim = dim;
        s->slots = 0;
    }
    if (s->dim && grow_slots(s, n + nd > 16 ? n + nd + (n + nd) / 4 : 16))
        return mt_fail(t, MT_ERR_NOMEM, "out of memory for the galleries of %zu tracks", n + nd);
    return MT_OK;
}

static const mt_table *table(const mt_tracker *t) { return &IMPL(t)->tb; }

static void save(const mt_tracker *t, mt_writer *w)
{
    const ds_impl *s = IMPL(t);
    mt_table_save(&s->tb, w);
    mt_w_i64(w, (int64_t)s->dim);
    mt_w_i64(w, (int64_t)s->slots);
    size_t per = (size_t)s->budget * s->dim;
    for (size_t i = 0; i < s->slots; i++) {
        mt_w_i64(w, s->gcount[i]);
        mt_w_i64(w, s->ghead[i]);
    }
    for (size_t i = 0; i + (size_t)s->tb.n < s->slots; i++)
        mt_w_i64(w, s->free_slots[i]);
    if (per && s->slots)
        mt_w_bytes(w, s->gallery, s->slots * per * sizeof(float));
}

/* The table, then the galleries, checked as DeepSORT._check_restored does. */
static int load(mt_tracker *t, mt_reader *r)
{
    ds_impl *s = IMPL(t);
    if (mt_table_load(&s->tb, r, "tracks"))
        return -1;
    int64_t dim = mt_r_i64(r), slots = mt_r_i64(r), n = s->tb.n;
    if (r->bad)
        return -1;
    if (dim < 0 || dim > (1 << 20) || slots < n || slots > (int64_t)(r->len - r->pos) / 16 || (dim == 0 && n > 0)) {
        mt_r_fail(r, "state: %lld gallery slots of dimension %lld for %lld tracks", (long long)slots, (long long)dim,
                  (long long)n);
        return -1;
    }
    s->dim = (size_t)dim;
    s->slots = 0;
    if (grow_slots(s, (size_t)slots)) {
        mt_r_fail(r, "state: out of memory for %lld gallery slots", (long long)slots);
        return -1;
    }
    for (int64_t i = 0; i < slots; i++) {
        s->gcount[i] = mt_r_i64(r);
        s->ghead[i] = mt_r_i64(r);
        if (!r->bad && (s->gcount[i] < 0 || s->gcount[i] > s->budget || s->ghead[i] < 0 || s->ghead[i] >= s->budget)) {
            mt_r_fail(r, "state: gallery_count / gallery_head outside [0, nn_budget]");
            return -1;
        }
    }
    for (int64_t i = 0; i < slots - n; i++)
        s->free_slots[i] = mt_r_i64(r);
    /* every slot held exactly once: by a live track or the free list */
    unsigned char *seen = calloc((size_t)slots + 1, 1);
    if (!seen) {
        mt_r_fail(r, "state: out of memory");
        return -1;
    }
    int ok = !r->bad;
    for (int64_t i = 0; ok && i < slots; i++) {
        int64_t v = i < n ? MT_I(&s->tb, i, SLOT) : s->free_slots[i - n];
        ok = v >= 0 && v < slots && !seen[v];
        if (ok)
            seen[v] = 1;
    }
    free(seen);
    if (!ok) {
        mt_r_fail(r, "state: tracks gallery_slot column and free_slots must together hold each slot 0..%lld once",
                  (long long)slots - 1);
        return -1;
    }
    size_t per = (size_t)s->budget * s->dim;
    if (per && slots > 0 && mt_r_bytes(r, s->gallery, (size_t)slots * per * sizeof(float)))
        return -1;
    for (size_t i = 0; i < (size_t)slots * per; i++)
        if (!isfinite(s->gallery[i])) {
            mt_r_fail(r, "state: gallery holds a non-finite value");
            return -1;
        }
    return r->bad ? -1 : 0;
}

const mt_kind mt_kind_deepsort = {"deepsort", params, sizeof params / sizeof params[0],
                                  MT_KIND_WARP | MT_KIND_EMB_REQUIRED, init, destroy, reset, prepare, step, table,
                                  save, load};
