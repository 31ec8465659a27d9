/* OC-SORT (Cao et al., CVPR 2023) in C: the same operations in the same order as the numba
 * kernels of mottrack/trackers/ocsort.py (see there for the algorithm), so the outputs are
 * bit-identical.  Stages: split by score; predict (+ camera warp); OCM first association
 * (IoU + momentum); BYTE round; OCR round; ORU re-update; new tracks; report. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define PI 3.141592653589793

/* tracker-specific columns (as mottrack/trackers/ocsort.py) */
enum { ORU = MT_N_INT_BASE, HIST_AGE, OC_NI };
enum { ORU_NEW, ORU_OBSERVED, ORU_FROZEN };
enum { LAST = MT_N_FLOAT_BASE, VEL = LAST + 5, HZ = VEL + 2, FROZEN_TSU = HZ + 4, FROZEN = FROZEN_TSU + 1,
       RING = FROZEN + 17 };
enum { P_DET_THRESH, P_MAX_AGE, P_MIN_HITS, P_IOU, P_DELTA_T, P_ASSO, P_INERTIA, P_USE_BYTE };
enum { OC_SIM_IOU, OC_SIM_GIOU, OC_SIM_CIOU, OC_SIM_DIOU, OC_SIM_CT_DIST };
/* association problems with more pairs are solved on their overlapping pairs only */
#define OC_DENSE_LIMIT ((size_t)1 << 20)
#define OBS_WIDTH 6
#define LOW_SCORE 0.1
#define H_EPS 1e-6
#define FORBIDDEN -1e6

#define BUF(type, name) type *name; size_t name##_cap
typedef struct oc_work {  /* scratch, grown in prepare() only */
    BUF(int64_t, hi); BUF(int64_t, lo); BUF(double, hb); BUF(double, hs); BUF(int64_t, hc);
    BUF(double, pred); BUF(double, prev); BUF(double, vel); BUF(double, last);
    BUF(unsigned char, keep); BUF(int64_t, tcls); BUF(int64_t, track_for_det);
    BUF(int64_t, udets); BUF(int64_t, utrks); BUF(unsigned char, assigned_d);
    BUF(unsigned char, assigned_t); BUF(int64_t, rej_d); BUF(int64_t, rej_t);
    BUF(int64_t, cnt_d); BUF(int64_t, cnt_t); BUF(double, cost); BUF(double, pcen); BUF(int64_t, start);
    BUF(double, ra); BUF(double, rb); BUF(int64_t, md); BUF(int64_t, mt);
    BUF(int64_t, pr); BUF(int64_t, pc); BUF(int64_t, mcol);
    BUF(int64_t, se_r); BUF(int64_t, se_c); BUF(double, se_v);
    mt_edges edges;
    mt_assign_ws aws;
} oc_work;
#define GROW(ws, name, need) MT_GROW((ws)->name, (ws)->name##_cap, (need))

typedef struct oc_tracker {
    double det_thresh, max_age, min_hits, iou_threshold, inertia;
    int64_t delta_t;
    int kind, use_byte, per_class;
    mt_table tb;
    oc_work ws;
} oc_tracker;
#define IMPL(t) ((oc_tracker *)(t)->impl)

/* ---------------------------------------------------------------- OC-SORT's geometry */
static double similarity1(int kind, double ax1, double ay1, double ax2, double ay2, double bx1, double by1,
                          double bx2, double by2) {
    double w = mt_max(0.0, mt_min(ax2, bx2) - mt_max(ax1, bx1));
    double h = mt_max(0.0, mt_min(ay2, by2) - mt_max(ay1, by1));
    double wh = w * h;
    double uni = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - wh;
    double iou = wh / uni;
    if (kind == OC_SIM_IOU) return iou;
    double wc = mt_max(ax2, bx2) - mt_min(ax1, bx1);
    double hc = mt_max(ay2, by2) - mt_min(ay1, by1);
    if (kind == OC_SIM_GIOU) {
        double enclose = wc * hc;
        return (iou - (enclose - uni) / enclose + 1.0) / 2.0;
    }
    double dcx = (ax1 + ax2) / 2.0 - (bx1 + bx2) / 2.0;
    double dcy = (ay1 + ay2) / 2.0 - (by1 + by2) / 2.0;
    double inner = dcx * dcx + dcy * dcy;
    double outer = wc * wc + hc * hc;
    if (kind == OC_SIM_DIOU) return (iou - inner / outer + 1.0) / 2.0;
    double arctan = atan((bx2 - bx1) / (by2 - by1 + 1.0)) - atan((ax2 - ax1) / (ay2 - ay1 + 1.0));
    double v = (4.0 / (PI * PI)) * (arctan * arctan);
    double alpha = v / (1.0 - iou + v);
    return (iou - inner / outer - alpha * v + 1.0) / 2.0;
}

/* a (n x 4) against b (m x 4) into out (n x m) */
static void similarity_matrix(int kind, const double *a, size_t n, const double *b, size_t m, double *out) {
    if (kind != OC_SIM_CT_DIST) {
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < m; j++)
                out[i * m + j] = similarity1(kind, a[4 * i], a[4 * i + 1], a[4 * i + 2], a[4 * i + 3], b[4 * j],
                                             b[4 * j + 1], b[4 * j + 2], b[4 * j + 3]);
        return;
    }
    double dmax = -1.0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++) {
            double dx = (a[4 * i] + a[4 * i + 2]) / 2.0 - (b[4 * j] + b[4 * j + 2]) / 2.0;
            double dy = (a[4 * i + 1] + a[4 * i + 3]) / 2.0 - (b[4 * j + 1] + b[4 * j + 3]) / 2.0;
            out[i * m + j] = sqrt(dx * dx + dy * dy);
            dmax = mt_max(dmax, out[i * m + j]);
        }
    double top = -INFINITY;
    for (size_t i = 0; i < n * m; i++) {
        out[i] = out[i] / dmax;
        top = mt_max(top, out[i]);
    }
    for (size_t i = 0; i < n * m; i++) out[i] = top - out[i];
}

