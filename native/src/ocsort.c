/* OC-SORT (Cao et al., CVPR 2023) in C: the same operations in the same order as the numba
 * kernels of mottrack/trackers/ocsort.py (see there for the algorithm), so the outputs are
 * bit-identical.  Stages: split by score; predict (+ camera warp); OCM first association
 * (IoU + momentum); BYTE round; OCR round; ORU re-update; new tracks; report. */
#include "ocsort_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lsa.h"

#define PI 3.141592653589793

/* tracker-specific columns (as mottrack/trackers/ocsort.py) */
enum { ORU = T_N_INT_BASE, HIST_AGE, OC_NI };
enum { ORU_NEW, ORU_OBSERVED, ORU_FROZEN };
enum { LAST = T_N_FLOAT_BASE, VEL = LAST + 5, HZ = VEL + 2, FROZEN_TSU = HZ + 4, FROZEN = FROZEN_TSU + 1,
       RING = FROZEN + 17 };
#define OBS_WIDTH 6
#define LOW_SCORE 0.1
#define H_EPS 1e-6
#define FORBIDDEN -1e6

/* ---------------------------------------------------------------- scratch (grows, never shrinks) */
static int grow(void **p, size_t *cap, size_t need, size_t elsize) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    void *q = realloc(*p, c * elsize);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}
#define GROW(ws, name, need) grow((void **)&(ws)->name, &(ws)->name##_cap, (need), sizeof(*(ws)->name))

/* ---------------------------------------------------------------- OC-SORT's geometry */
static inline double pymax(double a, double b) { return b > a ? b : a; }
static inline double pymin(double a, double b) { return b < a ? b : a; }

static double iou1(double ax1, double ay1, double ax2, double ay2, double bx1, double by1, double bx2,
                   double by2) {
    double w = pymin(ax2, bx2) - pymax(ax1, bx1);
    if (w <= 0.0) return 0.0;
    double h = pymin(ay2, by2) - pymax(ay1, by1);
    if (h <= 0.0) return 0.0;
    double inter = w * h;
    double uni = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter;
    if (uni <= 0.0) return 0.0;
    return inter / uni;
}

static double similarity1(int kind, double ax1, double ay1, double ax2, double ay2, double bx1, double by1,
                          double bx2, double by2) {
    double w = pymax(0.0, pymin(ax2, bx2) - pymax(ax1, bx1));
    double h = pymax(0.0, pymin(ay2, by2) - pymax(ay1, by1));
    double wh = w * h;
    double uni = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - wh;
    double iou = wh / uni;
    if (kind == OC_SIM_IOU) return iou;
    double wc = pymax(ax2, bx2) - pymin(ax1, bx1);
    double hc = pymax(ay2, by2) - pymin(ay1, by1);
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
            dmax = pymax(dmax, out[i * m + j]);
        }
    double top = -INFINITY;
    for (size_t i = 0; i < n * m; i++) {
        out[i] = out[i] / dmax;
        top = pymax(top, out[i]);
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
            out[d * T + t] = pymin(pymax(c, -1.0), 1.0);
        }
    }
    for (size_t i = 0; i < D * T; i++) out[i] = (PI / 2.0 - arccos1(out[i])) / PI;
}

static void warp_point(const double *H, double x, double y, double *xo, double *yo, double *area) {
    double wz = H[6] * x + H[7] * y + H[8];
    double xn = H[0] * x + H[1] * y + H[2];
    double yn = H[3] * x + H[4] * y + H[5];
    double xp = xn / wz, yp = yn / wz;
    double j00 = (H[0] - xp * H[6]) / wz;
    double j01 = (H[1] - xp * H[7]) / wz;
    double j10 = (H[3] - yp * H[6]) / wz;
    double j11 = (H[4] - yp * H[7]) / wz;
    *xo = xp;
    *yo = yp;
    *area = fabs(j00 * j11 - j01 * j10);
}

