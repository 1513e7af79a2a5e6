#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>

/// libjpeg reports errors by calling error_exit, which by default exits the process; Swift cannot
/// setjmp, so the decode with a longjmp-ing error manager lives here, in C.
struct cjpeg_error {
    struct jpeg_error_mgr manager;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

static void cjpeg_error_exit(j_common_ptr info) {
    struct cjpeg_error *error = (struct cjpeg_error *)info->err;
    (*info->err->format_message)(info, error->message);
    longjmp(error->jump, 1);
}

/// Frees a buffer returned by cjpeg_decode_gray.
static inline void cjpeg_free(unsigned char *pixels) { free(pixels); }

static void cjpeg_output_message(j_common_ptr info) { (void)info; /* warnings are not printed */ }

/// Decodes a whole JPEG file in memory to 8-bit grayscale (libjpeg's luminance, Y of YCbCr).
/// On success returns 1 and a malloc'ed `*width × *height` buffer in `*pixels` (the caller frees it);
/// on failure returns 0 with libjpeg's message (or the size limit's) in `message`.
static inline int cjpeg_decode_gray(const unsigned char *data, unsigned long size, long max_pixels,
                                    unsigned char **pixels, int *width, int *height,
                                    char *message, size_t message_size) {
    struct jpeg_decompress_struct info;
    struct cjpeg_error error;
    unsigned char *volatile out = NULL;
    *pixels = NULL; *width = 0; *height = 0;
    memset(&info, 0, sizeof info);
    error.message[0] = 0;
    info.err = jpeg_std_error(&error.manager);
    error.manager.error_exit = cjpeg_error_exit;
    error.manager.output_message = cjpeg_output_message;
    if (setjmp(error.jump)) {
        snprintf(message, message_size, "%s", error.message[0] ? error.message : "libjpeg error");
        jpeg_destroy_decompress(&info);
        free(out);
        return 0;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, data, size);
    jpeg_read_header(&info, TRUE);
    info.out_color_space = JCS_GRAYSCALE;
    jpeg_start_decompress(&info);
    long w = (long)info.output_width, h = (long)info.output_height;
    if (info.output_components != 1 || w <= 0 || h <= 0 || w > max_pixels / h) {
        snprintf(message, message_size, "image of %ld×%ld pixels (%d components) exceeds the limit of %ld gray pixels",
                 w, h, info.output_components, max_pixels);
        jpeg_destroy_decompress(&info);
        return 0;
    }
    out = (unsigned char *)malloc((size_t)(w * h));
    if (!out) {
        snprintf(message, message_size, "out of memory for %ld×%ld pixels", w, h);
        jpeg_destroy_decompress(&info);
        return 0;
    }
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = out + (size_t)info.output_scanline * (size_t)w;
        jpeg_read_scanlines(&info, &row, 1);
    }
    jpeg_finish_decompress(&info);
    jpeg_destroy_decompress(&info);
    *pixels = out; *width = (int)w; *height = (int)h;
    return 1;
}

/// Encodes `width × height` pixels of `components` (1: gray, 3: RGB) channels as a baseline JPEG of
/// `quality` (1…100). Returns 1 and a malloc'ed buffer in `*out` of `*out_size` bytes (free it with
/// cjpeg_free), or 0 with libjpeg's message in `message`.
static inline int cjpeg_encode(const unsigned char *pixels, int width, int height, int components, int quality,
                               unsigned char **out, unsigned long *out_size, char *message, size_t message_size) {
    struct jpeg_compress_struct info;
    struct cjpeg_error error;
    *out = NULL; *out_size = 0;
    memset(&info, 0, sizeof info);
    error.message[0] = 0;
    info.err = jpeg_std_error(&error.manager);
    error.manager.error_exit = cjpeg_error_exit;
    error.manager.output_message = cjpeg_output_message;
    if (setjmp(error.jump)) {
        snprintf(message, message_size, "%s", error.message[0] ? error.message : "libjpeg error");
        jpeg_destroy_compress(&info);
        free(*out); *out = NULL;
        return 0;
    }
    jpeg_create_compress(&info);
    jpeg_mem_dest(&info, out, out_size);
    info.image_width = (JDIMENSION)width;
    info.image_height = (JDIMENSION)height;
    info.input_components = components;
    info.in_color_space = components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, quality, TRUE);
    jpeg_start_compress(&info, TRUE);
    while (info.next_scanline < info.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)info.next_scanline * (size_t)width * (size_t)components);
        jpeg_write_scanlines(&info, &row, 1);
    }
    jpeg_finish_compress(&info);
    jpeg_destroy_compress(&info);
    return 1;
}