static void speed_direction(double ax1, double ay1, double ax2, double ay2, double bx1, double by1, double bx2,
                            double by2, double *vy, double *vx) {
    double dx = (bx1 + bx2) / 2.0 - (ax1 + ax2) / 2.0;
    double dy = (by1 + by2) / 2.0 - (ay1 + ay2) / 2.0;
    double norm = sqrt(dx * dx + dy * dy) + 1e-6;
    *vy = dy / norm;
    *vx = dx / norm;
}

static double asin_half(double y) {
    double z = y * y;
    return y + y * z * ((((((((((((((((((((((((0.002338091892111975) * z
        + 0.0024894486782468836) * z
        + 0.00265787063820729) * z
        + 0.002846178401108942) * z
        + 0.0030578216492580306) * z
        + 0.003297059503473485) * z
        + 0.0035692053938259347) * z
        + 0.003880964558837669) * z
        + 0.004240907093679363) * z
        + 0.004660143486915096) * z
        + 0.005153309682319905) * z
        + 0.005740037670841924) * z
        + 0.006447210311889649) * z
        + 0.0073125258735988454) * z
        + 0.008390335809616815) * z
        + 0.009761609529194078) * z
        + 0.011551800896139705) * z
        + 0.01396484375) * z
        + 0.017352764423076924) * z
        + 0.022372159090909092) * z
        + 0.030381944444444444) * z
        + 0.044642857142857144) * z
        + 0.075) * z
        + 0.16666666666666666);
}

static double arccos1(double x) {
    double ax = fabs(x);
    int small = ax <= 0.5;
    double p = asin_half(small ? x : sqrt((1.0 - ax) * 0.5));
    double r_small = PI / 2.0 - p;
    double r_pos = 2.0 * p;
    double r_neg = PI - r_pos;
    return small ? r_small : (x > 0.0 ? r_pos : r_neg);
}

/* momentum term of det d and track t into out (D x T); prev (T x 5), vel (T x 2: dy, dx) */
static void direction_consistency(double *out, const double *det, size_t D, const double *prev, const double *vel,
                                  size_t T, double *pc) {
    for (size_t t = 0; t < T; t++) {
        pc[2 * t] = (prev[5 * t] + prev[5 * t + 2]) / 2.0;
        pc[2 * t + 1] = (prev[5 * t + 1] + prev[5 * t + 3]) / 2.0;
    }
    for (size_t d = 0; d < D; d++) {
        double cx = (det[4 * d] + det[4 * d + 2]) / 2.0;
        double cy = (det[4 * d + 1] + det[4 * d + 3]) / 2.0;
        for (size_t t = 0; t < T; t++) {
            double dx = cx - pc[2 * t];
            double dy = cy - pc[2 * t + 1];
            double norm = sqrt(dx * dx + dy * dy) + 1e-6;
            double c = vel[2 * t + 1] * (dx / norm) + vel[2 * t] * (dy / norm);
            out[d * T + t] = mt_min(mt_max(c, -1.0), 1.0);
        }
    }
    for (size_t i = 0; i < D * T; i++) out[i] = (PI / 2.0 - arccos1(out[i])) / PI;
}

static void warp_box(const double *H, double *b) {
    double xp, yp, a;
    mt_warp_point(H, b[0] + (b[2] - b[0]) / 2.0, b[1] + (b[3] - b[1]) / 2.0, &xp, &yp, &a);
    double k = sqrt(a);
    double hw = (b[2] - b[0]) * k / 2.0;
    double hh = (b[3] - b[1]) * k / 2.0;
    b[0] = xp - hw;
    b[1] = yp - hh;
    b[2] = xp + hw;
    b[3] = yp + hh;
}

/* ---------------------------------------------------------------- the (u, v, s, r) filter, OC-SORT's extras */
/* kalman.xysr_save / xysr_load: the 7 means and the non-zero covariance blocks (17 numbers) */
static void xysr_save(const double *mean, const double *P, double *store) {
    for (int k = 0; k < 7; k++) store[k] = mean[k];
    int c = 7;
    for (int k = 0; k < 3; k++) {
        store[c] = P[k * 7 + k];
        store[c + 1] = P[k * 7 + k + 4];
        store[c + 2] = P[(k + 4) * 7 + k + 4];
        c += 3;
    }
    store[c] = P[3 * 7 + 3];
}

static void xysr_load(double *mean, double *P, const double *store) {
    for (int k = 0; k < 7; k++) mean[k] = store[k];
    for (int i = 0; i < 49; i++) P[i] = 0.0;
    int c = 7;
    for (int k = 0; k < 3; k++) {
        P[k * 7 + k] = store[c];
        P[k * 7 + k + 4] = store[c + 1];
        P[(k + 4) * 7 + k] = store[c + 1];
        P[(k + 4) * 7 + k + 4] = store[c + 2];
        c += 3;
    }
    P[3 * 7 + 3] = store[c];
}

