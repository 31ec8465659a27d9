/*
 * mottrack.h -- libmottrack, the native core of mottrack: multi-object trackers
 * (SORT, ByteTrack, BoT-SORT, OC-SORT, DeepSORT, Hybrid-SORT) and the YOLOv5 / SSD
 * output-tensor decoders, behind a flat C11 API.  Depends on libc and libm only.
 *
 * SAME OUTPUTS AS THE PYTHON PACKAGE
 *   Every tracker computes the same floating-point operations in the same order as the
 *   package's numba kernels, so for the same input (parameters, detection rows,
 *   timestamps, warps, embeddings) `mt_tracker_update` returns the same float64 output
 *   rows bit for bit as `mottrack.create_tracker(name, **params).update(...)`, on every
 *   architecture the library is built for (x86-64, aarch64, armhf; built with
 *   -ffp-contract=off and no fast-math, see native/Makefile).
 *
 * CONVENTIONS
 *   - Every function returns an `mt_status` (0 = MT_OK) unless documented otherwise.
 *     Functions taking a tracker / decoder handle record a message on failure, read
 *     with `mt_tracker_last_error` / `mt_decoder_last_error` (valid until the next
 *     call on that handle).  Functions without a handle take an optional caller buffer
 *     `err` of `err_len` bytes for the message (NULL / 0: no message).
 *   - A call that fails changes nothing observable: a rejected `mt_tracker_update`
 *     leaves the tracks, ids, clock and counters exactly as they were; a rejected
 *     `mt_tracker_restore` leaves the tracker as it was.
 *   - Bad input never crashes: NULL pointers, NaN / inf, negative or oversize counts,
 *     unknown names, tampered state buffers all return an error code and message.
 *   - No global mutable state.  The only globals are constant tables.
 *   - Memory: a handle allocates at creation, and later only when a frame needs more
 *     room than any frame before (capacities double; bounded by `max_detections`), so
 *     after warm-up `mt_tracker_update` and the decoders allocate nothing.
 *     Output pointers returned by a handle point into the handle's own storage and
 *     stay valid until the next call on that handle (or its destruction).
 *
 * THREADS
 *   A handle must not be used by two threads at the same time (no internal locking;
 *   serialise calls on one handle yourself).  Different handles are fully independent
 *   and may be used concurrently from different threads.  Functions without a handle
 *   (`mt_tracker_names`, `mt_tracker_params`, `mt_status_name`, `mt_version`) are
 *   reentrant and thread-safe.
 *
 * UNITS AND SHAPES
 *   Boxes are x1, y1, x2, y2 in pixels (any consistent unit), x2 >= x1, y2 >= y1,
 *   |coordinate| <= 1e15.  Matrices are row-major float64.
 */
#ifndef MOTTRACK_H
#define MOTTRACK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && !defined(MT_STATIC_BUILD)
#define MT_API __attribute__((visibility("default")))
#else
#define MT_API
#endif

/* ------------------------------------------------------------------ versions, errors */

/** Library version, e.g. "0.1.0" (a constant string). */
MT_API const char *mt_version(void);

/** Status codes.  Every public function returns one (0 = success). */
typedef enum mt_status {
    MT_OK = 0,
    MT_ERR_NULL = 1,          /**< a required pointer argument is NULL */
    MT_ERR_ARG = 2,           /**< an argument is invalid (NaN, out of range, wrong count, ...) */
    MT_ERR_UNKNOWN_TRACKER = 3, /**< no tracker of that name */
    MT_ERR_UNKNOWN_PARAM = 4, /**< a parameter name the tracker does not have */
    MT_ERR_NOMEM = 5,         /**< memory allocation failed (nothing changed) */
    MT_ERR_STATE = 6,         /**< a state buffer is malformed, tampered or of another tracker */
    MT_ERR_TOO_SMALL = 7,     /**< a caller buffer is too small (the needed size is reported) */
    MT_ERR_UNSUPPORTED = 8,   /**< valid but not supported by this tracker / build */
    MT_ERR_TOO_MANY = 9       /**< more detections than the tracker's max_detections */
} mt_status;

/** A constant name for a status code ("MT_OK", "MT_ERR_ARG", ...; "unknown" otherwise). */
MT_API const char *mt_status_name(int status);

/* ------------------------------------------------------------------ tracker registry */

/** Parameter types. */
typedef enum mt_param_type {
    MT_PARAM_FLOAT = 0,  /**< a float64 (finite unless `high` is +inf) */
    MT_PARAM_INT = 1,    /**< a whole number within int64 (passed as double) */
    MT_PARAM_BOOL = 2,   /**< 0 or 1 (passed as double) */
    MT_PARAM_CHOICE = 3  /**< one of the strings listed in `choices` (passed as text) */
} mt_param_type;