static void warp_vector(const double *H, double x, double y, double dx, double dy, double *ox, double *oy) {
    double wz = H[6] * x + H[7] * y + H[8];
    double xp = (H[0] * x + H[1] * y + H[2]) / wz;
    double yp = (H[3] * x + H[4] * y + H[5]) / wz;
    *ox = ((H[0] - xp * H[6]) * dx + (H[1] - xp * H[7]) * dy) / wz;
    *oy = ((H[3] - yp * H[6]) * dx + (H[4] - yp * H[7]) * dy) / wz;
}

static void warp_box(const double *H, double *b) {
    double xp, yp, a;
    warp_point(H, b[0] + (b[2] - b[0]) / 2.0, b[1] + (b[3] - b[1]) / 2.0, &xp, &yp, &a);
    double k = sqrt(a);
    double hw = (b[2] - b[0]) * k / 2.0;
    double hh = (b[3] - b[1]) * k / 2.0;
    b[0] = xp - hw;
    b[1] = yp - hh;
    b[2] = xp + hw;
    b[3] = yp + hh;
}

/* ---------------------------------------------------------------- the (u, v, s, r) filter, OC-SORT's extras */
static void xysr_save(const table_t *tb, size_t row, double *store) {
    for (int k = 0; k < 7; k++) store[k] = M(tb, row, k);
    int c = 7;
    for (int k = 0; k < 3; k++) {
        store[c] = P(tb, row, k, k);
        store[c + 1] = P(tb, row, k, k + 4);
        store[c + 2] = P(tb, row, k + 4, k + 4);
        c += 3;
    }
    store[c] = P(tb, row, 3, 3);
}

static void xysr_load(table_t *tb, size_t row, const double *store) {
    for (int k = 0; k < 7; k++) M(tb, row, k) = store[k];
    for (int i = 0; i < 7; i++)
        for (int j = 0; j < 7; j++) P(tb, row, i, j) = 0.0;
    int c = 7;
    for (int k = 0; k < 3; k++) {
        P(tb, row, k, k) = store[c];
        P(tb, row, k, k + 4) = store[c + 1];
        P(tb, row, k + 4, k) = store[c + 1];
        P(tb, row, k + 4, k + 4) = store[c + 2];
        c += 3;
    }
    P(tb, row, 3, 3) = store[c];
}

static void xysr_reupdate_linear(table_t *tb, size_t row, const double z1[4], const double z2[4], int64_t steps,
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
        xysr_update_z(tb, row, z);
        if (i != steps - 1) xysr_predict_row(tb, row, dt);
    }
    memcpy(zo, z, sizeof z);
}

static void xysr_warp(table_t *tb, size_t row, const double *H) {
    double u = M(tb, row, 0), v = M(tb, row, 1);
    double du, dv, up, vp, a;
    warp_vector(H, u, v, M(tb, row, 4), M(tb, row, 5), &du, &dv);
    warp_point(H, u, v, &up, &vp, &a);
    M(tb, row, 0) = up;
    M(tb, row, 1) = vp;
    M(tb, row, 4) = du;
    M(tb, row, 5) = dv;
    M(tb, row, 2) *= a;
    M(tb, row, 6) *= a;
    for (int k = 0; k < 2; k++) {
        P(tb, row, k, k) *= a;
        P(tb, row, k, k + 4) *= a;
        P(tb, row, k + 4, k) *= a;
        P(tb, row, k + 4, k + 4) *= a;
    }
    double a2 = a * a;
    P(tb, row, 2, 2) *= a2;
    P(tb, row, 2, 6) *= a2;
    P(tb, row, 6, 2) *= a2;
    P(tb, row, 6, 6) *= a2;
}

/* ---------------------------------------------------------------- observations */
static int64_t observation_at(const table_t *tb, size_t row, int64_t length, int64_t age) {
    if (length == 0 || age < 0) return -1;
    int64_t c = RING + (age % length) * OBS_WIDTH;
    if (F(tb, row, c + 5) == (double)age) return c;
    return -1;
}

