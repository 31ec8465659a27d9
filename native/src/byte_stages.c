/* byte_stages.c -- the BYTE frame of mottrack/trackers/_byte_stages.py, stage for stage:
 * split, predict (+ warp), first round, second round, unconfirmed round, births,
 * retire and report.  The table holds 2 (tracks + detections) rows (rows move through
 * the free rows after n when the pools are stored). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "byte_stages.h"

#define LOW_SCORE 0.1
#define SECOND_THRESH 0.5
#define UNCONFIRMED_THRESH 0.7
#define DUPLICATE_THRESH 0.15
#define TIME_EPS 1e-6
#define FEATURE_ALPHA 0.9

int mt_byte_init(mt_byte *b, int model, int ni)
{
    memset(b, 0, sizeof *b);
    b->model = model;
    return mt_table_init(&b->tb, 8, ni, MT_N_FLOAT_BASE + 1, 64);
}

void mt_byte_free(mt_byte *b)
{
    mt_table_free(&b->tb);
    mt_edges_free(&b->edges);
    mt_assign_ws_free(&b->aws);
    free(b->fw);
    free(b->iw);
    free(b->er);
    free(b->ec);
    free(b->ev);
}

void mt_byte_reset(mt_byte *b)
{
    b->tb.n = 0;
    b->tb.next_id = 1;
}

/* scratch layout, for n0 tracks and nd detections (cap = n0 + nd) */
typedef struct ws {
    double *dbox, *sel, *pbox, *bx2, *dfeat;
    int64_t *hi, *lo, *pool, *m1, *m2, *rest, *left, *used, *order, *keep;
} ws;

static void carve(mt_byte *b, size_t n0, size_t nd, size_t dim, ws *w)
{
    size_t cap = n0 + nd;
    double *f = b->fw;
    w->dbox = f; f += 4 * nd;
    w->sel = f; f += 4 * nd;
    w->pbox = f; f += 4 * n0;
    w->bx2 = f; f += 4 * cap;
    w->dfeat = f;
    (void)dim;
    int64_t *i = b->iw;
    w->hi = i; i += nd;
    w->lo = i; i += nd;
    w->pool = i; i += n0;
    w->m1 = i; i += n0;
    w->m2 = i; i += n0;
    w->rest = i; i += n0;
    w->left = i; i += nd;
    w->used = i; i += nd;
    w->order = i; i += cap;
    w->keep = i;
}

int mt_byte_prepare(mt_byte *b, size_t nd, size_t dim)
{
    size_t n0 = (size_t)b->tb.n, cap = n0 + nd;
    if (cap > SIZE_MAX / 64 || (dim && nd > SIZE_MAX / 16 / dim) || mt_table_reserve(&b->tb, 2 * cap + 2))
        return -1;
    if (MT_GROW(b->fw, b->fw_cap, 8 * nd + 4 * n0 + 4 * cap + nd * dim + 8)
        || MT_GROW(b->iw, b->iw_cap, 4 * nd + 4 * n0 + 2 * cap + 8))
        return -1;
    return 0;
}

int64_t mt_byte_normalize(mt_byte *b, const float *emb, size_t nd, size_t dim)
{
    ws w;
    carve(b, (size_t)b->tb.n, nd, dim, &w);
    double *out = w.dfeat;
    for (size_t i = 0; i < nd; i++) {
        for (int rep = 0; rep < 2; rep++) {
            double acc = 0.0;
            for (size_t k = 0; k < dim; k++) {
                double v = rep == 0 ? (double)emb[i * dim + k] : out[i * dim + k];
                acc += v * v;
            }
            double norm = sqrt(acc);
            if (!(norm > 0.0))
                return (int64_t)i;
            for (size_t k = 0; k < dim; k++) {
                double v = rep == 0 ? (double)emb[i * dim + k] : out[i * dim + k];
                out[i * dim + k] = v / norm;
            }
        }
    }
    return -1;
}

