#include <png.h>

/// PNG_IMAGE_SIZE is a macro; Swift cannot import it, so expose it as a function.
static inline size_t cpng_image_size(png_image *image) { return PNG_IMAGE_SIZE(*image); }
