/* byte_stages.h -- the stages of BYTE-style trackers (ByteTrack, BoT-SORT), as
 * mottrack/trackers/_byte_stages.py composes them. */
#ifndef MT_BYTE_STAGES_H
#define MT_BYTE_STAGES_H
#include "internal.h"

enum { MT_XYAH = 0, MT_XYWH = 1 };
#define MT_REMOVED MT_N_INT_BASE
#define MT_HAS_FEAT (MT_N_INT_BASE + 1)
#define MT_TRACKED_TIME MT_N_FLOAT_BASE

typedef struct mt_byte {
    int model;                 /* MT_XYAH (ByteTrack) or MT_XYWH (BoT-SORT) */
    double high, match_thresh, max_time_lost, new_thresh, proximity, appearance;
    int fuse, with_unconfirmed;
    mt_table tb;               /* tracked pool, then lost pool; feats: BoT-SORT's features */
    int64_t embedding_dim;     /* BoT-SORT: 0 until the first frame with embeddings */
    mt_edges edges;
    mt_assign_ws aws;
    double *fw; size_t fw_cap; /* dbox, sel, pbox, bx2, dfeat */
    int64_t *iw; size_t iw_cap;
    int64_t *er, *ec; double *ev; size_t e_cap;
    size_t nd_ready, n0_ready, dim_ready;
} mt_byte;

int mt_byte_init(mt_byte *b, int model, int ni);
void mt_byte_free(mt_byte *b);
void mt_byte_reset(mt_byte *b);
/* Room for a frame of nd detections with dim-dimensional features (0: none): 0 / -1. */
int mt_byte_prepare(mt_byte *b, size_t nd, size_t dim);
/* Unit-length float64 features of the detections (normalised twice as BoT-SORT's STrack)
 * into the scratch; returns the first zero-length row or -1. */
int64_t mt_byte_normalize(mt_byte *b, const float *emb, size_t nd, size_t dim);
/* One frame (byte_frame); returns the output row count or -1 (allocation failed). */
int64_t mt_byte_frame(mt_byte *b, const mt_input *in, int use_features, double dt, int64_t frame_count,
                      int per_class, const double *warp, double *out);
#endif
