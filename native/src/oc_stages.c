/* oc_stages.c -- OC-SORT (Cao et al., CVPR 2023) and Hybrid-SORT (Yang et al., AAAI 2024) in C:
 * the stages of mottrack/trackers/_oc_stages.py with the same operations in the same order as
 * its numba kernels, so the outputs are bit-identical.  One frame: split by score; predict
 * (+ camera warp, + Hybrid-SORT's confidence filter); first round (similarity + momentum
 * - TCM); BYTE round; OCR round; ORU re-update; new tracks; report.  ocsort.c and
 * hybridsort.c only map their parameters to an mt_oc_config (oc_stages.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "oc_stages.h"

#define PI 3.141592653589793

/* Columns (as _oc_stages.py).  Ints after the shared ones: ORU state, age of the last
 * filter update.  Floats after the shared ones: LAST (5: the last observation x1, y1, x2,
 * y2, score), VEL (vw: direction(s) dy, dx -- OC-SORT's centre, vw 2, or Hybrid-SORT's four
 * corners, vw 8), then at offsets that depend on vw (mt_oc.hz ...): HZ (4: the last
 * measurement), FROZEN_TSU, FROZEN (17: the filter frozen for ORU), the observation ring
 * (delta_t slots of OBS_WIDTH), and Hybrid-SORT's confidence columns (CONF_*).  The
 * confidence filter (c, c') lives in float columns here (its 2x2 covariance row-major),
 * where the package keeps it in columns 7, 8 of a 9-dimensional Kalman state: the same
 * numbers, and SORT's (u, v, s, r) functions keep their 7 x 7 layout. */
enum { ORU = MT_N_INT_BASE, HIST_AGE, OC_NI };
enum { ORU_NEW, ORU_OBSERVED, ORU_FROZEN };
enum { LAST = MT_N_FLOAT_BASE, VEL = LAST + 5 };
enum { CENTRE_VW = 2, CORNER_VW = 8 };
/* Hybrid-SORT's columns after the ring: the previous score (0: none), the last (virtual)
 * confidence measurement, the confidence filter frozen for ORU, the live filter */
enum { CONF_PRE, HISTORY_C, FROZEN_C, CONF_MEAN = FROZEN_C + MT_CONF_SNAPSHOT, CONF_COV = CONF_MEAN + 2,
       N_CONF_COLUMNS = CONF_COV + 4 };
/* association problems with more pairs are solved on their overlapping pairs only */
#define OC_DENSE_LIMIT ((size_t)1 << 20)
#define OBS_WIDTH 6
#define LOW_SCORE 0.1
#define LOW_CONF 0.1
#define H_EPS 1e-6
#define FORBIDDEN -1e6

#define BUF(type, name) type *name; size_t name##_cap
typedef struct oc_work {  /* scratch, grown in prepare() only (but for the bounded sparse paths) */
    BUF(int64_t, hi); BUF(int64_t, lo); BUF(double, hb); BUF(double, hs); BUF(int64_t, hc);
    BUF(double, pred); BUF(double, prev); BUF(double, vel); BUF(double, last);
    BUF(double, kconf); BUF(double, sconf);
    BUF(unsigned char, keep); BUF(int64_t, tcls); BUF(int64_t, track_for_det);
    BUF(int64_t, udets); BUF(int64_t, utrks); BUF(unsigned char, assigned_d);
    BUF(unsigned char, assigned_t); BUF(int64_t, rej_d); BUF(int64_t, rej_t);
    BUF(int64_t, cnt_d); BUF(int64_t, cnt_t); BUF(double, cost); BUF(double, part); BUF(double, pcen);
    BUF(int64_t, start); BUF(double, ra); BUF(double, rb); BUF(int64_t, md); BUF(int64_t, mt);
    BUF(int64_t, pr); BUF(int64_t, pc); BUF(int64_t, mcol);
    BUF(int64_t, se_r); BUF(int64_t, se_c); BUF(double, se_v);
    mt_edges edges;
    mt_assign_ws aws;
} oc_work;
#define GROW(ws, name, need) MT_GROW((ws)->name, (ws)->name##_cap, (need))

typedef struct mt_oc {
    mt_oc_config c;
    int vw;                   /* direction columns: CENTRE_VW or CORNER_VW */
    int hz, fz_tsu, frozen, ring, xc;  /* column offsets (columns() and conf_columns()) */
    int per_class;
    mt_table tb;
    oc_work ws;
} mt_oc;
#define IMPL(t) ((mt_oc *)(t)->impl)
#define CM(tb, t, oc) (&MT_F(tb, t, (oc)->xc + CONF_MEAN))
#define CP(tb, t, oc) (&MT_F(tb, t, (oc)->xc + CONF_COV))

/* ---------------------------------------------------------------- similarities (geometry.py) */
/* geometry.height_overlap: Hybrid-SORT's height modulation */
static double height_overlap(double ay1, double ay2, double by1, double by2) {
    return (mt_min(ay2, by2) - mt_max(ay1, by1)) / (mt_max(ay2, by2) - mt_min(ay1, by1));
}

