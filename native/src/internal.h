/* internal.h -- what the modules of libmottrack share (not installed).
 *
 * Layers point one way, as in the Python package:
 *   util (errors, memory, CRC, state writer/reader)
 *   -> kalman, geometry, assignment, tracks (the core; nothing above it)
 *   -> trackers (sort.c, byte_stages.c + bytetrack.c / botsort.c, oc_stages.c + ocsort.c /
 *      hybridsort.c, deepsort.c)
 *   -> tracker.c (public API, validation, clock, the dispatch table in registry.c).
 *
 * Adding a tracker = one file defining a `const mt_kind mt_kind_<name>` plus one line in
 * registry.c.  See mt_kind below for the contract.
 */
#ifndef MT_INTERNAL_H
#define MT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include "mottrack.h"

#define MT_ERRLEN 256
#define MT_MAX_COORDINATE 1e15
#define MT_MIN_BOX_SIDE 1e-6
#define MT_MAX_TIME_STEP 1e15
#define MT_MAX_DETECTIONS 5000
/* frame_rate's range (mottrack.trackers.base.MIN_FRAME_RATE / MAX_FRAME_RATE): beyond it
 * 1 / frame_rate or a time step overflows the clock or the filters */
#define MT_MIN_FRAME_RATE 1e-6
#define MT_MAX_FRAME_RATE 1e6
/* a camera warp's linear part may scale by [1 / MT_MAX_WARP_SCALE, MT_MAX_WARP_SCALE]
 * (its singular values; mottrack.geometry.MAX_WARP_SCALE): a larger zoom drives the
 * covariances (scaled by its square) to inf */
#define MT_MAX_WARP_SCALE 1e4

/* ------------------------------------------------------------------ memory */
/* Grow *p (element size `size`) to hold at least `need` elements (doubling); keeps the
 * contents.  Returns 0, or -1 when allocation failed (*p unchanged). */
int mt_grow(void **p, size_t *cap, size_t need, size_t size);
#define MT_GROW(p, cap, need) mt_grow((void **)&(p), &(cap), (need), sizeof(*(p)))

/* ------------------------------------------------------------------ track table */
enum { MT_TENTATIVE = 0, MT_CONFIRMED = 1, MT_LOST = 2, MT_DELETED = 3 };
enum { MT_ID = 0, MT_HITS, MT_STREAK, MT_AGE, MT_STATE, MT_CLASS, MT_DET, MT_N_INT_BASE };
enum { MT_TSU = 0, MT_SCORE, MT_N_FLOAT_BASE };

/* mottrack.tracks.TrackTable: struct of arrays, rows 0..n-1 live in list order. */
typedef struct mt_table {
    int dim, ni, nf, nfeat;     /* state size, int / float columns, feature columns (BoT-SORT) */
    size_t cap;                 /* rows allocated */
    int64_t n, next_id;
    double *mean;               /* cap x dim */
    double *cov;                /* cap x dim x dim */
    int64_t *ints;              /* cap x ni */
    double *floats;             /* cap x nf */
    double *feats;              /* cap x nfeat (NULL when nfeat == 0) */
} mt_table;

int mt_table_init(mt_table *tb, int dim, int ni, int nf, size_t cap);
void mt_table_free(mt_table *tb);
int mt_table_reserve(mt_table *tb, size_t rows);       /* capacity >= rows; 0 / -1 */
int mt_table_set_nfeat(mt_table *tb, int nfeat);        /* (re)allocate zeroed features */
#define MT_I(tb, r, c) ((tb)->ints[(size_t)(r) * (size_t)(tb)->ni + (size_t)(c)])
#define MT_F(tb, r, c) ((tb)->floats[(size_t)(r) * (size_t)(tb)->nf + (size_t)(c)])
#define MT_MEAN(tb, r) ((tb)->mean + (size_t)(r) * (size_t)(tb)->dim)
#define MT_COV(tb, r) ((tb)->cov + (size_t)(r) * (size_t)(tb)->dim * (size_t)(tb)->dim)

void mt_start_track(mt_table *tb, int64_t row, int64_t id, int64_t hits, int64_t state,
                    int64_t class_id, int64_t det, double score);
