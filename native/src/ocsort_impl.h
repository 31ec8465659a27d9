/* OC-SORT's kernel state (internal). */
#ifndef MOTTRACK_OCSORT_IMPL_H
#define MOTTRACK_OCSORT_IMPL_H
#include <stddef.h>
#include <stdint.h>

#include "../proto/proto_core.h"

enum { OC_SIM_IOU, OC_SIM_GIOU, OC_SIM_CIOU, OC_SIM_DIOU, OC_SIM_CT_DIST };
#define OC_DENSE_LIMIT ((size_t)1 << 20)

#define OC_BUF(type, name) type *name; size_t name##_cap
typedef struct {
    OC_BUF(int64_t, hi); OC_BUF(int64_t, lo); OC_BUF(double, hb); OC_BUF(double, hs); OC_BUF(int64_t, hc);
    OC_BUF(double, pred); OC_BUF(double, prev); OC_BUF(double, vel); OC_BUF(double, last);
    OC_BUF(unsigned char, keep); OC_BUF(int64_t, tcls); OC_BUF(int64_t, track_for_det);
    OC_BUF(int64_t, udets); OC_BUF(int64_t, utrks); OC_BUF(unsigned char, assigned_d);
    OC_BUF(unsigned char, assigned_t); OC_BUF(int64_t, rej_d); OC_BUF(int64_t, rej_t);
    OC_BUF(int64_t, cnt_d); OC_BUF(int64_t, cnt_t); OC_BUF(int64_t, er); OC_BUF(int64_t, ec);
    OC_BUF(double, ev); OC_BUF(double, cost); OC_BUF(double, pcen); OC_BUF(int64_t, start);
    OC_BUF(double, ra); OC_BUF(double, rb); OC_BUF(int64_t, md); OC_BUF(int64_t, mt);
    OC_BUF(double, lsa_d); OC_BUF(int64_t, lsa_i); OC_BUF(int64_t, pr); OC_BUF(int64_t, pc);
    OC_BUF(double, out);
} oc_work;

typedef struct {
    /* parameters */
    double det_thresh, max_age, min_hits, iou_threshold, inertia;
    int64_t delta_t;
    int kind, use_byte, per_class, output_detection;
    /* state */
    table_t tb;
    table_t scratch_row;
    oc_work ws;
} oc_tracker;

int oc_init(oc_tracker *oc);
int oc_step(oc_tracker *oc, const double *boxes, const double *scores, const int64_t *classes, size_t nd,
            double dt, int64_t frame_count, const double *warp, size_t *n_out);
#endif
