/* main.c -- mottrack native ACAP application: Larod output buffers -> YOLOv5 decoder ->
 * libmottrack tracker -> scene metadata frame v1 JSON lines (file or stdout).
 *
 * Two builds of one program:
 *   - with -DMOTTRACK_LAROD (the ACAP, in the acap-native-sdk image): runs the model with Larod
 *     on input frames and tracks each output tensor.  This part is thin on purpose
 *     (larod_loop below) and is NOT compiled here (no SDK image; see README.md).
 *   - without it (the replay main, built and tested here natively and under qemu for aarch64
 *     and armhf): reads a MOT det file or a saved Larod output tensor (.npy) and does
 *     everything else exactly as the camera build does.
 *
 * Usage (replay):
 *   mottrack_native --det det.txt --size W H [options]
 *   mottrack_native --tensor out.npy --size W H --scale S --zero-point Z [--frames N] [options]
 * options: --tracker NAME (sort), --param name=value (repeat), --fps F (30), --start T (epoch s),
 *          --channel C (1), --id-prefix P ("mottrack"), --score-threshold X (0.25), --out FILE (-) */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tracking.h"

typedef struct options {
    const char *det, *tensor, *tracker, *out, *prefix;
    char *params[32];
    int n_params, channel, frames;
    double width, height, fps, start, scale, zero_point, score_threshold;
} options;

static int usage(const char *msg)
{
    fprintf(stderr, "mottrack_native: %s\n(usage: see the header of main.c or deploy/acap-native/README.md)\n", msg);
    return 2;
}

static int parse(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    o->tracker = "sort";
    o->out = "-";
    o->prefix = "mottrack";
    o->channel = 1;
    o->frames = 1;
    o->fps = 30.0;
    o->start = 1767225600.0; /* 2026-01-01T00:00:00Z */
    o->scale = 1.0;
    o->score_threshold = 0.25;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(a, "--det") && more) o->det = argv[++i];
        else if (!strcmp(a, "--tensor") && more) o->tensor = argv[++i];
        else if (!strcmp(a, "--tracker") && more) o->tracker = argv[++i];
        else if (!strcmp(a, "--out") && more) o->out = argv[++i];
        else if (!strcmp(a, "--id-prefix") && more) o->prefix = argv[++i];
        else if (!strcmp(a, "--param") && more && o->n_params < 32) o->params[o->n_params++] = argv[++i];
        else if (!strcmp(a, "--channel") && more) o->channel = atoi(argv[++i]);
        else if (!strcmp(a, "--frames") && more) o->frames = atoi(argv[++i]);
        else if (!strcmp(a, "--fps") && more) o->fps = atof(argv[++i]);
        else if (!strcmp(a, "--start") && more) o->start = atof(argv[++i]);
        else if (!strcmp(a, "--scale") && more) o->scale = atof(argv[++i]);
        else if (!strcmp(a, "--zero-point") && more) o->zero_point = atof(argv[++i]);
        else if (!strcmp(a, "--score-threshold") && more) o->score_threshold = atof(argv[++i]);
        else if (!strcmp(a, "--size") && i + 2 < argc) {
            o->width = atof(argv[++i]);
            o->height = atof(argv[++i]);
        } else {
            char m[128];
            snprintf(m, sizeof m, "unknown or incomplete option '%.60s'", a);
            return usage(m);
        }
    }
    if (!o->det == !o->tensor)
        return usage("give exactly one of --det FILE or --tensor FILE.npy");
    if (!(o->width > 0 && o->height > 0))
        return usage("--size W H: the frame size in pixels (> 0) is required");
    if (!(o->fps > 0) || o->frames < 1)
        return usage("--fps must be > 0 and --frames >= 1");
    return 0;
}