void mt_mark_predicted(mt_table *tb, int64_t n, double dt);
void mt_mark_hit(mt_table *tb, int64_t row, int64_t det, int64_t class_id, double score);
int64_t mt_compact(mt_table *tb, int64_t n, const unsigned char *keep);
void mt_copy_row(mt_table *tb, int64_t src, int64_t dst);
/* tracks.xysr_boxes_or_drop: boxes of rows 0..n-1 into pred (n x 4); rows with a NaN box
 * are deleted (pred compacted alike).  keep: n bytes of scratch.  Returns the new n. */
int64_t mt_xysr_boxes_or_drop(mt_table *tb, int64_t n, double *pred, unsigned char *keep);
/* tracks.report_xysr_tracks: output rows into out (n x 8); returns their count, deletes
 * tracks past max_age (*n_io updated).  keep: n bytes of scratch. */
int64_t mt_report_xysr_tracks(mt_table *tb, int64_t *n_io, int64_t frame_count, double min_hits, double max_age,
                              int need_detection, double *out, unsigned char *keep);

/* ------------------------------------------------------------------ kalman */
/* measurement (u, v, s, r) of a box, r = w / (h + h_eps) (SORT: 0, OC-SORT: 1e-6) */
void mt_xysr_z(double x1, double y1, double x2, double y2, double h_eps, double z[4]);
void mt_xysr_initiate_z(double *mean, double *cov, const double z[4]);
void mt_xysr_update_z(double *mean, double *cov, const double z[4]);
void mt_xysr_initiate(double *mean, double *cov, double x1, double y1, double x2, double y2);
void mt_xysr_predict_row(double *mean, double *cov, double dt);
void mt_xysr_predict(mt_table *tb, int64_t n, double dt);      /* with SORT's area clamp */
void mt_xysr_update(double *mean, double *cov, double x1, double y1, double x2, double y2);
void mt_xysr_box(const double *mean, double box[4]);
void mt_xysr_warp(double *mean, double *cov, const double H[9]);
/* kalman.xysr_save / xysr_load: the 7 means and the non-zero covariance entries (17 numbers) */
#define MT_XYSR_SNAPSHOT 17
void mt_xysr_save(const double *mean, const double *cov, double *store);
void mt_xysr_load(double *mean, double *cov, const double *store);
/* kalman.xysr_reupdate_linear (ORU): from the state frozen at the first frame without an
 * observation, update along boxes interpolated from z1 to z2 over `steps` frames, predicting
 * `dt` between them; the last virtual measurement into zo */
void mt_xysr_reupdate_linear(double *mean, double *cov, const double z1[4], const double z2[4], int64_t steps,
                             double dt, double zo[4]);
/* kalman.conf_*: Hybrid-SORT's confidence filter, mean m (c, c'), covariance P (2 x 2) */
#define MT_CONF_SNAPSHOT 5
void mt_conf_initiate(double *m, double *P, double c);
void mt_conf_predict_row(double *m, double *P, double dt);
void mt_conf_update(double *m, double *P, double c);
void mt_conf_save(const double *m, const double *P, double *store);   /* 5 numbers */
void mt_conf_load(double *m, double *P, const double *store);
/* ORU of the confidence filter along scores c1 -> c2 over `steps`; returns the last one */
double mt_conf_reupdate_linear(double *m, double *P, double c1, double c2, int64_t steps, double dt);
void mt_xyah_initiate(double *mean, double *cov, double x1, double y1, double x2, double y2);
void mt_xyah_predict_row(double *mean, double *cov, double dt);
void mt_xyah_update(double *mean, double *cov, double x1, double y1, double x2, double y2);
void mt_xyah_box(const double *mean, double box[4]);
void mt_xyah_warp_rows(mt_table *tb, int64_t n, const double H[9]);
void mt_xywh_initiate(double *mean, double *cov, double x1, double y1, double x2, double y2);
void mt_xywh_predict_row(double *mean, double *cov, double dt);
void mt_xywh_update(double *mean, double *cov, double x1, double y1, double x2, double y2);
void mt_xywh_box(const double *mean, double box[4]);
void mt_xywh_warp_rows(mt_table *tb, int64_t n, const double H[9]);
void mt_local_affine(const double H[9], double x, double y, double out[6]);
void mt_warp_point(const double H[9], double x, double y, double *xp, double *yp, double *a);
void mt_warp_vector(const double H[9], double x, double y, double dx, double dy, double *ox, double *oy);
/* numba's min / max of two floats (min(a, b) = b < a ? b : a) */
static inline double mt_min(double a, double b) { return b < a ? b : a; }
static inline double mt_max(double a, double b) { return b > a ? b : a; }