static void record_observation(table_t *tb, size_t row, int64_t length, int64_t age, const double *box,
                               double score) {
    if (length == 0) return;
    int64_t c = RING + (age % length) * OBS_WIDTH;
    for (int k = 0; k < 4; k++) F(tb, row, c + k) = box[k];
    F(tb, row, c + 4) = score;
    F(tb, row, c + 5) = (double)age;
}

static int64_t previous_obs(const table_t *tb, size_t t, int64_t age, int64_t delta_t) {
    for (int64_t i = 0; i < delta_t; i++) {
        int64_t c = observation_at(tb, t, delta_t, age - (delta_t - i));
        if (c >= 0) return c;
    }
    return LAST;
}

/* ---------------------------------------------------------------- per-track stages */
static void observe(oc_tracker *oc, size_t t, const double *box, double score, int64_t det, int64_t cls) {
    table_t *tb = &oc->tb;
    int64_t delta_t = oc->delta_t;
    int64_t age = I(tb, t, T_AGE);
    double last_sum = F(tb, t, LAST) + F(tb, t, LAST + 1) + F(tb, t, LAST + 2) + F(tb, t, LAST + 3) +
                      F(tb, t, LAST + 4);
    if (last_sum >= 0.0) {
        int64_t c = previous_obs(tb, t, age, delta_t);
        double vy, vx;
        speed_direction(F(tb, t, c), F(tb, t, c + 1), F(tb, t, c + 2), F(tb, t, c + 3), box[0], box[1], box[2],
                        box[3], &vy, &vx);
        F(tb, t, VEL) = vy;
        F(tb, t, VEL + 1) = vx;
    }
    for (int k = 0; k < 4; k++) F(tb, t, LAST + k) = box[k];
    F(tb, t, LAST + 4) = score;
    record_observation(tb, t, delta_t, age, box, score);
    double z[4], h[4];
    xysr_z(box[0], box[1], box[2], box[3], H_EPS, z);
    if (I(tb, t, ORU) == ORU_FROZEN) {
        int64_t steps = age - I(tb, t, HIST_AGE);
        double step_dt = 1.0;
        if (steps > 1) step_dt = (F(tb, t, T_TSU) - F(tb, t, FROZEN_TSU)) / (double)(steps - 1);
        xysr_load(tb, t, &F(tb, t, FROZEN));
        double z1[4] = {F(tb, t, HZ), F(tb, t, HZ + 1), F(tb, t, HZ + 2), F(tb, t, HZ + 3)};
        xysr_reupdate_linear(tb, t, z1, z, steps, step_dt, h);
    } else {
        memcpy(h, z, sizeof h);
    }
    for (int k = 0; k < 4; k++) F(tb, t, HZ + k) = h[k];
    I(tb, t, HIST_AGE) = age;
    I(tb, t, ORU) = ORU_OBSERVED;
    xysr_update_z(tb, t, z);
    mark_hit(tb, t, det, cls, score);
}

static void miss(table_t *tb, size_t t) {
    if (I(tb, t, ORU) == ORU_OBSERVED) {
        xysr_save(tb, t, &F(tb, t, FROZEN));
        F(tb, t, FROZEN_TSU) = F(tb, t, T_TSU);
        I(tb, t, ORU) = ORU_FROZEN;
    }
}