/* kalman.xysr_reupdate_linear (ORU): update along boxes interpolated in centre, width and
 * height over `steps` frames, predicting `dt` between them; the last virtual measurement to zo */
static void xysr_reupdate_linear(double *mean, double *P, const double z1[4], const double z2[4], int64_t steps,
                                 double dt, double zo[4]) {
    double w1 = sqrt(z1[2] * z1[3]), h1 = sqrt(z1[2] / z1[3]);
    double w2 = sqrt(z2[2] * z2[3]), h2 = sqrt(z2[2] / z2[3]);
    double fs = (double)steps;
    double du = (z2[0] - z1[0]) / fs, dv = (z2[1] - z1[1]) / fs;
    double dw = (w2 - w1) / fs, dh = (h2 - h1) / fs;
    double z[4] = {z1[0], z1[1], z1[2], z1[3]};
    for (int64_t i = 0; i < steps; i++) {
        double k = (double)(i + 1);
        z[0] = z1[0] + k * du;
        z[1] = z1[1] + k * dv;
        double w = w1 + k * dw;
        double h = h1 + k * dh;
        z[2] = w * h;
        z[3] = w / h;
        mt_xysr_update_z(mean, P, z);
        if (i != steps - 1) mt_xysr_predict_row(mean, P, dt);
    }
    memcpy(zo, z, sizeof z);
}

/* ---------------------------------------------------------------- observations */
static int64_t observation_at(const mt_table *tb, size_t row, int64_t length, int64_t age) {
    if (length == 0 || age < 0) return -1;
    int64_t c = RING + (age % length) * OBS_WIDTH;
    if (MT_F(tb, row, c + 5) == (double)age) return c;
    return -1;
}

static void record_observation(mt_table *tb, size_t row, int64_t length, int64_t age, const double *box,
                               double score) {
    if (length == 0) return;
    int64_t c = RING + (age % length) * OBS_WIDTH;
    for (int k = 0; k < 4; k++) MT_F(tb, row, c + k) = box[k];
    MT_F(tb, row, c + 4) = score;
    MT_F(tb, row, c + 5) = (double)age;
}

static int64_t previous_obs(const mt_table *tb, size_t t, int64_t age, int64_t delta_t) {
    for (int64_t i = 0; i < delta_t; i++) {
        int64_t c = observation_at(tb, t, delta_t, age - (delta_t - i));
        if (c >= 0) return c;
    }
    return LAST;
}

/* ---------------------------------------------------------------- per-track stages */
static void observe(oc_tracker *oc, size_t t, const double *box, double score, int64_t det, int64_t cls) {
    mt_table *tb = &oc->tb;
    int64_t delta_t = oc->delta_t;
    int64_t age = MT_I(tb, t, MT_AGE);
    double last_sum = MT_F(tb, t, LAST) + MT_F(tb, t, LAST + 1) + MT_F(tb, t, LAST + 2) + MT_F(tb, t, LAST + 3) +
                      MT_F(tb, t, LAST + 4);
    if (last_sum >= 0.0) {
        int64_t c = previous_obs(tb, t, age, delta_t);
        double vy, vx;
        speed_direction(MT_F(tb, t, c), MT_F(tb, t, c + 1), MT_F(tb, t, c + 2), MT_F(tb, t, c + 3), box[0], box[1], box[2],
                        box[3], &vy, &vx);
        MT_F(tb, t, VEL) = vy;
        MT_F(tb, t, VEL + 1) = vx;
    }
    for (int k = 0; k < 4; k++) MT_F(tb, t, LAST + k) = box[k];
    MT_F(tb, t, LAST + 4) = score;
    record_observation(tb, t, delta_t, age, box, score);
    double z[4], h[4];
    mt_xysr_z(box[0], box[1], box[2], box[3], H_EPS, z);
    if (MT_I(tb, t, ORU) == ORU_FROZEN) {
        int64_t steps = age - MT_I(tb, t, HIST_AGE);
        double step_dt = 1.0;
        if (steps > 1) step_dt = (MT_F(tb, t, MT_TSU) - MT_F(tb, t, FROZEN_TSU)) / (double)(steps - 1);
        xysr_load(MT_MEAN(tb, t), MT_COV(tb, t), &MT_F(tb, t, FROZEN));
        double z1[4] = {MT_F(tb, t, HZ), MT_F(tb, t, HZ + 1), MT_F(tb, t, HZ + 2), MT_F(tb, t, HZ + 3)};
        xysr_reupdate_linear(MT_MEAN(tb, t), MT_COV(tb, t), z1, z, steps, step_dt, h);
    } else {
        memcpy(h, z, sizeof h);
    }
    for (int k = 0; k < 4; k++) MT_F(tb, t, HZ + k) = h[k];
    MT_I(tb, t, HIST_AGE) = age;
    MT_I(tb, t, ORU) = ORU_OBSERVED;
    mt_xysr_update_z(MT_MEAN(tb, t), MT_COV(tb, t), z);
    mt_mark_hit(tb, (int64_t)t, det, cls, score);
}

static void miss(mt_table *tb, size_t t) {
    if (MT_I(tb, t, ORU) == ORU_OBSERVED) {
        xysr_save(MT_MEAN(tb, t), MT_COV(tb, t), &MT_F(tb, t, FROZEN));
        MT_F(tb, t, FROZEN_TSU) = MT_F(tb, t, MT_TSU);
        MT_I(tb, t, ORU) = ORU_FROZEN;
    }
}