/* geometry._similarity: one pair by kind (NaN where the originals' is) */
static double similarity1(int kind, double ax1, double ay1, double ax2, double ay2, double bx1, double by1,
                          double bx2, double by2) {
    double w = mt_max(0.0, mt_min(ax2, bx2) - mt_max(ax1, bx1));
    double h = mt_max(0.0, mt_min(ay2, by2) - mt_max(ay1, by1));
    double wh = w * h;
    double uni = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - wh;
    double iou = wh / uni;
    if (kind == MT_SIM_IOU) return iou;
    if (kind == MT_SIM_HMIOU) return height_overlap(ay1, ay2, by1, by2) * iou;
    double wc = mt_max(ax2, bx2) - mt_min(ax1, bx1);
    double hc = mt_max(ay2, by2) - mt_min(ay1, by1);
    if (kind == MT_SIM_GIOU) {
        double enclose = wc * hc;
        return (iou - (enclose - uni) / enclose + 1.0) / 2.0;
    }
    double dcx = (ax1 + ax2) / 2.0 - (bx1 + bx2) / 2.0;
    double dcy = (ay1 + ay2) / 2.0 - (by1 + by2) / 2.0;
    double inner = dcx * dcx + dcy * dcy;
    double outer = wc * wc + hc * hc;
    if (kind == MT_SIM_DIOU) return (iou - inner / outer + 1.0) / 2.0;
    double arctan = atan((bx2 - bx1) / (by2 - by1 + 1.0)) - atan((ax2 - ax1) / (ay2 - ay1 + 1.0));
    double v = (4.0 / (PI * PI)) * (arctan * arctan);
    double alpha = v / (1.0 - iou + v);
    return (iou - inner / outer - alpha * v + 1.0) / 2.0;
}

