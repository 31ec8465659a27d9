/* botsort.c -- BoT-SORT (Aharon et al. 2022): the BYTE stages with the (x, y, w, h)
 * filter, camera motion and optional appearance; every tracked track reported
 * (mottrack/trackers/botsort.py). */
#include <math.h>
#include <stdlib.h>
#include "byte_stages.h"

enum { P_HIGH, P_LOW, P_NEW, P_BUFFER, P_MATCH, P_PROX, P_APP, P_FUSE };

static const mt_param_info params[] = {
    {"track_high_thresh", MT_PARAM_FLOAT, 0.6, NULL, 0.0, 1.0, 0, NULL},
    {"track_low_thresh", MT_PARAM_FLOAT, 0.1, NULL, 0.0, 1.0, 0, NULL},
    {"new_track_thresh", MT_PARAM_FLOAT, 0.7, NULL, 0.0, 1.0, 0, NULL},
    {"track_buffer", MT_PARAM_FLOAT, 30.0, NULL, 0.0, 1e9, 0, NULL},
    {"match_thresh", MT_PARAM_FLOAT, 0.8, NULL, 0.0, 1.0, 1, NULL},
    {"proximity_thresh", MT_PARAM_FLOAT, 0.5, NULL, 0.0, 1.0, 0, NULL},
    {"appearance_thresh", MT_PARAM_FLOAT, 0.25, NULL, 0.0, 1.0, 0, NULL},
    {"fuse_score", MT_PARAM_BOOL, 1.0, NULL, 0.0, 1.0, 0, NULL},
    MT_COMMON_PARAMS("kalman", 0.0),
};

#define B(t) ((mt_byte *)(t)->impl)
int mt_max_time_lost(mt_tracker *t, double track_buffer, double *out);
int mt_byte_check_loaded(mt_byte *b, mt_reader *r);

static int init(mt_tracker *t)
{
    if (t->p[P_LOW] != 0.1)
        return mt_fail(t, MT_ERR_ARG, "track_low_thresh: only 0.1 (the original's, shared with ByteTrack's "
                       "stages) is supported; got %.17g", t->p[P_LOW]);
    mt_byte *b = calloc(1, sizeof *b);
    if (!b)
        return mt_fail(t, MT_ERR_NOMEM, "out of memory");
    t->impl = b;
    if (mt_byte_init(b, MT_XYWH, MT_N_INT_BASE + 2))
        return mt_fail(t, MT_ERR_NOMEM, "out of memory");
    b->high = t->p[P_HIGH];
    b->match_thresh = t->p[P_MATCH];
    b->new_thresh = t->p[P_NEW];
    b->fuse = t->p[P_FUSE] != 0.0;
    b->proximity = t->p[P_PROX];
    b->appearance = t->p[P_APP];
    b->with_unconfirmed = 1;
    return mt_max_time_lost(t, t->p[P_BUFFER], &b->max_time_lost);
}

static void destroy(mt_tracker *t) { mt_byte_free(B(t)); }

static void reset(mt_tracker *t)
{
    mt_byte_reset(B(t));
    mt_table_set_nfeat(&B(t)->tb, 0);  /* freeing cannot fail */
    B(t)->embedding_dim = 0;
}

/* BoTSORT._embeddings + the kernel's normalisation, before anything changes */
static int prepare(mt_tracker *t, const mt_input *in)
{
    mt_byte *b = B(t);
    int feats = in->emb != NULL && in->n > 0;
    size_t dim = feats ? in->dim : 0;
    if (feats && b->embedding_dim != 0 && (int64_t)dim != b->embedding_dim)
        return mt_fail(t, MT_ERR_ARG, "embeddings: dimension changed from %lld to %zu; a tracker takes embeddings of "
                       "one model", (long long)b->embedding_dim, dim);
    if (mt_byte_prepare(b, in->n, dim))
        return mt_fail(t, MT_ERR_NOMEM, "out of memory for %zu detections", in->n);
    if (feats) {
        int64_t bad = mt_byte_normalize(b, in->emb, in->n, dim);
        if (bad >= 0)
            return mt_fail(t, MT_ERR_ARG, "embeddings: row %lld has zero length; cannot normalise it", (long long)bad);
        if (b->embedding_dim == 0) {
            if (mt_table_set_nfeat(&b->tb, (int)dim))
                return mt_fail(t, MT_ERR_NOMEM, "out of memory for features");
            b->embedding_dim = (int64_t)dim;
        }
    }
    return MT_OK;
}

static int64_t step(mt_tracker *t, const mt_input *in, double dt, const double *warp)
{
    int feats = in->emb != NULL && in->n > 0;
    return mt_byte_frame(B(t), in, feats, dt, t->frame_count, t->per_class, warp, t->out);
}

static const mt_table *table(const mt_tracker *t) { return &B(t)->tb; }

static void save(const mt_tracker *t, mt_writer *w)
{
    mt_w_i64(w, B(t)->embedding_dim);
    mt_table_save(&B(t)->tb, w);
}

static int load(mt_tracker *t, mt_reader *r)
{
    mt_byte *b = B(t);
    int64_t dim = mt_r_i64(r);
    if (r->bad)
        return -1;
    if (dim < 0 || dim > (1 << 20)) {
        mt_r_fail(r, "state: attrs.embedding_dim must be in [0, 2**20]; got %lld", (long long)dim);
        return -1;
    }
    if (mt_table_load(&b->tb, r, "tracks"))
        return -1;
    if (b->tb.nfeat != dim) {
        mt_r_fail(r, "state: attrs.features must have embedding_dim = %lld columns; got %d", (long long)dim, b->tb.nfeat);
        return -1;
    }
    b->embedding_dim = dim;
    for (int64_t i = 0; i < b->tb.n; i++) {
        int64_t h = MT_I(&b->tb, i, MT_HAS_FEAT);
        if ((h != 0 && h != 1) || (dim == 0 && h)) {
            mt_r_fail(r, "state: attrs.tracks column has_feature must be 0 or 1 (0 without embeddings)");
            return -1;
        }
    }
    return mt_byte_check_loaded(b, r);
}

const mt_kind mt_kind_botsort = {"botsort", params, sizeof params / sizeof params[0],
                                 MT_KIND_WARP | MT_KIND_EMB_OPTIONAL, init, destroy, reset, prepare, step, table,
                                 save, load};
