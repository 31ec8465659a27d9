/* tracking.h -- the SDK-independent part of the mottrack native ACAP application:
 * decoded detections -> libmottrack tracker -> scene metadata frame v1 JSON lines
 * (the shape of mottrack/io/schemas/frame_v1.json, as mottrack.io.SceneMetadataSerializer). */
#ifndef MOTTRACK_ACAP_TRACKING_H
#define MOTTRACK_ACAP_TRACKING_H
#include <stdint.h>
#include <stdio.h>
#include "mottrack.h"

typedef struct app_tracking {
    mt_tracker *tracker;
    mt_decoder *decoder;
    double frame_width, frame_height;   /* pixels, for the normalised boxes */
    int channel_id;
    char id_prefix[32];                 /* object_track_id = "<prefix>-<track id>" */
    FILE *out;                          /* JSON lines */
    int64_t *live; size_t n_live, cap_live;   /* track ids alive after the previous frame */
} app_tracking;

/* Create the tracker `name` with "key=value" parameters (numbers, or text for choices).
 * Returns 0, or -1 with a message on stderr. */
int app_tracking_init(app_tracking *app, const char *name, char *const *params, int n_params,
                      double frame_width, double frame_height, int channel_id, const char *id_prefix, FILE *out);
void app_tracking_free(app_tracking *app);

/* Track one frame of detections (n rows x1, y1, x2, y2, score, class_id in pixels) captured at
 * `timestamp` (seconds since the epoch) and write its JSON line.  Returns 0 or -1. */
int app_track_rows(app_tracking *app, const double *rows, size_t n, double timestamp);

/* Decode a YOLOv5 output tensor as Larod returns it (rows x cols, uint8 / int8 quantised with
 * scale and zero point, or float32), then app_track_rows. */
int app_track_yolov5(app_tracking *app, const void *tensor, int dtype, size_t rows, size_t cols, double scale,
                     double zero_point, double score_threshold, double timestamp);

/* Write the final frame message ending every live track (application shutdown). */
int app_tracking_close(app_tracking *app, double timestamp);
#endif