static void warp_track(oc_tracker *oc, size_t t, const double *H) {
    mt_table *tb = &oc->tb;
    mt_xysr_warp(MT_MEAN(tb, t), MT_COV(tb, t), H);
    if (MT_I(tb, t, ORU) == ORU_NEW) return;
    if (MT_I(tb, t, ORU) == ORU_FROZEN) { /* the frozen filter state through the same warp */
        double mean[7], P[49];
        xysr_load(mean, P, &MT_F(tb, t, FROZEN));
        mt_xysr_warp(mean, P, H);
        xysr_save(mean, P, &MT_F(tb, t, FROZEN));
    }
    double u, v, a;
    mt_warp_point(H, MT_F(tb, t, HZ), MT_F(tb, t, HZ + 1), &u, &v, &a);
    MT_F(tb, t, HZ) = u;
    MT_F(tb, t, HZ + 1) = v;
    MT_F(tb, t, HZ + 2) *= a;
    int c = LAST;
    double cx = MT_F(tb, t, c) + (MT_F(tb, t, c + 2) - MT_F(tb, t, c)) / 2.0;
    double cy = MT_F(tb, t, c + 1) + (MT_F(tb, t, c + 3) - MT_F(tb, t, c + 1)) / 2.0;
    double vy = MT_F(tb, t, VEL), vx = MT_F(tb, t, VEL + 1);
    double norm = sqrt(vx * vx + vy * vy);
    if (norm > 0.0) {
        double wx, wy;
        mt_warp_vector(H, cx, cy, vx, vy, &wx, &wy);
        double k = norm / sqrt(wx * wx + wy * wy);
        MT_F(tb, t, VEL) = wy * k;
        MT_F(tb, t, VEL + 1) = wx * k;
    }
    warp_box(H, &MT_F(tb, t, LAST));
    for (int64_t k = 0; k < oc->delta_t; k++) {
        int64_t cc = RING + k * OBS_WIDTH;
        if (MT_F(tb, t, cc + 5) >= 0.0) warp_box(H, &MT_F(tb, t, cc));
    }
}

/* ---------------------------------------------------------------- association rounds */
/* OC-SORT's order of unmatched items: unassigned ascending, then rejected in pair order */
static size_t unmatched_order(size_t n_items, const unsigned char *assigned, const int64_t *rejected,
                              size_t n_rejected, int64_t *out) {
    size_t k = 0;
    for (size_t i = 0; i < n_items; i++)
        if (!assigned[i]) out[k++] = (int64_t)i;
    for (size_t i = 0; i < n_rejected; i++) out[k++] = rejected[i];
    return k;
}

/* dense assignment (SciPy's result) of cost (nr x nc) into ws->pr / ws->pc */
static int lsa(oc_work *ws, const double *cost, size_t nr, size_t nc, size_t *np) {
    size_t k = nr < nc ? nr : nc;
    int64_t n = 0;
    if (GROW(ws, pr, k + 1) || GROW(ws, pc, k + 1)) return -2;
    int rc = mt_linear_sum_assignment(&ws->aws, cost, (int64_t)nr, (int64_t)nc, ws->pr, ws->pc, &n);
    *np = (size_t)n;
    return rc;
}

/* The problems above OC_DENSE_LIMIT pairs, on their pairs with IoU at or above the threshold
 * (ocsort._ocm_sparse / _remaining_sparse): bounded memory and time. */
static int ocm_sparse(oc_tracker *oc, const double *boxes, const double *scores, const int64_t *classes, size_t D,
                      const int64_t *trk_classes, const double *prev, const double *vel, size_t T, size_t E,
                      int64_t *track_for_det) {
    oc_work *ws = &oc->ws;
    const int64_t *er = ws->edges.r, *ec = ws->edges.c;
    const double *ev = ws->edges.v;
    if (GROW(ws, se_r, E + 1) || GROW(ws, se_c, E + 1) || GROW(ws, se_v, E + 1) || GROW(ws, mcol, D + 1)) return -1;
    size_t m = 0;
    for (size_t e = 0; e < E; e++) {
        if (!(ev[e] >= oc->iou_threshold) || (oc->per_class && classes[er[e]] != trk_classes[ec[e]])) continue;
        int64_t d = er[e], t = ec[e];
        double ang, pc[2];
        direction_consistency(&ang, boxes + 4 * d, 1, prev + 5 * t, vel + 2 * t, 1, pc);
        double valid = prev[5 * t + 4] >= 0.0 ? 1.0 : 0.0;
        double w = ev[e] + ((valid * ang) * oc->inertia) * scores[d];
        if (w > 0.0) {
            ws->se_r[m] = d;
            ws->se_c[m] = t;
            ws->se_v[m] = w;
            m++;
        }
    }
    if (mt_max_weight_matching(&ws->aws, (int64_t)D, (int64_t)T, ws->se_r, ws->se_c, ws->se_v, m, ws->mcol))
        return -1;
    for (size_t d = 0; d < D; d++)
        if (ws->mcol[d] >= 0) {
            track_for_det[d] = ws->mcol[d];
            ws->assigned_d[d] = 1;
            ws->assigned_t[ws->mcol[d]] = 1;
        }
    return 0;
}

