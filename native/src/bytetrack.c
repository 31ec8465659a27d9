/* bytetrack.c -- ByteTrack (Zhang et al. 2022): the BYTE stages with the (x, y, a, h)
 * filter, no appearance, confirmed tracks reported (mottrack/trackers/bytetrack.py). */
#include <math.h>
#include <stdlib.h>
#include "byte_stages.h"

enum { P_TRACK, P_MATCH, P_BUFFER, P_FRAME_RATE, P_FUSE };

static const mt_param_info params[] = {
    {"track_thresh", MT_PARAM_FLOAT, 0.5, NULL, 0.0, 1.0, 0, NULL},
    {"match_thresh", MT_PARAM_FLOAT, 0.8, NULL, 0.0, 1.0, 1, NULL},
    {"track_buffer", MT_PARAM_FLOAT, 30.0, NULL, 0.0, 1e9, 0, NULL},
    {"frame_rate", MT_PARAM_FLOAT, 30.0, NULL, MT_MIN_FRAME_RATE, MT_MAX_FRAME_RATE, 0, NULL},
    {"fuse_score", MT_PARAM_BOOL, 1.0, NULL, 0.0, 1.0, 0, NULL},
    {"per_class", MT_PARAM_BOOL, 0.0, NULL, 0.0, 1.0, 0, NULL},
    {"output_box", MT_PARAM_CHOICE, 0.0, "kalman", 0.0, 1.0, 0, "kalman|detection"},
    {"max_detections", MT_PARAM_INT, 5000.0, NULL, 0.0, 9.2233720368547758e18, 0, NULL},
};

#define B(t) ((mt_byte *)(t)->impl)

/* int(frame_rate / 30 * track_buffer), as the originals' max_time_lost */
int mt_max_time_lost(mt_tracker *t, double track_buffer, double *out)
{
    double v = t->frame_rate / 30.0 * track_buffer;
    if (!(v < 9.2233720368547758e18))
        return mt_fail(t, MT_ERR_ARG, "frame_rate / 30 * track_buffer = %.17g is beyond int64", v);
    *out = (double)(int64_t)v;
    return MT_OK;
}

static int init(mt_tracker *t)
{
    mt_byte *b = calloc(1, sizeof *b);
    if (!b)
        return mt_fail(t, MT_ERR_NOMEM, "out of memory");
    t->impl = b;
    if (mt_byte_init(b, MT_XYAH, MT_N_INT_BASE + 1))
        return mt_fail(t, MT_ERR_NOMEM, "out of memory");
    b->high = t->p[P_TRACK];
    b->match_thresh = t->p[P_MATCH];
    b->new_thresh = t->p[P_TRACK] + 0.1;
    b->fuse = t->p[P_FUSE] != 0.0;
    b->with_unconfirmed = 0;
    return mt_max_time_lost(t, t->p[P_BUFFER], &b->max_time_lost);
}

static void destroy(mt_tracker *t) { mt_byte_free(B(t)); }
static void reset(mt_tracker *t) { mt_byte_reset(B(t)); }

static int prepare(mt_tracker *t, const mt_input *in)
{
    if (mt_byte_prepare(B(t), in->n, 0))
        return mt_fail(t, MT_ERR_NOMEM, "out of memory for %zu detections", in->n);
    return MT_OK;
}

static int64_t step(mt_tracker *t, const mt_input *in, double dt, const double *warp)
{
    return mt_byte_frame(B(t), in, 0, dt, t->frame_count, t->per_class, warp, t->out);
}

static const mt_table *table(const mt_tracker *t) { return &B(t)->tb; }
static void save(const mt_tracker *t, mt_writer *w) { mt_table_save(&B(t)->tb, w); }

int mt_byte_check_loaded(mt_byte *b, mt_reader *r)
{
    const mt_table *tb = &b->tb;
    for (int64_t i = 0; i < tb->n; i++) {
        int64_t rem = MT_I(tb, i, MT_REMOVED);
        if (rem < 0 || rem > 2) {
            mt_r_fail(r, "state: attrs.tracks column 'removed' must hold 0, 1 or 2");
            return -1;
        }
    }
    return 0;
}

static int load(mt_tracker *t, mt_reader *r)
{
    if (mt_table_load(&B(t)->tb, r, "tracks"))
        return -1;
    if (B(t)->tb.nfeat != 0) {
        mt_r_fail(r, "state: ByteTrack holds no features");
        return -1;
    }
    return mt_byte_check_loaded(B(t), r);
}

const mt_kind mt_kind_bytetrack = {"bytetrack", params, sizeof params / sizeof params[0], MT_KIND_WARP, init,
                                   destroy, reset, prepare, step, table, save, load};
