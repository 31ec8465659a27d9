/* tracking.c -- see tracking.h.  Depends on libmottrack (libc + libm) only. */
#define _POSIX_C_SOURCE 200809L
#include "tracking.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const COCO80[80] = {
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
    "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
    "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
    "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
    "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
    "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
    "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard",
    "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
    "teddy bear", "hair drier", "toothbrush"};

int app_tracking_init(app_tracking *app, const char *name, char *const *params, int n_params,
                      double frame_width, double frame_height, int channel_id, const char *id_prefix, FILE *out)
{
    memset(app, 0, sizeof *app);
    mt_param p[32];
    char keys[32][64];
    if (n_params > 32) {
        fprintf(stderr, "mottrack: at most 32 parameters\n");
        return -1;
    }
    for (int i = 0; i < n_params; i++) {
        const char *eq = strchr(params[i], '=');
        size_t kl = eq ? (size_t)(eq - params[i]) : 0;
        if (!eq || kl == 0 || kl >= sizeof keys[i]) {
            fprintf(stderr, "mottrack: parameter '%s': expected name=value\n", params[i]);
            return -1;
        }
        memcpy(keys[i], params[i], kl);
        keys[i][kl] = 0;
        char *end = NULL;
        double v = strtod(eq + 1, &end);
        p[i].name = keys[i];
        p[i].value = v;
        p[i].text = (end == eq + 1 || *end) ? eq + 1 : NULL;  /* not a number: a choice */
    }
    char err[256];
    if (mt_tracker_create(name, p, (size_t)n_params, &app->tracker, err, sizeof err) != MT_OK) {
        fprintf(stderr, "mottrack: %s\n", err);
        return -1;
    }
    if (mt_decoder_create(&app->decoder) != MT_OK) {
        fprintf(stderr, "mottrack: out of memory\n");
        return -1;
    }
    if (!(frame_width > 0 && frame_height > 0)) {
        fprintf(stderr, "mottrack: frame size must be > 0\n");
        return -1;
    }
    app->frame_width = frame_width;
    app->frame_height = frame_height;
    app->channel_id = channel_id;
    snprintf(app->id_prefix, sizeof app->id_prefix, "%s", id_prefix);
    app->out = out;
    return 0;
}

void app_tracking_free(app_tracking *app)
{
    mt_tracker_destroy(app->tracker);
    mt_decoder_destroy(app->decoder);
    free(app->live);
    memset(app, 0, sizeof *app);
}

/* UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ (microseconds rounded as mottrack.io.format_timestamp) */
static void format_timestamp(double t, char out[64])
{
    long long us = llround(t * 1e6);
    time_t s = (time_t)(us / 1000000);
    long frac = (long)(us % 1000000);
    if (frac < 0) {
        frac += 1000000;
        s -= 1;
    }
    struct tm tm;
    gmtime_r(&s, &tm);
    snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

static double unit(double v)
{
    v = v < 0.0 ? 0.0 : (v > 1.0 ? 1.0 : v);
    return round(v * 1e4) / 1e4;
}

static int contains(const int64_t *ids, size_t n, int64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

/* ended: ids alive before and not now; then remember the ids alive now */
static int write_events(app_tracking *app, const int64_t *now, size_t n_now)
{
    int first = 1;
    for (size_t i = 0; i < app->n_live; i++)
        if (!now || !contains(now, n_now, app->live[i])) {
            fprintf(app->out, "%s{\"type\":\"TrackEnded\",\"object_track_id\":\"%s-%lld\"}",
                    first ? ",\"track_events\":[" : ",", app->id_prefix, (long long)app->live[i]);
            first = 0;
        }
    if (!first)
        fputc(']', app->out);
    if (n_now > app->cap_live) {
        int64_t *p = realloc(app->live, n_now * sizeof *p);
        if (!p)
            return -1;
        app->live = p;
        app->cap_live = n_now;
    }
    if (n_now)
        memcpy(app->live, now, n_now * sizeof *now);
    app->n_live = n_now;
    return 0;
}

int app_track_rows(app_tracking *app, const double *rows, size_t n, double timestamp)
{
    mt_frame f = {0};
    f.rows = rows;
    f.n = n;
    f.cols = 6;
    f.has_timestamp = 1;
    f.timestamp = timestamp;
    const double *out = NULL;
    size_t m = 0;
    if (mt_tracker_update(app->tracker, &f, &out, &m) != MT_OK) {
        fprintf(stderr, "mottrack: %s\n", mt_tracker_last_error(app->tracker));
        return -1;
    }
    char stamp[64];
    format_timestamp(timestamp, stamp);
    fprintf(app->out, "{\"channel_id\":%d,\"timestamp\":\"%s\",\"detections\":[", app->channel_id, stamp);
    for (size_t i = 0; i < m; i++) {
        const double *r = out + 8 * i;
        fprintf(app->out, "%s{\"object_track_id\":\"%s-%lld\",\"bounding_box\":{\"left\":%.4f,\"top\":%.4f,"
                "\"right\":%.4f,\"bottom\":%.4f}", i ? "," : "", app->id_prefix, (long long)r[4],
                unit(r[0] / app->frame_width), unit(r[1] / app->frame_height), unit(r[2] / app->frame_width),
                unit(r[3] / app->frame_height));
        int64_t c = (int64_t)r[6];
        if (c >= 0) {
            if (c < 80)
                fprintf(app->out, ",\"class\":{\"type\":\"%s\"", COCO80[c]);
            else
                fprintf(app->out, ",\"class\":{\"type\":\"class %lld\"", (long long)c);
            if (isfinite(r[5]))
                fprintf(app->out, ",\"score\":%.4f", round(r[5] * 1e4) / 1e4);
            fputc('}', app->out);
        }
        fputc('}', app->out);
    }
    fputc(']', app->out);
    const int64_t *ids = NULL;
    size_t k = 0;
    if (mt_tracker_track_ids(app->tracker, &ids, &k) != MT_OK || write_events(app, ids, k))
        return -1;
    fputs("}\n", app->out);
    return ferror(app->out) ? -1 : 0;
}

int app_track_yolov5(app_tracking *app, const void *tensor, int dtype, size_t rows, size_t cols, double scale,
                     double zero_point, double score_threshold, double timestamp)
{
    mt_yolov5_options o;
    mt_yolov5_default_options(&o);
    o.frame_width = app->frame_width;
    o.frame_height = app->frame_height;
    o.scale = scale;
    o.zero_point = zero_point;
    o.score_threshold = score_threshold;
    const double *dets = NULL;
    size_t n = 0;
    if (mt_decode_yolov5(app->decoder, tensor, dtype, rows, cols, &o, &dets, &n) != MT_OK) {
        fprintf(stderr, "mottrack: %s\n", mt_decoder_last_error(app->decoder));
        return -1;
    }
    return app_track_rows(app, dets, n, timestamp);
}

int app_tracking_close(app_tracking *app, double timestamp)
{
    char stamp[64];
    format_timestamp(timestamp, stamp);
    fprintf(app->out, "{\"channel_id\":%d,\"timestamp\":\"%s\",\"detections\":[]", app->channel_id, stamp);
    if (write_events(app, NULL, 0))
        return -1;
    fputs("}\n", app->out);
    return fflush(app->out) || ferror(app->out) ? -1 : 0;
}