/** What a tracker parameter is: name, type, default, range.  Names and defaults are the
 *  Python class's constructor parameters (`mottrack.registry.tracker_parameters`). */
typedef struct mt_param_info {
    const char *name;          /**< e.g. "max_age" */
    int type;                  /**< an mt_param_type */
    double default_value;      /**< numeric default (CHOICE: index into choices) */
    const char *default_text;  /**< CHOICE: the default string; else NULL */
    double low, high;          /**< accepted range [low, high] (numeric types) */
    int low_open;              /**< 1: the range is (low, high] */
    const char *choices;       /**< CHOICE: the accepted strings separated by '|'; else NULL */
} mt_param_info;

/**
 * Names of the trackers in this build ("sort", "bytetrack", "deepsort", "ocsort",
 * "botsort", "hybridsort": the Python registry's order).  Writes up to `cap` constant strings into
 * `names` (may be NULL when cap is 0) and the total number into `*count`.
 */
MT_API mt_status mt_tracker_names(const char **names, size_t cap, size_t *count);

/**
 * The parameters of tracker `name` (case-sensitive, lower case) with their defaults:
 * `*params` points to a constant array of `*count` entries.  Besides the tracker's own
 * parameters every tracker lists "frame_rate" (float in [1e-6, 1e6], default 30), "per_class"
 * (bool, 0), "output_box" (choice "kalman|detection"; OC-SORT and Hybrid-SORT default to
 * "detection") and "max_detections" (int >= 0, default 5000: the most detections one
 * update accepts, the Python attribute `Tracker.max_detections`).
 *
 * The trackers' own parameters (defaults; meanings: the Python classes' docstrings):
 *   sort        max_age 1, min_hits 3, iou_threshold 0.3
 *   bytetrack   track_thresh 0.5, match_thresh 0.8, track_buffer 30, fuse_score 1
 *   deepsort    max_cosine_distance 0.2, nn_budget 100, max_iou_distance 0.7, max_age 30,
 *               n_init 3 (embeddings required)
 *   ocsort      det_thresh 0.6, max_age 30, min_hits 3, iou_threshold 0.3, delta_t 3,
 *               asso_func "iou" (iou|giou|ciou|diou|ct_dist|hmiou), inertia 0.2, use_byte 0
 *   botsort     track_high_thresh 0.6, track_low_thresh 0.1, new_track_thresh 0.7,
 *               track_buffer 30, match_thresh 0.8, proximity_thresh 0.5,
 *               appearance_thresh 0.25, fuse_score 1 (embeddings optional)
 *   hybridsort  det_thresh 0.6, max_age 30, min_hits 3, iou_threshold 0.25, delta_t 3,
 *               asso_func "hmiou" (as OC-SORT's, or "Height_Modulated_IoU" for hmiou),
 *               inertia 0.05, use_byte 1, tcm_first_step 1, tcm_first_step_weight 1.0,
 *               tcm_byte_step 1, tcm_byte_step_weight 1.0 (weights in [-1e6, 1e6])
 * Every tracker accepts camera motion (mt_frame.warp).
 */
MT_API mt_status mt_tracker_params(const char *name, const mt_param_info **params, size_t *count,
                                   char *err, size_t err_len);

/* ------------------------------------------------------------------ trackers */

/** Opaque tracker handle. */
typedef struct mt_tracker mt_tracker;

/** One parameter value for `mt_tracker_create`: `text` for CHOICE parameters (e.g.
 *  output_box = "detection"), else `value` (bools and ints as 0.0 / 1.0 / whole numbers). */
typedef struct mt_param {
    const char *name;
    double value;
    const char *text;  /**< NULL for numeric parameters */
} mt_param;

/**
 * Create tracker `name` with the given parameters (any subset, any order; the others
 * take their defaults).  Validated as the Python constructor does (same ranges, same
 * derived values, e.g. ByteTrack's max_time_lost = int(frame_rate / 30 * track_buffer)).
 * On success `*out` is a new handle (free with mt_tracker_destroy); on failure `*out`
 * is NULL and the message is written to `err`.
 */
MT_API mt_status mt_tracker_create(const char *name, const mt_param *params, size_t n_params,
                                   mt_tracker **out, char *err, size_t err_len);

/** Free a tracker (NULL is accepted and ignored). */
MT_API void mt_tracker_destroy(mt_tracker *tracker);

/** The message of the last failed call on `tracker` ("" if none; a constant string for
 *  a NULL handle).  Valid until the next call on the handle. */
MT_API const char *mt_tracker_last_error(const mt_tracker *tracker);

/** The registry name of the tracker ("sort", ...). */
MT_API const char *mt_tracker_name(const mt_tracker *tracker);

/** The value of parameter `name` as the tracker holds it (CHOICE: the index; also the
 *  derived "max_time_lost" / "det_thresh" where the Python class has those attributes). */