/* MOT det file (frame, id, x, y, w, h, score, ...): every frame 1..max in file order */
static int replay_det(app_tracking *app, const options *o)
{
    FILE *f = fopen(o->det, "r");
    if (!f)
        return usage("cannot open the --det file");
    size_t cap = 1024, n = 0;
    double *d = malloc(cap * 7 * sizeof *d);
    char line[512];
    while (d && fgets(line, sizeof line, f)) {
        double v[7];
        if (sscanf(line, "%lf,%lf,%lf,%lf,%lf,%lf,%lf", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]) != 7)
            continue;
        if (n == cap) {
            double *p = realloc(d, 2 * cap * 7 * sizeof *d);
            if (!p)
                break;
            d = p;
            cap *= 2;
        }
        memcpy(d + 7 * n++, v, sizeof v);
    }
    fclose(f);
    if (!d)
        return 1;
    int last = 0;
    for (size_t i = 0; i < n; i++)
        last = (int)d[7 * i] > last ? (int)d[7 * i] : last;
    double *rows = malloc((n + 1) * 6 * sizeof *rows);
    int rc = rows ? 0 : 1;
    for (int fr = 1; fr <= last && !rc; fr++) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if ((int)d[7 * i] == fr) {
                double *r = rows + 6 * k++, *s = d + 7 * i;
                r[0] = s[2];
                r[1] = s[3];
                r[2] = s[2] + s[4];
                r[3] = s[3] + s[5];
                r[4] = s[6];
                r[5] = -1;
            }
        rc = app_track_rows(app, rows, k, o->start + (fr - 1) / o->fps) ? 1 : 0;
    }
    if (!rc)
        rc = app_tracking_close(app, o->start + last / o->fps) ? 1 : 0;
    free(rows);
    free(d);
    return rc;
}

/* a saved Larod output tensor: .npy of uint8 / int8 / float32, shape (1, rows, cols) or (rows, cols) */
static int replay_tensor(app_tracking *app, const options *o)
{
    FILE *f = fopen(o->tensor, "rb");
    if (!f)
        return usage("cannot open the --tensor file");
    unsigned char head[10];
    char hdr[1024];
    if (fread(head, 1, 10, f) != 10 || memcmp(head, "\x93NUMPY", 6)) {
        fclose(f);
        return usage("--tensor: not a .npy file");
    }
    size_t hl = (size_t)head[8] | ((size_t)head[9] << 8);
    if (hl >= sizeof hdr || fread(hdr, 1, hl, f) != hl) {
        fclose(f);
        return usage("--tensor: bad .npy header");
    }
    hdr[hl] = 0;
    int dtype = strstr(hdr, "'|u1'") ? MT_DTYPE_UINT8 : strstr(hdr, "'|i1'") ? MT_DTYPE_INT8
              : strstr(hdr, "'<f4'") ? MT_DTYPE_FLOAT32 : 0;
    const char *sh = strstr(hdr, "'shape': (");
    long dims[3] = {0, 0, 0};
    int nd = sh ? sscanf(sh + 10, "%ld, %ld, %ld", &dims[0], &dims[1], &dims[2]) : 0;
    if (!dtype || nd < 2 || strstr(hdr, "'fortran_order': True")) {
        fclose(f);
        return usage("--tensor: expected a C-order uint8, int8 or float32 array (1, rows, cols)");
    }
    size_t rows = (size_t)(nd == 3 ? dims[0] * dims[1] : dims[0]), cols = (size_t)(nd == 3 ? dims[2] : dims[1]);
    size_t el = dtype == MT_DTYPE_FLOAT32 ? 4 : 1;
    void *t = malloc(rows * cols * el);
    if (!t || fread(t, el, rows * cols, f) != rows * cols) {
        free(t);
        fclose(f);
        return usage("--tensor: truncated data");
    }
    fclose(f);
    int rc = 0;
    for (int fr = 0; fr < o->frames && !rc; fr++)
        rc = app_track_yolov5(app, t, dtype, rows, cols, o->scale, o->zero_point, o->score_threshold,
                              o->start + fr / o->fps) ? 1 : 0;
    if (!rc)
        rc = app_tracking_close(app, o->start + o->frames / o->fps) ? 1 : 0;
    free(t);
    return rc;
}

#ifdef MOTTRACK_LAROD
#include "larod_loop.h"
#endif

int main(int argc, char **argv)
{
#ifdef MOTTRACK_LAROD
    if (argc < 2)
        return larod_loop();  /* the camera: run the model and track its outputs */
#endif
    options o;
    int rc = parse(argc, argv, &o);
    if (rc)
        return rc;
    FILE *out = strcmp(o.out, "-") ? fopen(o.out, "w") : stdout;
    if (!out)
        return usage("cannot open --out for writing");
    app_tracking app;
    if (app_tracking_init(&app, o.tracker, o.params, o.n_params, o.width, o.height, o.channel, o.prefix, out)) {
        if (out != stdout)
            fclose(out);
        return 2;
    }
    rc = o.det ? replay_det(&app, &o) : replay_tensor(&app, &o);
    app_tracking_free(&app);
    if (out != stdout && fclose(out))
        rc = 1;
    return rc;
}