/* ------------------------------------------------------------------ model dispatch */
static void box_row(const mt_byte *b, int64_t t, double *box)
{
    if (b->model == MT_XYWH)
        mt_xywh_box(MT_MEAN(&b->tb, t), box);
    else
        mt_xyah_box(MT_MEAN(&b->tb, t), box);
}

static void boxes_into(const mt_byte *b, const int64_t *rows, size_t n, double *out)
{
    for (size_t i = 0; i < n; i++)
        box_row(b, rows[i], out + 4 * i);
}

/* ------------------------------------------------------------------ appearance */
static double cosine_cost(const mt_byte *b, int64_t t, const double *dfeat, size_t d)
{
    size_t D = (size_t)b->tb.nfeat;
    const double *f = b->tb.feats + (size_t)t * D, *g = dfeat + d * D;
    double uv = 0.0, uu = 0.0, vv = 0.0;
    for (size_t k = 0; k < D; k++) {
        double a = f[k], c = g[k];
        uv += a * c;
        uu += a * a;
        vv += c * c;
    }
    double c = 1.0 - uv / sqrt(uu * vv);
    return mt_max(c, 0.0) / 2.0;
}

static void smooth_feature(mt_byte *b, int64_t t, const double *dfeat, size_t d)
{
    size_t dim = (size_t)b->tb.nfeat;
    if (dim == 0)
        return;
    double *f = b->tb.feats + (size_t)t * dim;
    const double *g = dfeat + d * dim;
    double acc = 0.0;
    for (size_t k = 0; k < dim; k++)
        acc += g[k] * g[k];
    double norm = sqrt(acc);
    if (MT_I(&b->tb, t, MT_HAS_FEAT) == 0) {
        for (size_t k = 0; k < dim; k++)
            f[k] = g[k] / norm;
        MT_I(&b->tb, t, MT_HAS_FEAT) = 1;
        return;
    }
    acc = 0.0;
    for (size_t k = 0; k < dim; k++) {
        double v = FEATURE_ALPHA * f[k] + (1.0 - FEATURE_ALPHA) * (g[k] / norm);
        f[k] = v;
        acc += v * v;
    }
    norm = sqrt(acc);
    for (size_t k = 0; k < dim; k++)
        f[k] /= norm;
}

/* ------------------------------------------------------------------ association */
typedef struct frame_ctx {
    mt_byte *b;
    const mt_input *in;
    const double *dfeat;   /* NULL: no appearance this frame */
    int per_class;
    ws w;
} frame_ctx;

/* _byte_stages.associate: tracks (boxes tboxes, rows trow, ntb) to detections dsel (nd). */
static int associate(frame_ctx *cx, const double *tboxes, const int64_t *trow, size_t ntb, const int64_t *dsel,
                     size_t nd, double limit, int fuse, const double *dfeat, double proximity, double appearance,
                     int64_t *col_for_row)
{
    mt_byte *b = cx->b;
    mt_table *tb = &b->tb;
    double *sel = cx->w.sel;
    for (size_t j = 0; j < nd; j++)
        for (int k = 0; k < 4; k++)
            sel[4 * j + (size_t)k] = cx->w.dbox[4 * (size_t)dsel[j] + (size_t)k];
    if (mt_overlap_edges(&b->edges, tboxes, ntb, sel, nd))
        return -1;
    int64_t *er = b->edges.r, *ec = b->edges.c;
    double *ev = b->edges.v;
    int use_app = dfeat != NULL;
    size_t k = 0;
    for (size_t e = 0; e < b->edges.n; e++) {
        int64_t d = dsel[ec[e]];
        int64_t t = trow[er[e]];
        if (cx->per_class && MT_I(tb, t, MT_CLASS) != cx->in->classes[d])
            continue;
        double iou_cost = 1.0 - ev[e];
        double c = iou_cost;
        if (fuse)
            c = 1.0 - (1.0 - c) * cx->in->scores[d];
        if (use_app && MT_I(tb, t, MT_HAS_FEAT) != 0 && iou_cost <= proximity) {
            double a = cosine_cost(b, t, dfeat, (size_t)d);
            if (a <= appearance && a < c)
                c = a;
        }
        if (c < limit) {
            er[k] = er[e];
            ec[k] = ec[e];
            ev[k] = limit - c;
            k++;
        }
    }
    return mt_match_edges(&b->aws, (int64_t)ntb, (int64_t)nd, er, ec, ev, k, col_for_row);
}