MT_API mt_status mt_tracker_get_param(mt_tracker *tracker, const char *name, double *value);

/** Set "max_detections" (int >= 0) on a live tracker (the only parameter that may
 *  change after creation, as the Python attribute). */
MT_API mt_status mt_tracker_set_max_detections(mt_tracker *tracker, int64_t max_detections);

/** Embedding element types for mt_frame.embedding_type. */
typedef enum mt_embedding_type {
    MT_EMB_NONE = 0,
    MT_EMB_FLOAT32 = 1,  /**< float32 (N, D) */
    MT_EMB_FLOAT64 = 2,  /**< float64 (N, D); rounded to float32 first, as the package does */
    MT_EMB_INT8 = 3,     /**< int8 (N, D) quantised: (q - zero_point) * scale in float32 */
    MT_EMB_UINT8 = 4     /**< uint8 (N, D) quantised, as int8 */
} mt_embedding_type;

/** One frame's input to mt_tracker_update.  Zero-initialise it (`mt_frame f = {0};`),
 *  then fill what you have. */
typedef struct mt_frame {
    /** Detections: `n` rows of `cols` float64 each, row-major: x1, y1, x2, y2[, score
     *  [, class_id]] (cols 4: score 1; cols <= 5: class -1).  cols in {4, 5, 6}.
     *  n may be 0 (an empty frame; `rows` may then be NULL). */
    const double *rows;
    size_t n;
    size_t cols;
    /** Appearance embeddings (N, D) row-major, or embedding_type MT_EMB_NONE.  Used
     *  where the tracker uses appearance (BoT-SORT: optional; DeepSORT: required). */
    const void *embeddings;
    size_t embedding_dim;
    int embedding_type;        /**< an mt_embedding_type */
    double embedding_scale;    /**< quantised types: scale (finite, > 0) */
    double embedding_zero_point; /**< quantised types: zero point (whole, |zp| <= 2^31) */
    /** Capture time in seconds (any epoch, strictly increasing) when has_timestamp. */
    int has_timestamp;
    double timestamp;
    /** Camera motion: NULL, or a row-major 2x3 affine (warp_rows = 2) or 3x3 homography
     *  (warp_rows = 3) mapping the previous frame's pixels to this frame's.  MT_ERR_ARG
     *  (tracker unchanged) unless finite and invertible, scaling by [1e-4, 1e4] (singular
     *  values of the linear part) and, for a homography, with |H[2][0]|, |H[2][1]| <= 1
     *  and a translation within +-1e15 (after H[2][2] = 1). */
    const double *warp;
    int warp_rows;
} mt_frame;

/**
 * Advance the tracker by one frame (Python: `Tracker.update(detections, timestamp,
 * camera_motion)`).
 *
 * On success `*out_rows` points to `*out_n` rows of 8 float64 (row-major):
 *   x1, y1, x2, y2, track_id, score, class_id, det_index
 * in the same row order and with the same values as the Python package (OUTPUT_COLUMNS
 * of mottrack/trackers/base.py).  det_index is the row of `frame->rows` that updated
 * the track this frame, or -1.  The pointer is valid until the next call on the handle.
 * Detections with a side below 1e-6 are ignored (counted in "dropped_detections").
 * On failure nothing changes and *out_n is 0.
 */
MT_API mt_status mt_tracker_update(mt_tracker *tracker, const mt_frame *frame,
                                   const double **out_rows, size_t *out_n);

/** Forget every track, restart ids at 1 and the clock (Python `reset`). */
MT_API mt_status mt_tracker_reset(mt_tracker *tracker);

/**
 * Ids of every track the tracker holds (any state), in track-list order (Python
 * `track_ids()`).  `*ids` points into the handle (valid until the next call).
 */
MT_API mt_status mt_tracker_track_ids(mt_tracker *tracker, const int64_t **ids, size_t *count);

/** Frames processed (Python `frame_count`) and detections ignored for a side below
 *  1e-6 (Python `dropped_detections`).  Either pointer may be NULL. */
MT_API mt_status mt_tracker_counters(const mt_tracker *tracker, int64_t *frame_count,
                                     int64_t *dropped_detections);

/* ------------------------------------------------------------------ state */

/**
 * State save / restore.  The buffer holds everything the tracker needs to continue
 * exactly (parameters, clock, counters, every track, appearance features):
 *
 *   offset 0   8 bytes  magic "MTSTATE\0"
 *          8   u32      format version (1)
 *         12   u32      payload length L in bytes
 *         16   L bytes  payload: tracker name (u32 length + bytes), parameters, clock,
 *                       counters, the track table, tracker extras (little-endian)
 *     16 + L   u32      CRC-32 (IEEE) of bytes [0, 16 + L)
 *
 * Restore checks the magic, version, lengths and checksum, then every field (ranges,
 * finiteness, ids unique and below next_id, table sizes) and rejects anything else
 * with MT_ERR_STATE, the tracker unchanged.  A state restores on any architecture.
 * States of this library and the Python package's `state_dict` are NOT interchangeable
 * (different containers; the same numbers).
 */

