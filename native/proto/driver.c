/* dev driver: OC-SORT over an (N, 7) binary det file (frame, x1, y1, x2, y2, score, class) sorted by frame;
 * args: dets.bin n_rows det_thresh out.bin [warps.bin] ; writes (frame, 8 cols) rows as doubles */
#include <stdio.h>
#include <stdlib.h>
#include "../src/ocsort_impl.h"
int main(int argc, char **argv) {
    FILE *f = fopen(argv[1], "rb");
    size_t n = (size_t)atol(argv[2]);
    double *d = malloc(n * 7 * sizeof(double));
    if (fread(d, sizeof(double), n * 7, f) != n * 7) return 3;
    fclose(f);
    oc_tracker oc = {0};
    oc.det_thresh = atof(argv[3]); oc.max_age = 30; oc.min_hits = 3; oc.iou_threshold = 0.3; oc.inertia = 0.2;
    oc.delta_t = 3; oc.kind = argc > 6 ? atoi(argv[6]) : 0; oc.use_byte = argc > 7 ? atoi(argv[7]) : 0;
    oc.output_detection = 1;
    oc_init(&oc);
    FILE *o = fopen(argv[4], "wb");
    double *warps = NULL;
    if (argc > 5 && argv[5][0] != '-') {
        FILE *w = fopen(argv[5], "rb"); fseek(w, 0, SEEK_END); long sz = ftell(w); fseek(w, 0, SEEK_SET);
        warps = malloc(sz); if (fread(warps, 1, sz, w) != (size_t)sz) return 4; fclose(w);
    }
    int maxf = (int)d[(n - 1) * 7];
    size_t i = 0;
    double boxes[4 * 5000], scores[5000]; int64_t cls[5000];
    for (int fr = 1; fr <= maxf; fr++) {
        size_t k = 0;
        while (i < n && (int)d[i * 7] == fr) {
            for (int c = 0; c < 4; c++) boxes[4 * k + c] = d[i * 7 + 1 + c];
            scores[k] = d[i * 7 + 5]; cls[k] = (int64_t)d[i * 7 + 6]; k++; i++;
        }
        size_t m;
        int rc = oc_step(&oc, boxes, scores, cls, k, 1.0, fr, warps ? warps + 9 * (fr - 1) : NULL, &m);
        if (rc) { fprintf(stderr, "rc %d at %d\n", rc, fr); return 1; }
        for (size_t r = 0; r < m; r++) { double fd = fr; fwrite(&fd, 8, 1, o); fwrite(oc.ws.out + 8 * r, 8, 8, o); }
    }
    fclose(o);
    return 0;
}