static int remaining_sparse(oc_tracker *oc, const double *a, size_t D, const double *b, size_t T,
                            const int64_t *det_classes, const int64_t *dets, const int64_t *trk_classes,
                            const int64_t *trks, int64_t *md, int64_t *mt, size_t *n_m) {
    oc_work *ws = &oc->ws;
    if (mt_overlap_edges(&ws->edges, a, D, b, T)) return -1;
    size_t E = ws->edges.n;
    if (GROW(ws, se_r, E + 1) || GROW(ws, se_c, E + 1) || GROW(ws, se_v, E + 1) || GROW(ws, mcol, D + 1)) return -1;
    size_t m = 0;
    for (size_t e = 0; e < E; e++) {
        int64_t r = ws->edges.r[e], c = ws->edges.c[e];
        double v = ws->edges.v[e];
        if (oc->kind != OC_SIM_IOU) similarity_matrix(oc->kind, a + 4 * r, 1, b + 4 * c, 1, &v);
        if (v >= oc->iou_threshold && v > 0.0 && !(oc->per_class && det_classes[dets[r]] != trk_classes[trks[c]])) {
            ws->se_r[m] = r;
            ws->se_c[m] = c;
            ws->se_v[m] = v;
            m++;
        }
    }
    if (m == 0) return 0;
    if (mt_max_weight_matching(&ws->aws, (int64_t)D, (int64_t)T, ws->se_r, ws->se_c, ws->se_v, m, ws->mcol))
        return -1;
    size_t k = 0;
    for (size_t r = 0; r < D; r++)
        if (ws->mcol[r] >= 0) {
            md[k] = dets[r];
            mt[k] = trks[ws->mcol[r]];
            k++;
        }
    *n_m = k;
    return 1;
}

/* first association; fills track_for_det (D), udets/utrks (+ counts). */
static int associate_ocm(oc_tracker *oc, const double *boxes, const double *scores, const int64_t *classes,
                         size_t D, const double *pred, const int64_t *trk_classes, const double *prev,
                         const double *vel, size_t T, int64_t *track_for_det, int64_t *udets, size_t *n_ud,
                         int64_t *utrks, size_t *n_ut) {
    oc_work *ws = &oc->ws;
    double thr = oc->iou_threshold, inertia = oc->inertia;
    int per_class = oc->per_class;
    unsigned char *ad = ws->assigned_d, *at = ws->assigned_t;
    for (size_t d = 0; d < D; d++) { track_for_det[d] = -1; ad[d] = 0; }
    for (size_t t = 0; t < T; t++) at[t] = 0;
    size_t n_rej = 0;
    if (D == 0 || T == 0) goto done;
    if (mt_overlap_edges(&ws->edges, boxes, D, pred, T)) return -2;
    size_t E = ws->edges.n;
    int64_t *er = ws->edges.r, *ec = ws->edges.c;
    double *ev = ws->edges.v;
    if (per_class) {
        size_t k = 0;
        for (size_t e = 0; e < E; e++)
            if (classes[er[e]] == trk_classes[ec[e]]) { er[k] = er[e]; ec[k] = ec[e]; ev[k] = ev[e]; k++; }
        E = k;
    }
    int one_to_one = D == 1 && T == 1;
    if (thr >= 0.0) {
        int64_t *above_d = ws->cnt_d, *above_t = ws->cnt_t;
        for (size_t d = 0; d < D; d++) above_d[d] = 0;
        for (size_t t = 0; t < T; t++) above_t[t] = 0;
        for (size_t e = 0; e < E; e++)
            if (ev[e] > thr) { above_d[er[e]]++; above_t[ec[e]]++; }
        int64_t md = above_d[0], mt = above_t[0];
        for (size_t d = 1; d < D; d++) md = above_d[d] > md ? above_d[d] : md;
        for (size_t t = 1; t < T; t++) mt = above_t[t] > mt ? above_t[t] : mt;
        one_to_one = md == 1 && mt == 1;
    }
    if (one_to_one) {
        if (thr < 0.0) { track_for_det[0] = 0; ad[0] = 1; at[0] = 1; }
        for (size_t e = 0; e < E; e++)
            if (ev[e] > thr) { track_for_det[er[e]] = ec[e]; ad[er[e]] = 1; at[ec[e]] = 1; }
        goto done;
    }
    int useful = thr <= 0.0;
    for (size_t e = 0; e < E; e++)
        if (ev[e] >= thr) useful = 1;
    if (!useful) goto done;
    if (D * T > OC_DENSE_LIMIT) {
        if (ocm_sparse(oc, boxes, scores, classes, D, trk_classes, prev, vel, T, E, track_for_det)) return -2;
        goto done;
    }
    double *cost = ws->cost;
    direction_consistency(cost, boxes, D, prev, vel, T, ws->pcen);
    for (size_t d = 0; d < D; d++) {
        double sd = scores[d];
        for (size_t t = 0; t < T; t++) {
            double valid = prev[5 * t + 4] >= 0.0 ? 1.0 : 0.0;
            cost[d * T + t] = -(((valid * cost[d * T + t]) * inertia) * sd);
        }
    }
    for (size_t e = 0; e < E; e++) {
        double *c = &cost[(size_t)er[e] * T + (size_t)ec[e]];
        *c = -(ev[e] + -*c);
    }
    if (per_class)
        for (size_t d = 0; d < D; d++)
            for (size_t t = 0; t < T; t++)
                if (classes[d] != trk_classes[t]) cost[d * T + t] = -FORBIDDEN;
    int64_t *start = ws->start;
    for (size_t d = 0; d <= D; d++) start[d] = 0;
    for (size_t e = 0; e < E; e++) start[er[e] + 1]++;
    for (size_t d = 0; d < D; d++) start[d + 1] += start[d];
    size_t np;
    int rc = lsa(ws, cost, D, T, &np);
    if (rc) return rc;
    for (size_t k = 0; k < np; k++) {
        int64_t d = ws->pr[k], t = ws->pc[k];
        ad[d] = 1;
        at[t] = 1;
        double iou = 0.0;
        for (int64_t e = start[d]; e < start[d + 1]; e++)
            if (ec[e] == t) iou = ev[e];
        if (iou < thr || (per_class && classes[d] != trk_classes[t])) {
            ws->rej_d[n_rej] = d;
            ws->rej_t[n_rej] = t;
            n_rej++;
        } else {
            track_for_det[d] = t;
        }
    }
done:
    *n_ud = unmatched_order(D, ad, ws->rej_d, n_rej, udets);
    *n_ut = unmatched_order(T, at, ws->rej_t, n_rej, utrks);
    return 0;
}