static void warp_track(oc_tracker *oc, size_t t, const double *H) {
    table_t *tb = &oc->tb;
    xysr_warp(tb, t, H);
    if (I(tb, t, ORU) == ORU_NEW) return;
    if (I(tb, t, ORU) == ORU_FROZEN) {
        /* the frozen state through the same warp, in the one-row scratch table */
        table_t *s = &oc->scratch_row;
        xysr_load(s, 0, &F(tb, t, FROZEN));
        xysr_warp(s, 0, H);
        xysr_save(s, 0, &F(tb, t, FROZEN));
    }
    double u, v, a;
    warp_point(H, F(tb, t, HZ), F(tb, t, HZ + 1), &u, &v, &a);
    F(tb, t, HZ) = u;
    F(tb, t, HZ + 1) = v;
    F(tb, t, HZ + 2) *= a;
    int c = LAST;
    double cx = F(tb, t, c) + (F(tb, t, c + 2) - F(tb, t, c)) / 2.0;
    double cy = F(tb, t, c + 1) + (F(tb, t, c + 3) - F(tb, t, c + 1)) / 2.0;
    double vy = F(tb, t, VEL), vx = F(tb, t, VEL + 1);
    double norm = sqrt(vx * vx + vy * vy);
    if (norm > 0.0) {
        double wx, wy;
        warp_vector(H, cx, cy, vx, vy, &wx, &wy);
        double k = norm / sqrt(wx * wx + wy * wy);
        F(tb, t, VEL) = wy * k;
        F(tb, t, VEL + 1) = wx * k;
    }
    warp_box(H, &F(tb, t, LAST));
    for (int64_t k = 0; k < oc->delta_t; k++) {
        int64_t cc = RING + k * OBS_WIDTH;
        if (F(tb, t, cc + 5) >= 0.0) warp_box(H, &F(tb, t, cc));
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

/* the edges with IoU > 0 of a (D x 4) against b (T x 4), by row then column, into ws */
static size_t overlap_edges(oc_work *ws, const double *a, size_t D, const double *b, size_t T) {
    size_t e = 0;
    for (size_t i = 0; i < D; i++)
        for (size_t j = 0; j < T; j++) {
            double v = iou1(a[4 * i], a[4 * i + 1], a[4 * i + 2], a[4 * i + 3], b[4 * j], b[4 * j + 1],
                            b[4 * j + 2], b[4 * j + 3]);
            if (v > 0.0) {
                ws->er[e] = (int64_t)i;
                ws->ec[e] = (int64_t)j;
                ws->ev[e] = v;
                e++;
            }
        }
    return e;
}

static int lsa(oc_work *ws, const double *cost, size_t nr, size_t nc, size_t *np) {
    if (GROW(ws, lsa_d, mt_lsa_workspace_doubles(nr, nc)) || GROW(ws, lsa_i, mt_lsa_workspace_ints(nr, nc)) ||
        GROW(ws, pr, nr < nc ? nr : nc) || GROW(ws, pc, nr < nc ? nr : nc))
        return -2;
    return mt_lsa(cost, nr, nc, ws->pr, ws->pc, np, ws->lsa_d, ws->lsa_i);
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
    size_t E = overlap_edges(ws, boxes, D, pred, T);
    int64_t *er = ws->er, *ec = ws->ec;
    double *ev = ws->ev;
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
    if (D * T > OC_DENSE_LIMIT) return -3; /* TODO: sparse OCM (max_weight_matching) */
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
    if (D * T > OC_DENSE_LIMIT) return -3; /* TODO: sparse rounds */
    double *a = ws->ra, *b = ws->rb, *sim = ws->cost;
    for (size_t i = 0; i < D; i++) memcpy(a + 4 * i, det_boxes + 4 * dets[i], 4 * sizeof(double));
    for (size_t j = 0; j < T; j++) memcpy(b + 4 * j, trk_boxes + 4 * trks[j], 4 * sizeof(double));
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

/* ---------------------------------------------------------------- scratch sizing */
static int reserve_work(oc_tracker *oc, size_t nd, size_t n) {
    oc_work *ws = &oc->ws;
    size_t dense = nd * n;
    if (dense > OC_DENSE_LIMIT) dense = OC_DENSE_LIMIT;
    if (GROW(ws, hi, nd) || GROW(ws, lo, nd) || GROW(ws, hb, 4 * nd) || GROW(ws, hs, nd) || GROW(ws, hc, nd) ||
        GROW(ws, pred, 4 * n) || GROW(ws, prev, 5 * n) || GROW(ws, vel, 2 * n) || GROW(ws, last, 4 * n) ||
        GROW(ws, keep, n + nd + 1) || GROW(ws, tcls, n + 1) || GROW(ws, track_for_det, nd) || GROW(ws, udets, nd) || GROW(ws, utrks, n) ||
        GROW(ws, assigned_d, nd) || GROW(ws, assigned_t, n) || GROW(ws, rej_d, nd) || GROW(ws, rej_t, nd) ||
        GROW(ws, cnt_d, nd) || GROW(ws, cnt_t, n) || GROW(ws, er, dense) || GROW(ws, ec, dense) ||
        GROW(ws, ev, dense) || GROW(ws, cost, dense) || GROW(ws, pcen, 2 * n) || GROW(ws, start, nd + 1) ||
        GROW(ws, ra, 4 * nd) || GROW(ws, rb, 4 * n) || GROW(ws, md, nd) || GROW(ws, mt, nd) ||
        GROW(ws, out, 8 * (n + nd)))
        return -2;
    return 0;
}

/* ---------------------------------------------------------------- one frame */
int oc_step(oc_tracker *oc, const double *boxes, const double *scores, const int64_t *classes, size_t nd, double dt,
            int64_t frame_count, const double *warp, size_t *n_out) {
    table_t *tb = &oc->tb;
    oc_work *ws = &oc->ws;
    size_t n = tb->n;
    int64_t next_id = tb->next_id;
    if (table_reserve(tb, nd) || reserve_work(oc, nd, n)) return -2;
    /* 1. high and low detections */
    size_t n_hi = 0, n_lo = 0;
    int64_t *hi = ws->hi, *lo = ws->lo;
    for (size_t d = 0; d < nd; d++) {
        if (scores[d] > oc->det_thresh) hi[n_hi++] = (int64_t)d;
        else if (oc->use_byte && LOW_SCORE < scores[d] && scores[d] < oc->det_thresh) lo[n_lo++] = (int64_t)d;
    }
    /* 2. predict, camera motion, drop invalid boxes */
    xysr_predict(tb, n, dt);
    mark_predicted(tb, n, dt);
    if (warp)
        for (size_t t = 0; t < n; t++) warp_track(oc, t, warp);
    double *pred = ws->pred;
    n = xysr_boxes_or_drop(tb, n, pred, ws->keep);
    /* 3. first association */
    double *prev = ws->prev, *vel = ws->vel, *last = ws->last;
    for (size_t t = 0; t < n; t++) {
        int64_t c = previous_obs(tb, t, I(tb, t, T_AGE), oc->delta_t);
        for (int k = 0; k < 5; k++) prev[5 * t + k] = F(tb, t, c + k);
        vel[2 * t] = F(tb, t, VEL);
        vel[2 * t + 1] = F(tb, t, VEL + 1);
        for (int k = 0; k < 4; k++) last[4 * t + k] = F(tb, t, LAST + k);
    }
    int64_t *tcls = ws->tcls;
    for (size_t t = 0; t < n; t++) tcls[t] = I(tb, t, T_CLASS);
    double *hb = ws->hb, *hs = ws->hs;
    int64_t *hc = ws->hc;
    for (size_t i = 0; i < n_hi; i++) {
        memcpy(hb + 4 * i, boxes + 4 * hi[i], 4 * sizeof(double));
        hs[i] = scores[hi[i]];
        hc[i] = classes[hi[i]];
    }
    size_t n_ud, n_ut;
    int64_t *tfd = ws->track_for_det, *udets = ws->udets, *utrks = ws->utrks;
    int rc = associate_ocm(oc, hb, hs, hc, n_hi, pred, tcls, prev, vel, n, tfd, udets, &n_ud, utrks, &n_ut);
    if (rc) return rc;
    for (size_t i = 0; i < n_hi; i++) {
        int64_t t = tfd[i];
        if (t >= 0) {
            int64_t d = hi[i];
            observe(oc, (size_t)t, boxes + 4 * d, scores[d], d, classes[d]);
        }
    }
    /* 4. BYTE: low detections against the predicted boxes of the tracks left */
    size_t nm;
    if (n_lo > 0 && n_ut > 0) {
        rc = associate_remaining(oc, boxes, classes, lo, n_lo, pred, tcls, utrks, n_ut, ws->md, ws->mt, &nm);
        if (rc < 0) return rc;
        for (size_t k = 0; k < nm; k++) {
            int64_t d = ws->md[k];
            observe(oc, (size_t)ws->mt[k], boxes + 4 * d, scores[d], d, classes[d]);
        }
        if (rc == 1) n_ut = remove_taken(utrks, n_ut, ws->mt, nm, n, ws->keep);
    }
    /* 5. OCR: high detections left against the last observations of the tracks left */
    if (n_ud > 0 && n_ut > 0) {
        rc = associate_remaining(oc, hb, hc, udets, n_ud, last, tcls, utrks, n_ut, ws->md, ws->mt, &nm);
        if (rc < 0) return rc;
        for (size_t k = 0; k < nm; k++) {
            int64_t d = hi[ws->md[k]];
            observe(oc, (size_t)ws->mt[k], boxes + 4 * d, scores[d], d, classes[d]);
        }
        if (rc == 1) {
            n_ud = remove_taken(udets, n_ud, ws->md, nm, n_hi, ws->keep);
            n_ut = remove_taken(utrks, n_ut, ws->mt, nm, n, ws->keep);
        }
    }
    /* 6. the tracks left freeze their filter state for ORU */
    for (size_t k = 0; k < n_ut; k++) miss(tb, (size_t)utrks[k]);
    /* 7. new tracks */
    for (size_t i = 0; i < n_ud; i++) {
        int64_t d = hi[udets[i]];
        const double *bx = boxes + 4 * d;
        double z[4];
        xysr_z(bx[0], bx[1], bx[2], bx[3], H_EPS, z);
        xysr_initiate_z(tb, n, z);
        start_track(tb, n, next_id, 0, TENTATIVE, classes[d], d, scores[d]);
        for (int k = 0; k < 5; k++) F(tb, n, LAST + k) = -1.0;
        for (int64_t k = 0; k < oc->delta_t; k++) F(tb, n, RING + k * OBS_WIDTH + 5) = -1.0;
        next_id++;
        n++;
    }
    /* 8. report and delete */
    size_t m = report_xysr_tracks(tb, &n, frame_count, oc->min_hits, oc->max_age, 1, ws->out, ws->keep);
    tb->n = n;
    tb->next_id = next_id;
    if (oc->output_detection)
        for (size_t r = 0; r < m; r++) {
            int64_t d = (int64_t)ws->out[8 * r + 7];
            memcpy(ws->out + 8 * r, boxes + 4 * d, 4 * sizeof(double));
        }
    *n_out = m;
    return 0;
}

int oc_init(oc_tracker *oc) {
    memset(&oc->tb, 0, sizeof oc->tb);
    memset(&oc->ws, 0, sizeof oc->ws);
    oc->tb.dim = 7;
    oc->tb.ni = OC_NI;
    oc->tb.nf = RING + OBS_WIDTH * (size_t)oc->delta_t;
    oc->tb.next_id = 1;
    memset(&oc->scratch_row, 0, sizeof oc->scratch_row);
    oc->scratch_row.dim = 7;
    oc->scratch_row.ni = 1;
    oc->scratch_row.nf = 1;
    if (table_reserve(&oc->tb, 32) || table_reserve(&oc->scratch_row, 1)) return -2;
    return 0;
}
