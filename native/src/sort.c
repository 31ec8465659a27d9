/* sort.c -- SORT (Bewley et al. 2016), mottrack/trackers/sort.py step for step:
 * predict (+ camera warp), drop invalid predictions, associate by IoU, update matched
 * tracks, start new ones, report and delete. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

enum { P_MAX_AGE, P_MIN_HITS, P_IOU };

static const mt_param_info params[] = {
    {"max_age", MT_PARAM_FLOAT, 1.0, NULL, 0.0, HUGE_VAL, 0, NULL},
    {"min_hits", MT_PARAM_INT, 3.0, NULL, 0.0, 9.2233720368547758e18, 0, NULL},
    {"iou_threshold", MT_PARAM_FLOAT, 0.3, NULL, 0.0, 1.0, 0, NULL},
    MT_COMMON_PARAMS("kalman", 0.0),
};

typedef struct sort_impl {
    mt_table tb;
    mt_edges edges;
    mt_assign_ws aws;
    double *pred; size_t pred_cap;
    unsigned char *keep; size_t keep_cap;
    int64_t *tfd; size_t tfd_cap;        /* track_for_det */
    int64_t *cnt; size_t cnt_cap;        /* above_r, above_c */
    int64_t *mcol; size_t mcol_cap;      /* matching col per row */
    int64_t *er, *ec; double *ev; size_t f_cap;  /* per-class filtered edges */
} sort_impl;

#define IMPL(t) ((sort_impl *)(t)->impl)

static int init(mt_tracker *t)
{
    sort_impl *s = calloc(1, sizeof *s);
    if (!s)
        return mt_fail(t, MT_ERR_NOMEM, "out of memory");
    t->impl = s;
    if (mt_table_init(&s->tb, 7, MT_N_INT_BASE, MT_N_FLOAT_BASE, 32))
        return mt_fail(t, MT_ERR_NOMEM, "out of memory");
    return MT_OK;
}

static void destroy(mt_tracker *t)
{
    sort_impl *s = IMPL(t);
    mt_table_free(&s->tb);
    mt_edges_free(&s->edges);
    mt_assign_ws_free(&s->aws);
    free(s->pred); free(s->keep); free(s->tfd); free(s->cnt); free(s->mcol);
    free(s->er); free(s->ec); free(s->ev);
}

static void reset(mt_tracker *t)
{
    IMPL(t)->tb.n = 0;
    IMPL(t)->tb.next_id = 1;
}

static int prepare(mt_tracker *t, const mt_input *in)
{
    sort_impl *s = IMPL(t);
    size_t n = (size_t)s->tb.n, nd = in->n, cap = n + nd + 1;
    if (mt_table_reserve(&s->tb, cap) || MT_GROW(s->pred, s->pred_cap, 4 * cap) || MT_GROW(s->keep, s->keep_cap, cap)
        || MT_GROW(s->tfd, s->tfd_cap, cap) || MT_GROW(s->cnt, s->cnt_cap, 2 * cap) || MT_GROW(s->mcol, s->mcol_cap, cap))
        return mt_fail(t, MT_ERR_NOMEM, "out of memory for %zu tracks", cap);
    return MT_OK;
}