/* BYTE / OCR rounds: dets (rows of det_boxes) vs trks (rows of trk_boxes); accepted pairs into
 * md/mt (*n_m); returns 1 when solved, 0 when skipped, < 0 on error */
static int associate_remaining(oc_tracker *oc, const double *det_boxes, const int64_t *det_classes,
                               const int64_t *dets, size_t D, const double *trk_boxes, const int64_t *trk_classes,
                               const int64_t *trks, size_t T, int64_t *md, int64_t *mt, size_t *n_m) {
    oc_work *ws = &oc->ws;
    double thr = oc->iou_threshold;
    *n_m = 0;
    double *a = ws->ra, *b = ws->rb, *sim = ws->cost;
    for (size_t i = 0; i < D; i++) memcpy(a + 4 * i, det_boxes + 4 * dets[i], 4 * sizeof(double));
    for (size_t j = 0; j < T; j++) memcpy(b + 4 * j, trk_boxes + 4 * trks[j], 4 * sizeof(double));
    if (D * T > OC_DENSE_LIMIT)
        return remaining_sparse(oc, a, D, b, T, det_classes, dets, trk_classes, trks, md, mt, n_m);
    similarity_matrix(oc->kind, a, D, b, T, sim);
    double top = -INFINITY;
    int nan = 0;
    for (size_t i = 0; i < D; i++)
        for (size_t j = 0; j < T; j++) {
            if (oc->per_class && det_classes[dets[i]] != trk_classes[trks[j]]) sim[i * T + j] = FORBIDDEN;
            double v = sim[i * T + j];
            if (isnan(v)) nan = 1;
            else if (v > top) top = v;
        }
    if (nan || !(top > thr)) return 0;
    for (size_t i = 0; i < D * T; i++) sim[i] = -sim[i];
    size_t np;
    int rc = lsa(ws, sim, D, T, &np);
    if (rc) return rc;
    size_t k = 0;
    for (size_t p = 0; p < np; p++) {
        int64_t r = ws->pr[p], c = ws->pc[p];
        if (-sim[(size_t)r * T + (size_t)c] >= thr) {
            md[k] = dets[r];
            mt[k] = trks[c];
            k++;
        }
    }
    *n_m = k;
    return 1;
}

/* items not taken, ascending (np.setdiff1d); mask: n_total bytes of scratch */
static size_t remove_taken(int64_t *items, size_t n_items, const int64_t *taken, size_t n_taken, size_t n_total,
                           unsigned char *mask) {
    memset(mask, 0, n_total);
    for (size_t i = 0; i < n_items; i++) mask[items[i]] = 1;
    for (size_t i = 0; i < n_taken; i++) mask[taken[i]] = 0;
    size_t k = 0;
    for (size_t i = 0; i < n_total; i++)
        if (mask[i]) items[k++] = (int64_t)i;
    return k;
}

