/* oc_stages.h -- the stages of observation-centric trackers (OC-SORT, Hybrid-SORT), as
 * mottrack/trackers/_oc_stages.py composes them: one frame (oc_frame) with a `hybrid` switch
 * (four-corner directions, the TCM confidence filter, a similarity of choice in the first
 * round).  ocsort.c and hybridsort.c hold only their parameter tables and map them to an
 * mt_oc_config; every other entry of their mt_kind is here. */
#ifndef MT_OC_STAGES_H
#define MT_OC_STAGES_H
#include <math.h>

#include "internal.h"

/* similarity kinds (mottrack.geometry.SIMILARITIES order) */
enum { MT_SIM_IOU, MT_SIM_GIOU, MT_SIM_CIOU, MT_SIM_DIOU, MT_SIM_CT_DIST, MT_SIM_HMIOU, MT_N_SIM };
/* the asso_func choices of both trackers (Hybrid-SORT also takes its original's name for
 * hmiou, a seventh choice that mt_oc_init maps to MT_SIM_HMIOU) */
#define MT_SIM_CHOICES "iou|giou|ciou|diou|ct_dist|hmiou"

/* The parameters both trackers have, in this order (ocsort.ObservationCentric's), with
 * their defaults: the table's first eight entries (P_DET_THRESH .. P_USE_BYTE below). */
#define MT_OC_PARAMS(iou_threshold, asso_index, asso_name, asso_choices, inertia, use_byte)                   \
    {"det_thresh", MT_PARAM_FLOAT, 0.6, NULL, -1e300, 1e300, 0, NULL},                                       \
    {"max_age", MT_PARAM_FLOAT, 30.0, NULL, 0.0, HUGE_VAL, 0, NULL},                                         \
    {"min_hits", MT_PARAM_INT, 3.0, NULL, 0.0, 9.2233720368547758e18, 0, NULL},                              \
    {"iou_threshold", MT_PARAM_FLOAT, iou_threshold, NULL, 0.0, 1.0, 0, NULL},                               \
    {"delta_t", MT_PARAM_INT, 3.0, NULL, 0.0, 256.0, 0, NULL},                                               \
    {"asso_func", MT_PARAM_CHOICE, asso_index, asso_name, 0.0, 0.0, 0, asso_choices},                        \
    {"inertia", MT_PARAM_FLOAT, inertia, NULL, -1e6, 1e6, 0, NULL},                                          \
    {"use_byte", MT_PARAM_BOOL, use_byte, NULL, 0.0, 1.0, 0, NULL}
enum { MT_OC_DET_THRESH, MT_OC_MAX_AGE, MT_OC_MIN_HITS, MT_OC_IOU, MT_OC_DELTA_T, MT_OC_ASSO, MT_OC_INERTIA,
       MT_OC_USE_BYTE, MT_OC_N_PARAMS };

typedef struct mt_oc_config {
    int hybrid;               /* 0: OC-SORT; 1: Hybrid-SORT (corners, TCM) */
    double det_thresh, max_age, min_hits, iou_threshold, inertia;
    int64_t delta_t;
    int first_kind, kind;     /* similarity of the first round and of the BYTE / OCR rounds */
    int use_byte;
    double tcm_first, tcm_byte; /* TCM weights of the first / BYTE round (0: off) */
} mt_oc_config;

/* The configuration of the shared parameters (t->p, MT_OC_PARAMS): hybrid 0, the first
 * round by IoU, asso_func for the later rounds, TCM off. */
mt_oc_config mt_oc_config_of(const mt_tracker *t);
/* An mt_kind's init: allocate the state for configuration c (t->per_class etc. are set). */
int mt_oc_init(mt_tracker *t, const mt_oc_config *c);
/* The other entries of an observation-centric mt_kind. */
void mt_oc_destroy(mt_tracker *t);
void mt_oc_reset(mt_tracker *t);
int mt_oc_prepare(mt_tracker *t, const mt_input *in);
int64_t mt_oc_step(mt_tracker *t, const mt_input *in, double dt, const double *warp);
const mt_table *mt_oc_table(const mt_tracker *t);
void mt_oc_save(const mt_tracker *t, mt_writer *w);
int mt_oc_load(mt_tracker *t, mt_reader *r);
#endif