/* ------------------------------------------------------------------ geometry */
/* geometry._iou: IoU of two boxes; 0 when they do not overlap or both have zero area */
static inline double mt_iou(double ax1, double ay1, double ax2, double ay2, double bx1, double by1, double bx2,
                            double by2)
{
    double w = mt_min(ax2, bx2) - mt_max(ax1, bx1);
    if (w <= 0.0)
        return 0.0;
    double h = mt_min(ay2, by2) - mt_max(ay1, by1);
    if (h <= 0.0)
        return 0.0;
    double inter = w * h;
    double uni = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter;
    if (uni <= 0.0)
        return 0.0;
    return inter / uni;
}

/* Sparse IoU edges (mottrack.geometry.overlap_edges): growable buffers. */
typedef struct mt_edges {
    int64_t *r, *c;
    double *v;
    size_t cap, n;
    /* sweep scratch */
    int64_t *order, *found;
    double *bx1;
    size_t scap;
} mt_edges;
void mt_edges_free(mt_edges *e);
/* Room for `need` edges in r, c, v (0 / -1) */
int mt_edges_reserve(mt_edges *e, size_t need);
/* All pairs (i, j) of a (n x 4) and b (m x 4) with IoU > 0, sorted by i then j; 0 / -1 (no memory). */
/* In sorted v[0..n): the first index with v[i] >= x (left) / v[i] > x (right), as numpy.searchsorted. */
size_t mt_search_left(const double *v, size_t n, double x);
size_t mt_search_right(const double *v, size_t n, double x);
int mt_overlap_edges(mt_edges *e, const double *a, size_t n, const double *b, size_t m);

/* ------------------------------------------------------------------ assignment */
typedef struct mt_assign_ws {
    int64_t *iw; size_t iw_cap;     /* int scratch */
    double *fw; size_t fw_cap;      /* float scratch */
    unsigned char *bw; size_t bw_cap;
} mt_assign_ws;
void mt_assign_ws_free(mt_assign_ws *w);
/* mottrack.assignment.max_weight_matching: col_for_row (n_rows) = matched column or -1. */
int mt_max_weight_matching(mt_assign_ws *w, int64_t n_rows, int64_t n_cols, const int64_t *er,
                           const int64_t *ec, const double *ev, size_t ne, int64_t *col_for_row);
/* mottrack.assignment.linear_sum_assignment (dense, SciPy's result): pairs sorted by row
 * into rows / cols (min(nr, nc) each), *n_pairs.  Returns 0, -1 infeasible, -2 no memory. */
int mt_linear_sum_assignment(mt_assign_ws *w, const double *cost, int64_t nr, int64_t nc, int64_t *rows,
                             int64_t *cols, int64_t *n_pairs);
/* mottrack.assignment.match_edges (degree-one shortcut, else max_weight_matching). */
int mt_match_edges(mt_assign_ws *w, int64_t n_rows, int64_t n_cols, const int64_t *er,
                   const int64_t *ec, const double *ev, size_t ne, int64_t *col_for_row);

/* ------------------------------------------------------------------ state buffers */
typedef struct mt_writer {
    unsigned char *buf;   /* NULL: only count */
    size_t cap, len;
} mt_writer;
void mt_w_bytes(mt_writer *w, const void *p, size_t n);
void mt_w_u32(mt_writer *w, uint32_t v);
void mt_w_i64(mt_writer *w, int64_t v);
void mt_w_f64(mt_writer *w, double v);

typedef struct mt_reader {
    const unsigned char *buf;
    size_t len, pos;
    int bad;              /* set on overrun or a failed check; further reads return 0 */
    char *err;            /* MT_ERRLEN bytes */
} mt_reader;
int mt_r_bytes(mt_reader *r, void *p, size_t n);
uint32_t mt_r_u32(mt_reader *r);
int64_t mt_r_i64(mt_reader *r);
double mt_r_f64(mt_reader *r);
void mt_r_fail(mt_reader *r, const char *fmt, ...);
uint32_t mt_crc32(const unsigned char *p, size_t n);

void mt_table_save(const mt_table *tb, mt_writer *w);
/* Reads a table written by mt_table_save into tb (initialised with dim/ni/nf); checks
 * shapes, finiteness, the lifecycle columns, ids. */
int mt_table_load(mt_table *tb, mt_reader *r, const char *what);

