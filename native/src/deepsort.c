/* deepsort.c -- placeholder: the C port of deepsort is written on branch native2 (this file is
 * replaced there).  Until then creating a "deepsort" tracker returns MT_ERR_UNSUPPORTED. */
#include "internal.h"

static const mt_param_info params[] = {MT_COMMON_PARAMS("kalman", 0.0)};

static int init(mt_tracker *t)
{
    return mt_fail(t, MT_ERR_UNSUPPORTED, "deepsort: not built into this library yet");
}

static void nop(mt_tracker *t) { (void)t; }
static int prepare(mt_tracker *t, const mt_input *in) { (void)in; return mt_fail(t, MT_ERR_UNSUPPORTED, "deepsort"); }
static int64_t step(mt_tracker *t, const mt_input *in, double dt, const double *warp)
{
    (void)t; (void)in; (void)dt; (void)warp;
    return -1;
}
static const mt_table *table(const mt_tracker *t) { (void)t; return 0; }
static void save(const mt_tracker *t, mt_writer *w) { (void)t; (void)w; }
static int load(mt_tracker *t, mt_reader *r) { (void)t; mt_r_fail(r, "deepsort: not built"); return -1; }

const mt_kind mt_kind_deepsort = {"deepsort", params, sizeof params / sizeof params[0], 0, init, nop, nop,
                              prepare, step, table, save, load};