/* geometry.similarity_matrix: a (n x 4) against b (m x 4) into out (n x m) */
static void similarity_matrix(int kind, const double *a, size_t n, const double *b, size_t m, double *out) {
    if (kind != MT_SIM_CT_DIST) {
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

/* _oc_stages.similarity_edges: candidate pairs of a (n x 4) and b (m x 4) with their
 * similarity into e, by row then column: the overlapping pairs for IoU and HMIoU, every
 * pair for the other kinds (e has room for n * m then: prepare reserved it) */
static int similarity_edges(mt_edges *e, int kind, const double *a, size_t n, const double *b, size_t m) {
    if (kind == MT_SIM_IOU || kind == MT_SIM_HMIOU) {
        if (mt_overlap_edges(e, a, n, b, m)) return -1;
        if (kind == MT_SIM_HMIOU)
            for (size_t k = 0; k < e->n; k++) {
                const double *p = a + 4 * e->r[k], *q = b + 4 * e->c[k];
                e->v[k] = height_overlap(p[1], p[3], q[1], q[3]) * e->v[k];
            }
        return 0;
    }
    if (mt_edges_reserve(e, n * m + 1)) return -1;
    similarity_matrix(kind, a, n, b, m, e->v);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++) {
            e->r[i * m + j] = (int64_t)i;
            e->c[i * m + j] = (int64_t)j;
        }
    e->n = n * m;
    return 0;
}

/* geometry.speed_direction: unit direction (dy, dx) from the centre of box a to b's */
static void speed_direction(const double *a, const double *b, double *vy, double *vx) {
    double dx = (b[0] + b[2]) / 2.0 - (a[0] + a[2]) / 2.0;
    double dy = (b[1] + b[3]) / 2.0 - (a[1] + a[3]) / 2.0;
    double norm = sqrt(dx * dx + dy * dy) + 1e-6;
    *vy = dy / norm;
    *vx = dx / norm;
}

/* geometry.CORNERS: corner k of a box as (x column, y column) */
static int corner_x(int k) { return k < 2 ? 0 : 2; }
static int corner_y(int k) { return k % 2 == 0 ? 1 : 3; }

/* geometry.corner_direction: unit direction (dy, dx) from corner k of box a to b's */
static void corner_direction(const double *a, const double *b, int k, double *vy, double *vx) {
    double dx = b[corner_x(k)] - a[corner_x(k)];
    double dy = b[corner_y(k)] - a[corner_y(k)];
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

/* The point of box b a direction is measured at: its centre (corner < 0) or a corner. */
static void box_point(const double *b, int corner, double *x, double *y) {
    if (corner < 0) {
        *x = (b[0] + b[2]) / 2.0;
        *y = (b[1] + b[3]) / 2.0;
    } else {
        *x = b[corner_x(corner)];
        *y = b[corner_y(corner)];
    }
}

/* geometry.direction_consistency_into (corner < 0) / corner_consistency_into: (pi/2 - angle)
 * / pi of det d (D x 4) and track t into out (D x T), angle between the track's direction
 * (vel[t * vw + 2 * j]: dy, dx; j the corner or 0) and the unit direction from the point of
 * its observation prev[t] (T x 5) to the detection's; pc: 2 T scratch */
static void consistency_into(double *out, const double *det, size_t D, const double *prev, const double *vel, int vw,
                             size_t T, int corner, double *pc) {
    size_t j = corner < 0 ? 0 : (size_t)corner;
    for (size_t t = 0; t < T; t++) box_point(prev + 5 * t, corner, &pc[2 * t], &pc[2 * t + 1]);
    for (size_t d = 0; d < D; d++) {
        double cx, cy;
        box_point(det + 4 * d, corner, &cx, &cy);
        for (size_t t = 0; t < T; t++) {
            double dx = cx - pc[2 * t];
            double dy = cy - pc[2 * t + 1];
            double norm = sqrt(dx * dx + dy * dy) + 1e-6;
            const double *v = vel + (size_t)vw * t + 2 * j;
            double c = v[1] * (dx / norm) + v[0] * (dy / norm);
            out[d * T + t] = mt_min(mt_max(c, -1.0), 1.0);
        }
    }
    for (size_t i = 0; i < D * T; i++) out[i] = (PI / 2.0 - arccos1(out[i])) / PI;
}

/* _oc_stages.momentum_into: ((valid * consistency) * inertia) * score into out (D x T), for
 * the centre direction (vw 2) or summed over the four corners (vw 8; part: D x T scratch);
 * valid is 0 for a track without observation */
static void momentum_into(double *out, double *part, const double *boxes, const double *scores, size_t D,
                          const double *prev, const double *vel, int vw, size_t T, double inertia, double *pc) {
    int n_dir = vw / 2;
    double *p = n_dir == 1 ? out : part;
    for (int j = 0; j < n_dir; j++) {
        consistency_into(p, boxes, D, prev, vel, vw, T, n_dir == 1 ? -1 : j, pc);
        for (size_t d = 0; d < D; d++) {
            double sd = scores[d];
            for (size_t t = 0; t < T; t++) {
                double valid = prev[5 * t + 4] >= 0.0 ? 1.0 : 0.0;
                double term = ((valid * p[d * T + t]) * inertia) * sd;
                out[d * T + t] = j == 0 ? term : out[d * T + t] + term;
            }
        }
    }
}

/* geometry.warp_box */
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

/* ---------------------------------------------------------------- observations (tracks.py) */
/* tracks.observation_at: column of the observation row got at `age` in the ring at `ring`, or -1 */
static int64_t observation_at(const mt_table *tb, size_t row, int64_t ring, int64_t length, int64_t age) {
    if (length == 0 || age < 0) return -1;
    int64_t c = ring + (age % length) * OBS_WIDTH;
    if (MT_F(tb, row, c + 5) == (double)age) return c;
    return -1;
}

static void record_observation(mt_table *tb, size_t row, int64_t ring, int64_t length, int64_t age, const double *box,
                               double score) {
    if (length == 0) return;
    int64_t c = ring + (age % length) * OBS_WIDTH;
    for (int k = 0; k < 4; k++) MT_F(tb, row, c + k) = box[k];
    MT_F(tb, row, c + 4) = score;
    MT_F(tb, row, c + 5) = (double)age;
}

/* _oc_stages.previous_obs: the observation delta_t frames back (or the nearest later one
 * in that window), else the last observation */
static int64_t previous_obs(const mt_oc *oc, size_t t, int64_t age) {
    int64_t delta_t = oc->c.delta_t;
    for (int64_t i = 0; i < delta_t; i++) {
        int64_t c = observation_at(&oc->tb, t, oc->ring, delta_t, age - (delta_t - i));
        if (c >= 0) return c;
    }
    return LAST;
}

static int has_observation(const mt_table *tb, size_t t) {
    return (MT_F(tb, t, LAST) + MT_F(tb, t, LAST + 1) + MT_F(tb, t, LAST + 2) + MT_F(tb, t, LAST + 3) +
            MT_F(tb, t, LAST + 4)) >= 0.0;
}

/* ---------------------------------------------------------------- per-track stages */
/* _oc_stages.centre_direction (OC-SORT): from the observation delta_t back to the box */
static void centre_direction(mt_oc *oc, size_t t, const double *box) {
    mt_table *tb = &oc->tb;
    if (!has_observation(tb, t)) return;
    int64_t c = previous_obs(oc, t, MT_I(tb, t, MT_AGE));
    speed_direction(&MT_F(tb, t, c), box, &MT_F(tb, t, VEL), &MT_F(tb, t, VEL + 1));
}

/* _oc_stages.corner_directions (Hybrid-SORT): per corner, the sum of the unit directions
 * from the observations 1..delta_t frames back that exist, else from the last observation */
static void corner_directions(mt_oc *oc, size_t t, const double *box) {
    mt_table *tb = &oc->tb;
    if (!has_observation(tb, t)) return;
    int64_t age = MT_I(tb, t, MT_AGE);
    int found = 0;
    for (int64_t i = 0; i < oc->c.delta_t; i++) {
        int64_t c = observation_at(tb, t, oc->ring, oc->c.delta_t, age - i - 1);
        if (c < 0) continue;
        for (int k = 0; k < 4; k++) {
            double dy, dx;
            corner_direction(&MT_F(tb, t, c), box, k, &dy, &dx);
            if (found) {
                MT_F(tb, t, VEL + 2 * k) += dy;
                MT_F(tb, t, VEL + 2 * k + 1) += dx;
            } else {
                MT_F(tb, t, VEL + 2 * k) = dy;
                MT_F(tb, t, VEL + 2 * k + 1) = dx;
            }
        }
        found = 1;
    }
    if (!found)
        for (int k = 0; k < 4; k++)
            corner_direction(&MT_F(tb, t, LAST), box, k, &MT_F(tb, t, VEL + 2 * k), &MT_F(tb, t, VEL + 2 * k + 1));
}

/* _oc_stages.oru_gap: frames since a lost track's last filter update and their mean time
 * step (0, 1.0 when not lost) */
static int64_t oru_gap(const mt_oc *oc, size_t t, double *step_dt) {
    const mt_table *tb = &oc->tb;
    *step_dt = 1.0;
    if (MT_I(tb, t, ORU) != ORU_FROZEN) return 0;
    int64_t steps = MT_I(tb, t, MT_AGE) - MT_I(tb, t, HIST_AGE);
    if (steps > 1) *step_dt = (MT_F(tb, t, MT_TSU) - MT_F(tb, t, oc->fz_tsu)) / (double)(steps - 1);
    return steps;
}

/* _oc_stages.observe_confidence (Hybrid-SORT, before observe_box): the confidence filter
 * re-runs along interpolated scores when lost (ORU), then takes the update */
static void observe_confidence(mt_oc *oc, size_t t, double score) {
    mt_table *tb = &oc->tb;
    double step_dt;
    int64_t steps = oru_gap(oc, t, &step_dt);
    double hc = score;
    if (steps > 0) {
        mt_conf_load(CM(tb, t, oc), CP(tb, t, oc), &MT_F(tb, t, oc->xc + FROZEN_C));
        hc = mt_conf_reupdate_linear(CM(tb, t, oc), CP(tb, t, oc), MT_F(tb, t, oc->xc + HISTORY_C), score, steps,
                                     step_dt);
    }
    MT_F(tb, t, oc->xc + HISTORY_C) = hc;
    mt_conf_update(CM(tb, t, oc), CP(tb, t, oc), score);
    MT_F(tb, t, oc->xc + CONF_PRE) = MT_F(tb, t, MT_SCORE);
}

/* _oc_stages.observe_box: record the observation; a lost track first re-runs its filter
 * from the frozen state along the virtual trajectory (ORU); then the update */
static void observe_box(mt_oc *oc, size_t t, const double *box, double score, int64_t det, int64_t cls) {
    mt_table *tb = &oc->tb;
    int64_t age = MT_I(tb, t, MT_AGE);
    for (int k = 0; k < 4; k++) MT_F(tb, t, LAST + k) = box[k];
    MT_F(tb, t, LAST + 4) = score;
    record_observation(tb, t, oc->ring, oc->c.delta_t, age, box, score);
    double z[4], h[4];
    mt_xysr_z(box[0], box[1], box[2], box[3], H_EPS, z);
    double step_dt;
    int64_t steps = oru_gap(oc, t, &step_dt);
    if (steps > 0) {
        mt_xysr_load(MT_MEAN(tb, t), MT_COV(tb, t), &MT_F(tb, t, oc->frozen));
        double z1[4] = {MT_F(tb, t, oc->hz), MT_F(tb, t, oc->hz + 1), MT_F(tb, t, oc->hz + 2), MT_F(tb, t, oc->hz + 3)};
        mt_xysr_reupdate_linear(MT_MEAN(tb, t), MT_COV(tb, t), z1, z, steps, step_dt, h);
    } else {
        memcpy(h, z, sizeof h);
    }
    for (int k = 0; k < 4; k++) MT_F(tb, t, oc->hz + k) = h[k];
    MT_I(tb, t, HIST_AGE) = age;
    MT_I(tb, t, ORU) = ORU_OBSERVED;
    mt_xysr_update_z(MT_MEAN(tb, t), MT_COV(tb, t), z);
    mt_mark_hit(tb, (int64_t)t, det, cls, score);
}

/* _oc_stages._observe: track t takes detection d */
static void observe(mt_oc *oc, size_t t, const mt_input *in, int64_t d) {
    const double *box = in->boxes + 4 * d;
    if (oc->c.hybrid) {
        corner_directions(oc, t, box);
        observe_confidence(oc, t, in->scores[d]);
    } else {
        centre_direction(oc, t, box);
    }
    observe_box(oc, t, box, in->scores[d], d, in->classes[d]);
}

/* _oc_stages.miss_confidence + freeze_lost: a track left this frame freezes its filters
 * for ORU (first miss only) and forgets its previous score */
static void miss(mt_oc *oc, size_t t) {
    mt_table *tb = &oc->tb;
    if (oc->c.hybrid) {
        if (MT_I(tb, t, ORU) == ORU_OBSERVED) mt_conf_save(CM(tb, t, oc), CP(tb, t, oc), &MT_F(tb, t, oc->xc + FROZEN_C));
        MT_F(tb, t, oc->xc + CONF_PRE) = 0.0;
    }
    if (MT_I(tb, t, ORU) == ORU_OBSERVED) {
        mt_xysr_save(MT_MEAN(tb, t), MT_COV(tb, t), &MT_F(tb, t, oc->frozen));
        MT_F(tb, t, oc->fz_tsu) = MT_F(tb, t, MT_TSU);
        MT_I(tb, t, ORU) = ORU_FROZEN;
    }
}

/* _oc_stages.warp_track: everything track t stores in image coordinates to this frame's
 * pixels; its directions turn by the warp's Jacobian at the last observation's centre
 * (vw 2) or at each of its corners (vw 8), norm kept */
static void warp_track(mt_oc *oc, size_t t, const double *H) {
    mt_table *tb = &oc->tb;
    mt_xysr_warp(MT_MEAN(tb, t), MT_COV(tb, t), H);
    if (MT_I(tb, t, ORU) == ORU_NEW) return;
    if (MT_I(tb, t, ORU) == ORU_FROZEN) { /* the frozen filter state through the same warp */
        double mean[7], P[49];
        mt_xysr_load(mean, P, &MT_F(tb, t, oc->frozen));
        mt_xysr_warp(mean, P, H);
        mt_xysr_save(mean, P, &MT_F(tb, t, oc->frozen));
    }
    double u, v, a;
    mt_warp_point(H, MT_F(tb, t, oc->hz), MT_F(tb, t, oc->hz + 1), &u, &v, &a);
    MT_F(tb, t, oc->hz) = u;
    MT_F(tb, t, oc->hz + 1) = v;
    MT_F(tb, t, oc->hz + 2) *= a;
    for (int j = 0; j < oc->vw / 2; j++) {
        int c = VEL + 2 * j;
        double px, py;
        if (oc->vw == CENTRE_VW) {
            px = MT_F(tb, t, LAST) + (MT_F(tb, t, LAST + 2) - MT_F(tb, t, LAST)) / 2.0;
            py = MT_F(tb, t, LAST + 1) + (MT_F(tb, t, LAST + 3) - MT_F(tb, t, LAST + 1)) / 2.0;
        } else {
            px = MT_F(tb, t, LAST + corner_x(j));
            py = MT_F(tb, t, LAST + corner_y(j));
        }
        double vy = MT_F(tb, t, c), vx = MT_F(tb, t, c + 1);
        double norm = sqrt(vx * vx + vy * vy);
        if (norm > 0.0) {
            double wx, wy;
            mt_warp_vector(H, px, py, vx, vy, &wx, &wy);
            double k = norm / sqrt(wx * wx + wy * wy);
            MT_F(tb, t, c) = wy * k;
            MT_F(tb, t, c + 1) = wx * k;
        }
    }
    warp_box(H, &MT_F(tb, t, LAST));
    for (int64_t k = 0; k < oc->c.delta_t; k++) {
        int64_t cc = oc->ring + k * OBS_WIDTH;
        if (MT_F(tb, t, cc + 5) >= 0.0) warp_box(H, &MT_F(tb, t, cc));
    }
}

/* ---------------------------------------------------------------- association rounds */
/* _oc_stages.unmatched_order: unassigned ascending, then rejected in pair order */
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

/* The view of the tracks the first round reads (track_views) and TCM's estimates. */
typedef struct oc_views {
    const double *pred, *prev, *vel, *kconf, *sconf;  /* T x 4, T x 5, T x vw, T, T */
    const int64_t *tcls;
    size_t T;
} oc_views;

/* _oc_stages._momentum_sparse: the problems above OC_DENSE_LIMIT pairs, on their pairs with
 * similarity at or above the threshold (bounded memory and time). */
static int momentum_sparse(mt_oc *oc, const double *boxes, const double *scores, const int64_t *classes, size_t D,
                           const oc_views *v, size_t E, int64_t *track_for_det) {
    oc_work *ws = &oc->ws;
    const int64_t *er = ws->edges.r, *ec = ws->edges.c;
    const double *ev = ws->edges.v;
    if (GROW(ws, se_r, E + 1) || GROW(ws, se_c, E + 1) || GROW(ws, se_v, E + 1) || GROW(ws, mcol, D + 1)) return -1;
    size_t m = 0;
    double conf_w = oc->c.tcm_first;
    for (size_t e = 0; e < E; e++) {
        if (!(ev[e] >= oc->c.iou_threshold) || (oc->per_class && classes[er[e]] != v->tcls[ec[e]])) continue;
        int64_t d = er[e], t = ec[e];
        double bonus = 0.0, part = 0.0, pc[2];
        momentum_into(&bonus, &part, boxes + 4 * d, scores + d, 1, v->prev + 5 * t, v->vel + (size_t)oc->vw * t, oc->vw,
                      1, oc->c.inertia, pc);
        if (conf_w != 0.0) bonus = bonus - fabs(v->kconf[t] - scores[d]) * conf_w;
        double w = ev[e] + bonus;
        if (w > 0.0) {
            ws->se_r[m] = d;
            ws->se_c[m] = t;
            ws->se_v[m] = w;
            m++;
        }
    }
    if (mt_max_weight_matching(&ws->aws, (int64_t)D, (int64_t)v->T, ws->se_r, ws->se_c, ws->se_v, m, ws->mcol))
        return -1;
    for (size_t d = 0; d < D; d++)
        if (ws->mcol[d] >= 0) {
            track_for_det[d] = ws->mcol[d];
            ws->assigned_d[d] = 1;
            ws->assigned_t[ws->mcol[d]] = 1;
        }
    return 0;
}

/* _oc_stages.associate_momentum: the first round; fills track_for_det (D), udets / utrks
 * (+ counts) in the originals' order. */
static int associate_momentum(mt_oc *oc, const double *boxes, const double *scores, const int64_t *classes, size_t D,
                              const oc_views *v, int64_t *track_for_det, int64_t *udets, size_t *n_ud,
                              int64_t *utrks, size_t *n_ut) {
    oc_work *ws = &oc->ws;
    size_t T = v->T;
    const int64_t *trk_classes = v->tcls;
    double thr = oc->c.iou_threshold, conf_w = oc->c.tcm_first;
    int per_class = oc->per_class;
    unsigned char *ad = ws->assigned_d, *at = ws->assigned_t;
    for (size_t d = 0; d < D; d++) { track_for_det[d] = -1; ad[d] = 0; }
    for (size_t t = 0; t < T; t++) at[t] = 0;
    size_t n_rej = 0;
    if (D == 0 || T == 0) goto done;
    if (similarity_edges(&ws->edges, oc->c.first_kind, boxes, D, v->pred, T)) return -2;
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
        if (momentum_sparse(oc, boxes, scores, classes, D, v, E, track_for_det)) return -2;
        goto done;
    }
    /* dense: minimise -(similarity + (momentum - TCM)), summed as the originals do */
    double *cost = ws->cost;
    momentum_into(cost, ws->part, boxes, scores, D, v->prev, v->vel, oc->vw, T, oc->c.inertia, ws->pcen);
    if (conf_w != 0.0)
        for (size_t d = 0; d < D; d++)
            for (size_t t = 0; t < T; t++) cost[d * T + t] = cost[d * T + t] - fabs(v->kconf[t] - scores[d]) * conf_w;
    for (size_t i = 0; i < D * T; i++) cost[i] = -cost[i];
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

/* One later round's inputs: detections dets (rows of det_boxes; det_scores by the same
 * index) against tracks trks (rows of trk_boxes), TCM weight conf_w with trk_conf. */
typedef struct oc_round {
    const double *det_boxes, *det_scores;
    const int64_t *det_classes, *dets;
    size_t D;
    const double *trk_boxes, *trk_conf;
    const int64_t *trk_classes, *trks;
    size_t T;
    double conf_w;
} oc_round;

/* _oc_stages._remaining_sparse: the rounds above OC_DENSE_LIMIT pairs, on overlapping pairs */
static int remaining_sparse(mt_oc *oc, const oc_round *q, const double *a, const double *b, int64_t *md, int64_t *mt,
                            size_t *n_m) {
    oc_work *ws = &oc->ws;
    if (mt_overlap_edges(&ws->edges, a, q->D, b, q->T)) return -1;
    size_t E = ws->edges.n;
    if (GROW(ws, se_r, E + 1) || GROW(ws, se_c, E + 1) || GROW(ws, se_v, E + 1) || GROW(ws, mcol, q->D + 1)) return -1;
    size_t m = 0;
    for (size_t e = 0; e < E; e++) {
        int64_t r = ws->edges.r[e], c = ws->edges.c[e];
        double v = ws->edges.v[e];
        if (oc->c.kind != MT_SIM_IOU) similarity_matrix(oc->c.kind, a + 4 * r, 1, b + 4 * c, 1, &v);
        if (q->conf_w != 0.0) v = v - fabs(q->trk_conf[q->trks[c]] - q->det_scores[q->dets[r]]) * q->conf_w;
        if (v >= oc->c.iou_threshold && v > 0.0
            && !(oc->per_class && q->det_classes[q->dets[r]] != q->trk_classes[q->trks[c]])) {
            ws->se_r[m] = r;
            ws->se_c[m] = c;
            ws->se_v[m] = v;
            m++;
        }
    }
    if (m == 0) return 0;
    if (mt_max_weight_matching(&ws->aws, (int64_t)q->D, (int64_t)q->T, ws->se_r, ws->se_c, ws->se_v, m, ws->mcol))
        return -1;
    size_t k = 0;
    for (size_t r = 0; r < q->D; r++)
        if (ws->mcol[r] >= 0) {
            md[k] = q->dets[r];
            mt[k] = q->trks[ws->mcol[r]];
            k++;
        }
    *n_m = k;
    return 1;
}

/* _oc_stages.associate_remaining: the BYTE / OCR rounds; accepted pairs into md / mt
 * (*n_m) in detection order; returns 1 when solved, 0 when skipped, < 0 on error */
static int associate_remaining(mt_oc *oc, const oc_round *q, int64_t *md, int64_t *mt, size_t *n_m) {
    oc_work *ws = &oc->ws;
    double thr = oc->c.iou_threshold;
    size_t D = q->D, T = q->T;
    *n_m = 0;
    double *a = ws->ra, *b = ws->rb, *sim = ws->cost;
    for (size_t i = 0; i < D; i++) memcpy(a + 4 * i, q->det_boxes + 4 * q->dets[i], 4 * sizeof(double));
    for (size_t j = 0; j < T; j++) memcpy(b + 4 * j, q->trk_boxes + 4 * q->trks[j], 4 * sizeof(double));
    if (D * T > OC_DENSE_LIMIT) return remaining_sparse(oc, q, a, b, md, mt, n_m);
    similarity_matrix(oc->c.kind, a, D, b, T, sim);
    double top = -INFINITY;
    int nan = 0;
    for (size_t i = 0; i < D; i++)
        for (size_t j = 0; j < T; j++) {
            if (oc->per_class && q->det_classes[q->dets[i]] != q->trk_classes[q->trks[j]]) sim[i * T + j] = FORBIDDEN;
            double v = sim[i * T + j];
            if (isnan(v)) nan = 1;
            else if (v > top) top = v;
        }
    if (nan || !(top > thr)) return 0;
    if (q->conf_w != 0.0)
        for (size_t i = 0; i < D; i++)
            for (size_t j = 0; j < T; j++)
                sim[i * T + j] = sim[i * T + j] - fabs(q->trk_conf[q->trks[j]] - q->det_scores[q->dets[i]]) * q->conf_w;
    for (size_t i = 0; i < D * T; i++) sim[i] = -sim[i];
    size_t np;
    int rc = lsa(ws, sim, D, T, &np);
    if (rc) return rc;
    size_t k = 0;
    for (size_t p = 0; p < np; p++) {
        int64_t r = ws->pr[p], c = ws->pc[p];
        if (-sim[(size_t)r * T + (size_t)c] >= thr) {
            md[k] = q->dets[r];
            mt[k] = q->trks[c];
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

/* ---------------------------------------------------------------- one frame (oc_frame) */
int64_t mt_oc_step(mt_tracker *t, const mt_input *in, double dt, const double *warp) {
    mt_oc *oc = IMPL(t);
    mt_table *tb = &oc->tb;
    oc_work *ws = &oc->ws;
    const double *boxes = in->boxes, *scores = in->scores;
    const int64_t *classes = in->classes;
    size_t nd = in->n;
    int64_t n = tb->n, next_id = tb->next_id;
    int hybrid = oc->c.hybrid;
    /* 1. high and low detections */
    size_t n_hi = 0, n_lo = 0;
    int64_t *hi = ws->hi, *lo = ws->lo;
    for (size_t d = 0; d < nd; d++) {
        if (scores[d] > oc->c.det_thresh) hi[n_hi++] = (int64_t)d;
        else if (oc->c.use_byte && LOW_SCORE < scores[d] && scores[d] < oc->c.det_thresh) lo[n_lo++] = (int64_t)d;
    }
    /* 2. predict, camera motion (+ the confidence filter), drop invalid boxes */
    mt_xysr_predict(tb, n, dt);
    mt_mark_predicted(tb, n, dt);
    if (warp)
        for (int64_t r = 0; r < n; r++) warp_track(oc, (size_t)r, warp);
    if (hybrid)
        for (int64_t r = 0; r < n; r++) mt_conf_predict_row(CM(tb, r, oc), CP(tb, r, oc), dt);
    double *pred = ws->pred;
    n = mt_xysr_boxes_or_drop(tb, n, pred, ws->keep);
    tb->n = n;
    size_t nt = (size_t)n;
    /* 3. first round: high detections, similarity + momentum (- TCM) */
    double *prev = ws->prev, *vel = ws->vel, *last = ws->last;
    int64_t *tcls = ws->tcls;
    int vw = oc->vw;
    for (size_t r = 0; r < nt; r++) {
        int64_t c = previous_obs(oc, r, MT_I(tb, r, MT_AGE));
        for (int k = 0; k < 5; k++) prev[5 * r + k] = MT_F(tb, r, c + k);
        for (int k = 0; k < vw; k++) vel[(size_t)vw * r + (size_t)k] = MT_F(tb, r, VEL + k);
        for (int k = 0; k < 4; k++) last[4 * r + k] = MT_F(tb, r, LAST + k);
        tcls[r] = MT_I(tb, r, MT_CLASS);
    }
    if (hybrid) /* TCM's estimates (confidence_estimates) */
        for (size_t r = 0; r < nt; r++) {
            ws->kconf[r] = mt_min(mt_max(CM(tb, r, oc)[0], oc->c.det_thresh), 1.0);
            double c = MT_F(tb, r, MT_SCORE);
            double pre = MT_F(tb, r, oc->xc + CONF_PRE);
            double s = pre == 0.0 ? c : c - (pre - c);
            ws->sconf[r] = mt_min(mt_max(s, LOW_CONF), oc->c.det_thresh);
        }
    double *hb = ws->hb, *hs = ws->hs;
    int64_t *hc = ws->hc;
    for (size_t i = 0; i < n_hi; i++) {
        memcpy(hb + 4 * i, boxes + 4 * hi[i], 4 * sizeof(double));
        hs[i] = scores[hi[i]];
        hc[i] = classes[hi[i]];
    }
    oc_views views = {pred, prev, vel, ws->kconf, ws->sconf, tcls, nt};
    size_t n_ud, n_ut;
    int64_t *tfd = ws->track_for_det, *udets = ws->udets, *utrks = ws->utrks;
    if (associate_momentum(oc, hb, hs, hc, n_hi, &views, tfd, udets, &n_ud, utrks, &n_ut)) return -1;
    for (size_t i = 0; i < n_hi; i++)
        if (tfd[i] >= 0) observe(oc, (size_t)tfd[i], in, hi[i]);
    /* 4. BYTE: low detections against the predicted boxes of the tracks left (- TCM) */
    size_t nm;
    int rc;
    if (n_lo > 0 && n_ut > 0) {
        oc_round q = {boxes, scores, classes, lo, n_lo, pred, ws->sconf, tcls, utrks, n_ut, oc->c.tcm_byte};
        rc = associate_remaining(oc, &q, ws->md, ws->mt, &nm);
        if (rc < 0) return -1;
        for (size_t k = 0; k < nm; k++) observe(oc, (size_t)ws->mt[k], in, ws->md[k]);
        if (rc == 1) n_ut = remove_taken(utrks, n_ut, ws->mt, nm, nt, ws->keep);
    }
    /* 5. OCR: high detections left against the last observations of the tracks left */
    if (n_ud > 0 && n_ut > 0) {
        oc_round q = {hb, hs, hc, udets, n_ud, last, ws->sconf, tcls, utrks, n_ut, 0.0};
        rc = associate_remaining(oc, &q, ws->md, ws->mt, &nm);
        if (rc < 0) return -1;
        for (size_t k = 0; k < nm; k++) observe(oc, (size_t)ws->mt[k], in, hi[ws->md[k]]);
        if (rc == 1) {
            n_ud = remove_taken(udets, n_ud, ws->md, nm, n_hi, ws->keep);
            n_ut = remove_taken(utrks, n_ut, ws->mt, nm, nt, ws->keep);
        }
    }
    /* 6. the tracks left freeze their filter state for ORU */
    for (size_t k = 0; k < n_ut; k++) miss(oc, (size_t)utrks[k]);
    /* 7. new tracks (birth) */
    for (size_t i = 0; i < n_ud; i++) {
        int64_t d = hi[udets[i]];
        const double *bx = boxes + 4 * d;
        double z[4];
        mt_xysr_z(bx[0], bx[1], bx[2], bx[3], H_EPS, z);
        mt_xysr_initiate_z(MT_MEAN(tb, n), MT_COV(tb, n), z);
        mt_start_track(tb, n, next_id, 0, MT_TENTATIVE, classes[d], d, scores[d]);
        for (int k = 0; k < 5; k++) MT_F(tb, n, LAST + k) = -1.0;
        for (int64_t k = 0; k < oc->c.delta_t; k++) MT_F(tb, n, oc->ring + k * OBS_WIDTH + 5) = -1.0;
        if (hybrid) mt_conf_initiate(CM(tb, n, oc), CP(tb, n, oc), scores[d]);
        next_id++;
        n++;
    }
    /* 8. report and delete */
    int64_t m = mt_report_xysr_tracks(tb, &n, t->frame_count, oc->c.min_hits, oc->c.max_age, 1, t->out, ws->keep);
    tb->n = n;
    tb->next_id = next_id;
    return m;
}

/* ---------------------------------------------------------------- the mt_kind entries */
mt_oc_config mt_oc_config_of(const mt_tracker *t) {
    const double *p = t->p;
    mt_oc_config c = {0, p[MT_OC_DET_THRESH], p[MT_OC_MAX_AGE], p[MT_OC_MIN_HITS], p[MT_OC_IOU], p[MT_OC_INERTIA],
                      (int64_t)p[MT_OC_DELTA_T], MT_SIM_IOU, (int)p[MT_OC_ASSO], p[MT_OC_USE_BYTE] != 0.0, 0.0, 0.0};
    return c;
}

int mt_oc_init(mt_tracker *t, const mt_oc_config *c) {
    mt_oc *oc = calloc(1, sizeof *oc);
    if (!oc) return mt_fail(t, MT_ERR_NOMEM, "out of memory");
    t->impl = oc;
    oc->c = *c;
    if (c->first_kind < 0 || c->first_kind >= MT_N_SIM || c->kind < 0 || c->kind >= MT_N_SIM || c->delta_t < 0
        || c->delta_t > 256)
        return mt_fail(t, MT_ERR_ARG, "asso_func or delta_t out of range");
    oc->per_class = t->per_class;
    oc->vw = c->hybrid ? CORNER_VW : CENTRE_VW;
    oc->hz = VEL + oc->vw;
    oc->fz_tsu = oc->hz + 4;
    oc->frozen = oc->hz + 5;
    oc->ring = oc->frozen + MT_XYSR_SNAPSHOT;
    oc->xc = oc->ring + OBS_WIDTH * (int)c->delta_t;
    int nf = oc->xc + (c->hybrid ? N_CONF_COLUMNS : 0);
    if (mt_table_init(&oc->tb, 7, OC_NI, nf, 32)) return mt_fail(t, MT_ERR_NOMEM, "out of memory");
    return MT_OK;
}

void mt_oc_destroy(mt_tracker *t) {
    mt_oc *oc = IMPL(t);
    oc_work *ws = &oc->ws;
    mt_table_free(&oc->tb);
    mt_edges_free(&ws->edges);
    mt_assign_ws_free(&ws->aws);
    void *bufs[] = {ws->hi, ws->lo, ws->hb, ws->hs, ws->hc, ws->pred, ws->prev, ws->vel, ws->last, ws->kconf,
                    ws->sconf, ws->keep, ws->tcls, ws->track_for_det, ws->udets, ws->utrks, ws->assigned_d,
                    ws->assigned_t, ws->rej_d, ws->rej_t, ws->cnt_d, ws->cnt_t, ws->cost, ws->part, ws->pcen,
                    ws->start, ws->ra, ws->rb, ws->md, ws->mt, ws->pr, ws->pc, ws->mcol, ws->se_r, ws->se_c,
                    ws->se_v};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
}

void mt_oc_reset(mt_tracker *t) {
    IMPL(t)->tb.n = 0;
    IMPL(t)->tb.next_id = 1;
}

/* Room for this frame (everything that can fail happens here, before any state changes;
 * only the bounded sparse paths above OC_DENSE_LIMIT pairs grow their scratch later). */
int mt_oc_prepare(mt_tracker *t, const mt_input *in) {
    mt_oc *oc = IMPL(t);
    oc_work *ws = &oc->ws;
    size_t n = (size_t)oc->tb.n, nd = in->n, cap = n + nd + 1, vw = (size_t)oc->vw;
    size_t dense = nd * n < OC_DENSE_LIMIT ? nd * n : OC_DENSE_LIMIT;
    /* a first round by a similarity other than (HM)IoU has every pair as a candidate */
    int all_pairs = oc->c.first_kind != MT_SIM_IOU && oc->c.first_kind != MT_SIM_HMIOU;
    if (mt_table_reserve(&oc->tb, cap) || GROW(ws, hi, nd + 1) || GROW(ws, lo, nd + 1) || GROW(ws, hb, 4 * nd + 4) ||
        GROW(ws, hs, nd + 1) || GROW(ws, hc, nd + 1) || GROW(ws, pred, 4 * n + 4) || GROW(ws, prev, 5 * n + 5) ||
        GROW(ws, vel, vw * n + vw) || GROW(ws, last, 4 * n + 4) || GROW(ws, kconf, n + 1) || GROW(ws, sconf, n + 1) ||
        GROW(ws, keep, cap) || GROW(ws, tcls, n + 1) || GROW(ws, track_for_det, nd + 1) || GROW(ws, udets, nd + 1) ||
        GROW(ws, utrks, n + 1) || GROW(ws, assigned_d, nd + 1) || GROW(ws, assigned_t, n + 1) ||
        GROW(ws, rej_d, nd + 1) || GROW(ws, rej_t, nd + 1) || GROW(ws, cnt_d, nd + 1) || GROW(ws, cnt_t, n + 1) ||
        GROW(ws, cost, dense + 1) || (vw > CENTRE_VW && GROW(ws, part, dense + 1)) || GROW(ws, pcen, 2 * n + 2) ||
        GROW(ws, start, nd + 2) || GROW(ws, ra, 4 * nd + 4) || GROW(ws, rb, 4 * n + 4) || GROW(ws, md, nd + 1) ||
        GROW(ws, mt, nd + 1) || GROW(ws, mcol, cap) || (all_pairs && mt_edges_reserve(&ws->edges, nd * n + 1)))
        return mt_fail(t, MT_ERR_NOMEM, "out of memory for %zu tracks and %zu detections", n, nd);
    return MT_OK;
}

const mt_table *mt_oc_table(const mt_tracker *t) { return &IMPL(t)->tb; }

void mt_oc_save(const mt_tracker *t, mt_writer *w) { mt_table_save(&IMPL(t)->tb, w); }

/* The table, then what the stages rely on (ocsort.ObservationCentric._check_restored). */
int mt_oc_load(mt_tracker *t, mt_reader *r) {
    mt_oc *oc = IMPL(t);
    mt_table *tb = &oc->tb;
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
        /* an observed track's last update is at or before its age (once lost, it must stay below) */
        if (oru == ORU_OBSERVED && (hist > age || hist < 0)) {
            mt_r_fail(r, "state: tracks column history_age must be in [0, age] for an observed track");
            return -1;
        }
        if (oru != ORU_NEW && !(MT_F(tb, i, oc->hz + 2) > 0 && MT_F(tb, i, oc->hz + 3) > 0)) {
            mt_r_fail(r, "state: tracks columns history_s and history_r must be > 0");
            return -1;
        }
    }
    return 0;
}