/* ------------------------------------------------------------------ trackers */
/* A validated frame as a tracker's step sees it (mottrack.detections.Detections). */
typedef struct mt_input {
    size_t n;
    const double *boxes;    /* n x 4 */
    const double *scores;   /* n */
    const int64_t *classes; /* n */
    const float *emb;       /* n x dim float32 (the package's Detections.embeddings), or NULL */
    size_t dim;
} mt_input;

typedef struct mt_kind mt_kind;

struct mt_tracker {
    const mt_kind *kind;
    double *p;              /* parameter values, in the order of kind->params */
    double frame_rate;
    int per_class;
    int output_box;         /* 0 kalman, 1 detection */
    int64_t max_detections;
    int64_t frame_count, dropped;
    int has_last_ts;
    double last_ts;
    int broken;             /* an allocation failed mid-frame: reset / restore needed */
    void *impl;             /* the tracker's own state (kind->impl_size bytes, zeroed) */
    /* buffers of the base (grow only) */
    double *out; size_t out_cap;          /* rows x 8 */
    double *boxes; size_t boxes_cap;      /* rows x 4 */
    double *scores; size_t scores_cap;
    int64_t *classes; size_t classes_cap;
    int64_t *rowmap; size_t rowmap_cap;
    float *emb; size_t emb_cap;
    int64_t *ids; size_t ids_cap;
    char err[MT_ERRLEN];
};

/* Set the handle's message and return `status`. */
int mt_fail(mt_tracker *t, int status, const char *fmt, ...);
void mt_fmt(char *buf, size_t len, const char *fmt, va_list ap);
/* Index of parameter `name` in t->kind->params, or -1. */
int mt_param_index(const mt_kind *k, const char *name);
double mt_param_value(const mt_tracker *t, const char *name);

enum {
    MT_KIND_WARP = 1,          /* accepts camera motion */
    MT_KIND_EMB_OPTIONAL = 2,  /* uses embeddings when given */
    MT_KIND_EMB_REQUIRED = 4   /* needs embeddings */
};

/* A tracker type: the dispatch entry (registry.c lists them). */
struct mt_kind {
    const char *name;
    const mt_param_info *params;   /* every parameter, including the common four */
    size_t n_params;
    unsigned flags;
    /* Allocate the tracker's state into t->impl (calloc; the base frees t->impl itself)
     * and derive values (t->p holds validated parameter values, t->frame_rate etc. are
     * set).  May reject parameter combinations (return mt_fail(t, ...)). */
    int (*init)(mt_tracker *t);
    void (*destroy)(mt_tracker *t);      /* free what t->impl points to (not t->impl) */
    void (*reset)(mt_tracker *t);        /* forget tracks, ids restart at 1 */
    /* Everything that can fail for this frame, before any state changes: make room for
     * `in->n` detections (the base already checked the rows), check embeddings.  On
     * failure the tracker must be exactly as before. */
    int (*prepare)(mt_tracker *t, const mt_input *in);
    /* One frame.  `warp` is the normalised 3x3 warp or NULL.  Writes rows x 8 into t->out
     * (the base reserved table->n + in->n rows) and returns the row count, or -1 when
     * a scratch allocation failed (the tracker is then marked broken). */
    int64_t (*step)(mt_tracker *t, const mt_input *in, double dt, const double *warp);
    const mt_table *(*table)(const mt_tracker *t);   /* the track list (for ids) */
    void (*save)(const mt_tracker *t, mt_writer *w); /* tracker state after the base's */
    int (*load)(mt_tracker *t, mt_reader *r);        /* read + validate what save wrote */
};

extern const mt_kind *const mt_kinds[];
extern const size_t mt_n_kinds;

/* The common parameters, to put at the end of a kind's table:
 * MT_COMMON_PARAMS("kalman") */
#define MT_COMMON_PARAMS(output_box_default, output_box_index)                                   \
    {"frame_rate", MT_PARAM_FLOAT, 30.0, NULL, MT_MIN_FRAME_RATE, MT_MAX_FRAME_RATE, 0, NULL},       \
    {"per_class", MT_PARAM_BOOL, 0.0, NULL, 0.0, 1.0, 0, NULL},                                   \
    {"output_box", MT_PARAM_CHOICE, output_box_index, output_box_default, 0.0, 1.0, 0,            \
     "kalman|detection"},                                                                          \
    {"max_detections", MT_PARAM_INT, 5000.0, NULL, 0.0, 9.2233720368547758e18, 0, NULL}

#endif
