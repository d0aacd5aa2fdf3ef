// The one translation unit that compiles stb_image and stb_image_write, shared by
// edge_demo and edge_check; they include the headers for the declarations only.
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image.h>
#include <stb_image_write.h>
