#include "backends/png_file.hpp"

#include <png.h>

#include <cstdio>
#include <memory>

namespace udefio {
namespace {

using File = std::unique_ptr<FILE, int (*)(FILE*)>;

// libpng reports errors by longjmp; the handler turns them into a message.
struct PngError {
    char message[256] = "";
};

void on_png_error(png_structp png, png_const_charp message)
{
    auto* error = static_cast<PngError*>(png_get_error_ptr(png));
    std::snprintf(error->message, sizeof error->message, "%s", message);
    png_longjmp(png, 1);
}

void on_png_warning(png_structp, png_const_charp) {}

}  // namespace

Result<void> write_png(const std::string& path, const Image& image)
{
    File file(std::fopen(path.c_str(), "wb"), std::fclose);
    if (!file)
        return errno_error("fopen(" + path + ") for writing a PNG");
    PngError error;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &error, on_png_error, on_png_warning);
    if (!png)
        return plain_error("png_create_write_struct failed");
    png_infop info = png_create_info_struct(png);
    std::vector<png_byte> row(size_t(image.width) * 3);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return plain_error("writing PNG " + path + ": " + error.message);
    }
    png_init_io(png, file.get());
    png_set_compression_level(png, 1);
    png_set_IHDR(png, info, image.width, image.height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (uint32_t y = 0; y < image.height; ++y) {
        const uint32_t* src = image.pixels.data() + size_t(y) * image.width;
        for (uint32_t x = 0; x < image.width; ++x) {
            row[x * 3 + 0] = png_byte(src[x] >> 16);
            row[x * 3 + 1] = png_byte(src[x] >> 8);
            row[x * 3 + 2] = png_byte(src[x]);
        }
        png_write_row(png, row.data());
    }
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    if (std::fflush(file.get()) != 0)
        return errno_error("writing PNG " + path);
    return {};
}

Result<Image> read_png(const std::string& path)
{
    File file(std::fopen(path.c_str(), "rb"), std::fclose);
    if (!file)
        return errno_error("fopen(" + path + ") for reading a PNG");
    PngError error;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &error, on_png_error, on_png_warning);
    if (!png)
        return plain_error("png_create_read_struct failed");
    png_infop info = png_create_info_struct(png);
    Image image;
    std::vector<png_byte> row;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, nullptr);
        return plain_error("reading PNG " + path + ": " + error.message);
    }
    png_init_io(png, file.get());
    png_read_info(png, info);
    png_set_expand(png);
    png_set_strip_16(png);
    png_set_strip_alpha(png);
    png_set_gray_to_rgb(png);
    png_read_update_info(png, info);
    image.width = png_get_image_width(png, info);
    image.height = png_get_image_height(png, info);
    image.pixels.resize(size_t(image.width) * image.height);
    row.resize(png_get_rowbytes(png, info));
    for (uint32_t y = 0; y < image.height; ++y) {
        png_read_row(png, row.data(), nullptr);
        uint32_t* dst = image.pixels.data() + size_t(y) * image.width;
        for (uint32_t x = 0; x < image.width; ++x)
            dst[x] = uint32_t(row[x * 3]) << 16 | uint32_t(row[x * 3 + 1]) << 8 | row[x * 3 + 2];
    }
    png_destroy_read_struct(&png, &info, nullptr);
    return image;
}

}  // namespace udefio