static void take_detection(frame_ctx *cx, int64_t t, int64_t d, const double *dfeat)
{
    mt_byte *b = cx->b;
    const double *bx = cx->in->boxes + 4 * d;
    if (b->model == MT_XYWH)
        mt_xywh_update(MT_MEAN(&b->tb, t), MT_COV(&b->tb, t), bx[0], bx[1], bx[2], bx[3]);
    else
        mt_xyah_update(MT_MEAN(&b->tb, t), MT_COV(&b->tb, t), bx[0], bx[1], bx[2], bx[3]);
    mt_mark_hit(&b->tb, t, d, cx->in->classes[d], cx->in->scores[d]);
    if (dfeat)
        smooth_feature(b, t, dfeat, (size_t)d);
}

/* ------------------------------------------------------------------ the frame */
int64_t mt_byte_frame(mt_byte *b, const mt_input *in, int use_features, double dt, int64_t frame_count,
                      int per_class, const double *warp, double *out)
{
    mt_table *tb = &b->tb;
    int64_t n0 = tb->n;
    size_t nd = in->n;
    frame_ctx cx = {b, in, NULL, per_class, {0}};
    carve(b, (size_t)n0, nd, use_features ? (size_t)tb->nfeat : 0, &cx.w);
    ws *w = &cx.w;
    const double *dfeat = use_features ? w->dfeat : NULL;
    cx.dfeat = dfeat;
    /* 1. split (split_detections) */
    size_t nh = 0, nl = 0;
    for (size_t d = 0; d < nd; d++) {
        double x1 = in->boxes[4 * d], y1 = in->boxes[4 * d + 1];
        double wd = in->boxes[4 * d + 2] - x1, h = in->boxes[4 * d + 3] - y1;
        w->dbox[4 * d] = x1;
        w->dbox[4 * d + 1] = y1;
        w->dbox[4 * d + 2] = x1 + wd;
        w->dbox[4 * d + 3] = y1 + h;
        if (!(h > 0.0))
            continue;
        double s = in->scores[d];
        if (s > b->high)
            w->hi[nh++] = (int64_t)d;
        else if (s > LOW_SCORE && s < b->high)
            w->lo[nl++] = (int64_t)d;
    }
    /* 2. predict (count_tracked, predict_pool), camera motion */
    int64_t nt = 0;
    while (nt < n0 && MT_I(tb, nt, MT_STATE) != MT_LOST)
        nt++;
    mt_mark_predicted(tb, n0, dt);
    size_t npool = 0;
    for (int64_t t = 0; t < n0; t++) {
        MT_F(tb, t, MT_TRACKED_TIME) += dt;
        int64_t st = MT_I(tb, t, MT_STATE);
        if (st == MT_CONFIRMED || st == MT_LOST) {
            double *m = MT_MEAN(tb, t);
            if (st == MT_LOST) {
                m[7] = 0.0;
                if (b->model == MT_XYWH)
                    m[6] = 0.0;
            }
            if (b->model == MT_XYWH)
                mt_xywh_predict_row(m, MT_COV(tb, t), dt);
            else
                mt_xyah_predict_row(m, MT_COV(tb, t), dt);
            w->pool[npool++] = t;
        }
    }
    if (warp) {
        if (b->model == MT_XYWH)
            mt_xywh_warp_rows(tb, n0, warp);
        else
            mt_xyah_warp_rows(tb, n0, warp);
    }
    /* 3. first round: high detections against the pool */
    boxes_into(b, w->pool, npool, w->pbox);
    int64_t *hi_used = w->used;
    for (size_t j = 0; j < nh; j++)
        hi_used[j] = 0;
    if (associate(&cx, w->pbox, w->pool, npool, w->hi, nh, b->match_thresh, b->fuse, dfeat, b->proximity,
                  b->appearance, w->m1))
        return -1;
    size_t n_rest = 0;
    for (size_t p = 0; p < npool; p++) {
        int64_t j = w->m1[p], t = w->pool[p];
        if (j >= 0) {
            hi_used[j] = 1;
            take_detection(&cx, t, w->hi[j], dfeat);
            MT_I(tb, t, MT_STATE) = MT_CONFIRMED;
        } else if (t < nt) {
            w->rest[n_rest] = t;
            for (int k = 0; k < 4; k++)
                w->bx2[4 * n_rest + (size_t)k] = w->pbox[4 * p + (size_t)k];
            n_rest++;
        }
    }
    /* 4. second round: low detections against the tracked tracks left */
    if (n_rest > 0) {
        if (associate(&cx, w->bx2, w->rest, n_rest, w->lo, nl, SECOND_THRESH, 0, NULL, 0.0, 0.0, w->m2))
            return -1;
        for (size_t i = 0; i < n_rest; i++) {
            int64_t t = w->rest[i], j = w->m2[i];
            if (j >= 0)
                take_detection(&cx, t, w->lo[j], NULL);
            else
                MT_I(tb, t, MT_STATE) = MT_LOST;
        }
    }
    /* 5. unconfirmed round */
    size_t n_left = 0;
    for (size_t j = 0; j < nh; j++)
        if (hi_used[j] == 0)
            w->left[n_left++] = w->hi[j];
    int64_t *used = w->used;
    for (size_t j = 0; j < n_left; j++)
        used[j] = 0;
    int64_t *unc = w->rest;
    size_t n_unc = 0;
    for (int64_t t = 0; t < nt; t++)
        if (MT_I(tb, t, MT_STATE) == MT_TENTATIVE)
            unc[n_unc++] = t;
    if (n_unc > 0) {
        boxes_into(b, unc, n_unc, w->bx2);
        if (associate(&cx, w->bx2, unc, n_unc, w->left, n_left, UNCONFIRMED_THRESH, b->fuse, dfeat, b->proximity,
                      b->appearance, w->m2))
            return -1;
        for (size_t i = 0; i < n_unc; i++) {
            int64_t t = unc[i], j = w->m2[i];
            if (j >= 0) {
                used[j] = 1;
                take_detection(&cx, t, w->left[j], dfeat);
                MT_I(tb, t, MT_STATE) = MT_CONFIRMED;
            } else {
                MT_I(tb, t, MT_STATE) = MT_DELETED;
            }
        }
    }
    /* 6. births */
    int64_t n = n0, next_id = tb->next_id;
    int64_t new_state = frame_count == 1 ? MT_CONFIRMED : MT_TENTATIVE;
    for (size_t j = 0; j < n_left; j++) {
        int64_t d = w->left[j];
        if (used[j] == 0 && in->scores[d] >= b->new_thresh) {
            const double *bx = in->boxes + 4 * d;
            if (b->model == MT_XYWH)
                mt_xywh_initiate(MT_MEAN(tb, n), MT_COV(tb, n), bx[0], bx[1], bx[2], bx[3]);
            else
                mt_xyah_initiate(MT_MEAN(tb, n), MT_COV(tb, n), bx[0], bx[1], bx[2], bx[3]);
            mt_start_track(tb, n, next_id, 1, new_state, in->classes[d], d, in->scores[d]);
            if (dfeat)
                smooth_feature(b, n, dfeat, (size_t)d);
            next_id++;
            n++;
        }
    }
    /* 7. retire and report: pool_order */
    int64_t *order = w->order, *keep = w->keep;
    for (int64_t t = nt; t < n0; t++)
        if (MT_I(tb, t, MT_STATE) == MT_LOST && MT_I(tb, t, MT_REMOVED) == 0
            && MT_F(tb, t, MT_TSU) > b->max_time_lost + TIME_EPS)
            MT_I(tb, t, MT_REMOVED) = 1;
    int64_t m_t = 0;
    for (int64_t t = 0; t < nt; t++) {
        int64_t st = MT_I(tb, t, MT_STATE);
        if (st == MT_CONFIRMED || st == MT_TENTATIVE)
            order[m_t++] = t;
    }
    for (int64_t t = n0; t < n; t++)
        order[m_t++] = t;
    for (int64_t t = nt; t < n0; t++)
        if (MT_I(tb, t, MT_STATE) == MT_CONFIRMED)
            order[m_t++] = t;
    int64_t m = m_t;
    for (int64_t t = nt; t < n0; t++)
        if (MT_I(tb, t, MT_STATE) == MT_LOST && MT_I(tb, t, MT_REMOVED) != 2)
            order[m++] = t;
    for (int64_t t = 0; t < nt; t++)
        if (MT_I(tb, t, MT_STATE) == MT_LOST && MT_I(tb, t, MT_REMOVED) != 2)
            order[m++] = t;
    for (int64_t t = 0; t < n0; t++)
        if (MT_I(tb, t, MT_REMOVED) == 1)
            MT_I(tb, t, MT_REMOVED) = 2;
    /* drop_duplicates */
    for (int64_t i = 0; i < m; i++)
        keep[i] = 1;
    if (!(m_t == 0 || m == m_t)) {
        boxes_into(b, order, (size_t)m_t, w->bx2);
        boxes_into(b, order + m_t, (size_t)(m - m_t), w->bx2 + 4 * m_t);
        if (mt_overlap_edges(&b->edges, w->bx2, (size_t)m_t, w->bx2 + 4 * m_t, (size_t)(m - m_t)))
            return -1;
        for (size_t e = 0; e < b->edges.n; e++) {
            if (1.0 - b->edges.v[e] < DUPLICATE_THRESH) {
                int64_t p = order[b->edges.r[e]], q = order[m_t + b->edges.c[e]];
                if (per_class && MT_I(tb, p, MT_CLASS) != MT_I(tb, q, MT_CLASS))
                    continue;
                double time_p = MT_F(tb, p, MT_TRACKED_TIME) - MT_F(tb, p, MT_TSU);
                double time_q = MT_F(tb, q, MT_TRACKED_TIME) - MT_F(tb, q, MT_TSU);
                if (time_p > time_q + TIME_EPS)
                    keep[m_t + b->edges.c[e]] = 0;
                else
                    keep[b->edges.r[e]] = 0;
            }
        }
    }
    /* report */
    int64_t n_out = 0;
    for (int64_t i = 0; i < m_t; i++) {
        int64_t t = order[i], st = MT_I(tb, t, MT_STATE);
        if (keep[i] != 0 && (st == MT_CONFIRMED || (b->with_unconfirmed && st == MT_TENTATIVE))) {
            double *o = out + 8 * n_out;
            box_row(b, t, o);
            o[4] = (double)MT_I(tb, t, MT_ID);
            o[5] = MT_F(tb, t, MT_SCORE);
            o[6] = (double)MT_I(tb, t, MT_CLASS);
            o[7] = (double)MT_I(tb, t, MT_DET);
            n_out++;
        }
    }
    /* store_pools */
    int64_t k = 0;
    for (int64_t i = 0; i < m; i++)
        if (keep[i] != 0)
            order[k++] = order[i];
    m = k;
    int64_t first = 0;
    while (first < m && order[first] == first)
        first++;
    int monotonic = 1;
    for (int64_t i = first + 1; i < m; i++)
        if (order[i] < order[i - 1]) {
            monotonic = 0;
            break;
        }
    if (monotonic) {
        for (int64_t i = first; i < m; i++)
            mt_copy_row(tb, order[i], i);
    } else {
        for (int64_t i = first; i < m; i++)
            mt_copy_row(tb, order[i], n + i - first);
        for (int64_t i = first; i < m; i++)
            mt_copy_row(tb, n + i - first, i);
    }
    tb->n = m;
    tb->next_id = next_id;
    return n_out;
}