/* ---------------------------------------------------------------- one frame */
static int64_t step(mt_tracker *t, const mt_input *in, double dt, const double *warp) {
    oc_tracker *oc = IMPL(t);
    mt_table *tb = &oc->tb;
    oc_work *ws = &oc->ws;
    const double *boxes = in->boxes, *scores = in->scores;
    const int64_t *classes = in->classes;
    size_t nd = in->n;
    int64_t n = tb->n, next_id = tb->next_id;
    /* 1. high and low detections */
    size_t n_hi = 0, n_lo = 0;
    int64_t *hi = ws->hi, *lo = ws->lo;
    for (size_t d = 0; d < nd; d++) {
        if (scores[d] > oc->det_thresh) hi[n_hi++] = (int64_t)d;
        else if (oc->use_byte && LOW_SCORE < scores[d] && scores[d] < oc->det_thresh) lo[n_lo++] = (int64_t)d;
    }
    /* 2. predict, camera motion, drop invalid boxes */
    mt_xysr_predict(tb, n, dt);
    mt_mark_predicted(tb, n, dt);
    if (warp)
        for (int64_t r = 0; r < n; r++) warp_track(oc, (size_t)r, warp);
    double *pred = ws->pred;
    n = mt_xysr_boxes_or_drop(tb, n, pred, ws->keep);
    tb->n = n;
    size_t nt = (size_t)n;
    /* 3. first association (OCM): high detections, IoU + momentum */
    double *prev = ws->prev, *vel = ws->vel, *last = ws->last;
    int64_t *tcls = ws->tcls;
    for (size_t r = 0; r < nt; r++) {
        int64_t c = previous_obs(tb, r, MT_I(tb, r, MT_AGE), oc->delta_t);
        for (int k = 0; k < 5; k++) prev[5 * r + k] = MT_F(tb, r, c + k);
        vel[2 * r] = MT_F(tb, r, VEL);
        vel[2 * r + 1] = MT_F(tb, r, VEL + 1);
        for (int k = 0; k < 4; k++) last[4 * r + k] = MT_F(tb, r, LAST + k);
        tcls[r] = MT_I(tb, r, MT_CLASS);
    }
    double *hb = ws->hb, *hs = ws->hs;
    int64_t *hc = ws->hc;
    for (size_t i = 0; i < n_hi; i++) {
        memcpy(hb + 4 * i, boxes + 4 * hi[i], 4 * sizeof(double));
        hs[i] = scores[hi[i]];
        hc[i] = classes[hi[i]];
    }
    size_t n_ud, n_ut;
    int64_t *tfd = ws->track_for_det, *udets = ws->udets, *utrks = ws->utrks;
    if (associate_ocm(oc, hb, hs, hc, n_hi, pred, tcls, prev, vel, nt, tfd, udets, &n_ud, utrks, &n_ut))
        return -1;
    for (size_t i = 0; i < n_hi; i++) {
        int64_t r = tfd[i];
        if (r >= 0) {
            int64_t d = hi[i];
            observe(oc, (size_t)r, boxes + 4 * d, scores[d], d, classes[d]);
        }
    }
    /* 4. BYTE: low detections against the predicted boxes of the tracks left */
    size_t nm;
    int rc;
    if (n_lo > 0 && n_ut > 0) {
        rc = associate_remaining(oc, boxes, classes, lo, n_lo, pred, tcls, utrks, n_ut, ws->md, ws->mt, &nm);
        if (rc < 0) return -1;
        for (size_t k = 0; k < nm; k++) {
            int64_t d = ws->md[k];
            observe(oc, (size_t)ws->mt[k], boxes + 4 * d, scores[d], d, classes[d]);
        }
        if (rc == 1) n_ut = remove_taken(utrks, n_ut, ws->mt, nm, nt, ws->keep);
    }
    /* 5. OCR: high detections left against the last observations of the tracks left */
    if (n_ud > 0 && n_ut > 0) {
        rc = associate_remaining(oc, hb, hc, udets, n_ud, last, tcls, utrks, n_ut, ws->md, ws->mt, &nm);
        if (rc < 0) return -1;
        for (size_t k = 0; k < nm; k++) {
            int64_t d = hi[ws->md[k]];
            observe(oc, (size_t)ws->mt[k], boxes + 4 * d, scores[d], d, classes[d]);
        }
        if (rc == 1) {
            n_ud = remove_taken(udets, n_ud, ws->md, nm, n_hi, ws->keep);
            n_ut = remove_taken(utrks, n_ut, ws->mt, nm, nt, ws->keep);
        }
    }
    /* 6. the tracks left freeze their filter state for ORU */
    for (size_t k = 0; k < n_ut; k++) miss(tb, (size_t)utrks[k]);
    /* 7. new tracks */
    for (size_t i = 0; i < n_ud; i++) {
        int64_t d = hi[udets[i]];
        const double *bx = boxes + 4 * d;
        double z[4];
        mt_xysr_z(bx[0], bx[1], bx[2], bx[3], H_EPS, z);
        mt_xysr_initiate_z(MT_MEAN(tb, n), MT_COV(tb, n), z);
        mt_start_track(tb, n, next_id, 0, MT_TENTATIVE, classes[d], d, scores[d]);
        for (int k = 0; k < 5; k++) MT_F(tb, n, LAST + k) = -1.0;
        for (int64_t k = 0; k < oc->delta_t; k++) MT_F(tb, n, RING + k * OBS_WIDTH + 5) = -1.0;
        next_id++;
        n++;
    }
    /* 8. report and delete */
    int64_t m = mt_report_xysr_tracks(tb, &n, t->frame_count, oc->min_hits, oc->max_age, 1, t->out, ws->keep);
    tb->n = n;
    tb->next_id = next_id;
    return m;
}

/* ---------------------------------------------------------------- the tracker kind */
static int init(mt_tracker *t) {
    oc_tracker *oc = calloc(1, sizeof *oc);
    if (!oc) return mt_fail(t, MT_ERR_NOMEM, "out of memory");
    t->impl = oc;
    oc->det_thresh = t->p[P_DET_THRESH];
    oc->max_age = t->p[P_MAX_AGE];
    oc->min_hits = t->p[P_MIN_HITS];
    oc->iou_threshold = t->p[P_IOU];
    oc->delta_t = (int64_t)t->p[P_DELTA_T];
    oc->kind = (int)t->p[P_ASSO];
    oc->inertia = t->p[P_INERTIA];
    oc->use_byte = t->p[P_USE_BYTE] != 0.0;
    oc->per_class = t->per_class;
    if (mt_table_init(&oc->tb, 7, OC_NI, RING + OBS_WIDTH * (int)oc->delta_t, 32))
        return mt_fail(t, MT_ERR_NOMEM, "out of memory");
    return MT_OK;
}