/** Bytes `mt_tracker_save` needs now. */
MT_API mt_status mt_tracker_state_size(mt_tracker *tracker, size_t *size);

/** Write the state into `buf` (`cap` bytes); `*written` = bytes used.  MT_ERR_TOO_SMALL
 *  (with `*written` = bytes needed) when `cap` is short. */
MT_API mt_status mt_tracker_save(mt_tracker *tracker, void *buf, size_t cap, size_t *written);

/** Replace the tracker's state (parameters included) with a saved one of the same
 *  tracker type; the tracker is unchanged if the buffer is rejected. */
MT_API mt_status mt_tracker_restore(mt_tracker *tracker, const void *buf, size_t len);

/** A new tracker restored from a state buffer (of any tracker type). */
MT_API mt_status mt_tracker_from_state(const void *buf, size_t len, mt_tracker **out,
                                       char *err, size_t err_len);

/* ------------------------------------------------------------------ decoders */

/** Opaque decoder handle: holds the scratch and the output rows of the decoders. */
typedef struct mt_decoder mt_decoder;

/** Tensor element types of the decoders. */
typedef enum mt_dtype {
    MT_DTYPE_UINT8 = 1,
    MT_DTYPE_INT8 = 2,
    MT_DTYPE_FLOAT32 = 3
} mt_dtype;

MT_API mt_status mt_decoder_create(mt_decoder **out);
MT_API void mt_decoder_destroy(mt_decoder *decoder);
MT_API const char *mt_decoder_last_error(const mt_decoder *decoder);

/** Options of mt_decode_yolov5 (mottrack.io.larod.yolov5_to_detections).  Fill the
 *  defaults with mt_yolov5_default_options, then change what you need. */
typedef struct mt_yolov5_options {
    double frame_width, frame_height;  /**< frame size in pixels (> 0, <= 1e15); required */
    double scale, zero_point;          /**< quantisation of integer tensors (real = (q - zp) * scale) */
    double score_threshold;            /**< 0.25, in [0, 1] */
    double iou_threshold;              /**< 0.45, in [0, 1] (NMS) */
    const unsigned char *class_mask;   /**< NULL (all classes) or class_mask_len flags (COCO-80 ids) */
    size_t class_mask_len;
    int letterbox;                     /**< 0: frame stretched to the input; 1: letterboxed */
    double input_width, input_height;  /**< model input size for letterbox (640 x 640) */
    int64_t max_detections;            /**< 300, in [0, 2^31] */
    int score_obj_only;                /**< 0: objectness x best class prob; 1: objectness */
} mt_yolov5_options;

MT_API void mt_yolov5_default_options(mt_yolov5_options *options);

/**
 * Decode a YOLOv5 output tensor [rows, cols] (cols = 5 + C >= 6: cx, cy, w, h
 * normalised to the model input, objectness, C class probabilities), uint8/int8
 * quantised or float32, as mottrack.io.larod.yolov5_to_detections does (same rows,
 * same order: descending score after class-aware NMS, same float64 values).
 * On success `*out_rows` points to `*out_n` rows of 6 float64: x1, y1, x2, y2 (pixels,
 * clipped to the frame), score, class_id -- directly an mt_frame's rows (cols = 6).
 */
MT_API mt_status mt_decode_yolov5(mt_decoder *decoder, const void *tensor, int dtype, size_t rows,
                                  size_t cols, const mt_yolov5_options *options,
                                  const double **out_rows, size_t *out_n);

/** Options of mt_decode_ssd (mottrack.io.larod.ssd_to_detections). */
typedef struct mt_ssd_options {
    double frame_width, frame_height;  /**< frame size in pixels; required */
    double score_threshold;            /**< 0.5: rows with score >= it are kept */
    const unsigned char *class_mask;   /**< NULL or flags by COCO-90 id */
    size_t class_mask_len;
} mt_ssd_options;

MT_API void mt_ssd_default_options(mt_ssd_options *options);

/**
 * Decode the four float32 outputs of the SSD postprocess op (Larod order): boxes [n, 4]
 * ymin, xmin, ymax, xmax normalised; classes [n]; scores [n]; count [1] (rows at and
 * past count are never read).  Output as mt_decode_yolov5 (tensor order).
 */
MT_API mt_status mt_decode_ssd(mt_decoder *decoder, const float *boxes, const float *classes,
                               const float *scores, const float *count, size_t n,
                               const mt_ssd_options *options, const double **out_rows,
                               size_t *out_n);

#ifdef __cplusplus
}
#endif
#endif /* MOTTRACK_H */