/* sort.associate_iou: track_for_det (n_det) of detections (rows) to tracks (columns) */
static int associate_iou(sort_impl *s, const double *det_boxes, const int64_t *det_classes, size_t n_det,
                         const double *trk_boxes, size_t n_trk, double iou_threshold, int per_class,
                         int64_t *track_for_det)
{
    for (size_t d = 0; d < n_det; d++)
        track_for_det[d] = -1;
    if (mt_overlap_edges(&s->edges, det_boxes, n_det, trk_boxes, n_trk))
        return -1;
    int64_t *rows = s->edges.r, *cols = s->edges.c;
    double *ious = s->edges.v;
    size_t ne = s->edges.n;
    if (per_class) {
        size_t k = 0;
        for (size_t e = 0; e < ne; e++)
            if (det_classes[rows[e]] == MT_I(&s->tb, cols[e], MT_CLASS)) {
                rows[k] = rows[e];
                cols[k] = cols[e];
                ious[k] = ious[e];
                k++;
            }
        ne = k;
    }
    int64_t *above_r = s->cnt, *above_c = s->cnt + n_det;
    for (size_t d = 0; d < n_det; d++)
        above_r[d] = 0;
    for (size_t j = 0; j < n_trk; j++)
        above_c[j] = 0;
    int any_at_or_above = 0;
    for (size_t e = 0; e < ne; e++) {
        if (ious[e] > iou_threshold) {
            above_r[rows[e]]++;
            above_c[cols[e]]++;
        }
        if (ious[e] >= iou_threshold)
            any_at_or_above = 1;
    }
    if (n_det > 0 && n_trk > 0) {
        int64_t mr = above_r[0], mc = above_c[0];
        for (size_t d = 1; d < n_det; d++)
            if (above_r[d] > mr)
                mr = above_r[d];
        for (size_t j = 1; j < n_trk; j++)
            if (above_c[j] > mc)
                mc = above_c[j];
        if (mr == 1 && mc == 1) {
            for (size_t e = 0; e < ne; e++)
                if (ious[e] > iou_threshold)
                    track_for_det[rows[e]] = cols[e];
            return 0;
        }
    }
    if (!any_at_or_above)
        return 0;
    if (mt_max_weight_matching(&s->aws, (int64_t)n_det, (int64_t)n_trk, rows, cols, ious, ne, s->mcol))
        return -1;
    /* keep the matched pairs at or above the threshold (edges sorted by row, then column) */
    size_t e = 0;
    for (size_t d = 0; d < n_det; d++) {
        int64_t c = s->mcol[d];
        while (e < ne && rows[e] < (int64_t)d)
            e++;
        if (c < 0)
            continue;
        for (size_t q = e; q < ne && rows[q] == (int64_t)d; q++)
            if (cols[q] == c) {
                if (ious[q] >= iou_threshold)
                    track_for_det[d] = c;
                break;
            }
    }
    return 0;
}

static int64_t step(mt_tracker *t, const mt_input *in, double dt, const double *warp)
{
    sort_impl *s = IMPL(t);
    mt_table *tb = &s->tb;
    double max_age = t->p[P_MAX_AGE], min_hits = t->p[P_MIN_HITS], iou_threshold = t->p[P_IOU];
    int64_t n = tb->n, next_id = tb->next_id;
    /* 1. predict */
    mt_xysr_predict(tb, n, dt);
    mt_mark_predicted(tb, n, dt);
    if (warp)
        for (int64_t r = 0; r < n; r++)
            mt_xysr_warp(MT_MEAN(tb, r), MT_COV(tb, r), warp);
    n = mt_xysr_boxes_or_drop(tb, n, s->pred, s->keep);
    /* 2. associate */
    if (associate_iou(s, in->boxes, in->classes, in->n, s->pred, (size_t)n, iou_threshold, t->per_class, s->tfd)) {
        tb->n = n;
        return -1;
    }
    /* 3. update matched tracks, 4. start new ones */
    for (size_t d = 0; d < in->n; d++) {
        int64_t r = s->tfd[d];
        if (r >= 0) {
            const double *b = in->boxes + 4 * d;
            mt_xysr_update(MT_MEAN(tb, r), MT_COV(tb, r), b[0], b[1], b[2], b[3]);
            mt_mark_hit(tb, r, (int64_t)d, in->classes[d], in->scores[d]);
        }
    }
    for (size_t d = 0; d < in->n; d++) {
        if (s->tfd[d] < 0) {
            const double *b = in->boxes + 4 * d;
            mt_xysr_initiate(MT_MEAN(tb, n), MT_COV(tb, n), b[0], b[1], b[2], b[3]);
            mt_start_track(tb, n, next_id, 0, MT_TENTATIVE, in->classes[d], (int64_t)d, in->scores[d]);
            next_id++;
            n++;
        }
    }
    /* 5. report and delete */
    int64_t m = mt_report_xysr_tracks(tb, &n, t->frame_count, min_hits, max_age, 0, t->out, s->keep);
    tb->n = n;
    tb->next_id = next_id;
    return m;
}

static const mt_table *table(const mt_tracker *t) { return &IMPL(t)->tb; }

static void save(const mt_tracker *t, mt_writer *w) { mt_table_save(&IMPL(t)->tb, w); }

static int load(mt_tracker *t, mt_reader *r)
{
    if (mt_table_load(&IMPL(t)->tb, r, "tracks"))
        return -1;
    if (IMPL(t)->tb.nfeat != 0) {
        mt_r_fail(r, "state: SORT holds no features");
        return -1;
    }
    return 0;
}

const mt_kind mt_kind_sort = {"sort", params, sizeof params / sizeof params[0], MT_KIND_WARP, init, destroy, reset,
                              prepare, step, table, save, load};