static void destroy(mt_tracker *t) {
    oc_tracker *oc = IMPL(t);
    oc_work *ws = &oc->ws;
    mt_table_free(&oc->tb);
    mt_edges_free(&ws->edges);
    mt_assign_ws_free(&ws->aws);
    void *bufs[] = {ws->hi, ws->lo, ws->hb, ws->hs, ws->hc, ws->pred, ws->prev, ws->vel, ws->last, ws->keep,
                    ws->tcls, ws->track_for_det, ws->udets, ws->utrks, ws->assigned_d, ws->assigned_t, ws->rej_d,
                    ws->rej_t, ws->cnt_d, ws->cnt_t, ws->cost, ws->pcen, ws->start, ws->ra, ws->rb, ws->md, ws->mt,
                    ws->pr, ws->pc, ws->mcol, ws->se_r, ws->se_c, ws->se_v};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
}

static void reset(mt_tracker *t) {
    IMPL(t)->tb.n = 0;
    IMPL(t)->tb.next_id = 1;
}

/* Room for this frame (everything that can fail happens here, before any state changes). */
static int prepare(mt_tracker *t, const mt_input *in) {
    oc_tracker *oc = IMPL(t);
    oc_work *ws = &oc->ws;
    size_t n = (size_t)oc->tb.n, nd = in->n, cap = n + nd + 1;
    size_t dense = nd * n < OC_DENSE_LIMIT ? nd * n : OC_DENSE_LIMIT;
    if (mt_table_reserve(&oc->tb, cap) || GROW(ws, hi, nd + 1) || GROW(ws, lo, nd + 1) || GROW(ws, hb, 4 * nd + 4) ||
        GROW(ws, hs, nd + 1) || GROW(ws, hc, nd + 1) || GROW(ws, pred, 4 * n + 4) || GROW(ws, prev, 5 * n + 5) ||
        GROW(ws, vel, 2 * n + 2) || GROW(ws, last, 4 * n + 4) || GROW(ws, keep, cap) || GROW(ws, tcls, n + 1) ||
        GROW(ws, track_for_det, nd + 1) || GROW(ws, udets, nd + 1) || GROW(ws, utrks, n + 1) ||
        GROW(ws, assigned_d, nd + 1) || GROW(ws, assigned_t, n + 1) || GROW(ws, rej_d, nd + 1) ||
        GROW(ws, rej_t, nd + 1) || GROW(ws, cnt_d, nd + 1) || GROW(ws, cnt_t, n + 1) || GROW(ws, cost, dense + 1) ||
        GROW(ws, pcen, 2 * n + 2) || GROW(ws, start, nd + 2) || GROW(ws, ra, 4 * nd + 4) || GROW(ws, rb, 4 * n + 4) ||
        GROW(ws, md, nd + 1) || GROW(ws, mt, nd + 1) || GROW(ws, mcol, cap))
        return mt_fail(t, MT_ERR_NOMEM, "out of memory for %zu tracks and %zu detections", n, nd);
    return MT_OK;
}

static const mt_table *table(const mt_tracker *t) { return &IMPL(t)->tb; }

static void save(const mt_tracker *t, mt_writer *w) { mt_table_save(&IMPL(t)->tb, w); }

/* The table, then what OC-SORT's kernels rely on (ocsort.OCSORT._check_restored). */
static int load(mt_tracker *t, mt_reader *r) {
    mt_table *tb = &IMPL(t)->tb;
    if (mt_table_load(tb, r, "tracks")) return -1;
    for (int64_t i = 0; i < tb->n; i++) {
        int64_t oru = MT_I(tb, i, ORU), age = MT_I(tb, i, MT_AGE), hist = MT_I(tb, i, HIST_AGE);
        if (oru < ORU_NEW || oru > ORU_FROZEN) {
            mt_r_fail(r, "state: tracks column oru_state must be 0, 1 or 2; got %lld", (long long)oru);
            return -1;
        }
        if (age < 0 || age > ((int64_t)1 << 62)) {
            mt_r_fail(r, "state: tracks column age must be in [0, 2**62]");
            return -1;
        }
        if (oru == ORU_FROZEN && (age - hist < 1 || hist < 0)) {
            mt_r_fail(r, "state: tracks column history_age must be below age (and >= 0) for a lost track");
            return -1;
        }
        if (oru != ORU_NEW && !(MT_F(tb, i, HZ + 2) > 0 && MT_F(tb, i, HZ + 3) > 0)) {
            mt_r_fail(r, "state: tracks columns history_s and history_r must be > 0");
            return -1;
        }
    }
    return 0;
}

static const mt_param_info params[] = {
    {"det_thresh", MT_PARAM_FLOAT, 0.6, NULL, -1e300, 1e300, 0, NULL},
    {"max_age", MT_PARAM_FLOAT, 30.0, NULL, 0.0, HUGE_VAL, 0, NULL},
    {"min_hits", MT_PARAM_INT, 3.0, NULL, 0.0, 9.2233720368547758e18, 0, NULL},
    {"iou_threshold", MT_PARAM_FLOAT, 0.3, NULL, 0.0, 1.0, 0, NULL},
    {"delta_t", MT_PARAM_INT, 3.0, NULL, 0.0, 256.0, 0, NULL},
    {"asso_func", MT_PARAM_CHOICE, 0.0, "iou", 0.0, 4.0, 0, "iou|giou|ciou|diou|ct_dist"},
    {"inertia", MT_PARAM_FLOAT, 0.2, NULL, -1e6, 1e6, 0, NULL},
    {"use_byte", MT_PARAM_BOOL, 0.0, NULL, 0.0, 1.0, 0, NULL},
    MT_COMMON_PARAMS("detection", 1.0),
};

const mt_kind mt_kind_ocsort = {"ocsort", params, sizeof params / sizeof params[0], MT_KIND_WARP, init, destroy, reset,
                                prepare, step, table, save, load};
