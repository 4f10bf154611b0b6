// A hand-drawn 5x7 pixel font for the text in PNG plots (axis ticks, titles, legends). Our
// dependency set has no font rasterizer (no FreeType, no fontconfig), and plot text needs only
// digits, capitals and a little punctuation, so a bitmap font is the smallest honest answer.
#pragma once

#include <string>

namespace unetx::pipeline::plot {

constexpr int kGlyphWidth = 5;
constexpr int kGlyphHeight = 7;
constexpr int kGlyphAdvance = 6;  // one empty column between glyphs

// True when glyph pixel (row, col) of `c` is set; row 0 is the top, col 0 the left. Lowercase
// letters are drawn as capitals; characters without a glyph as a hollow box.
bool glyph_pixel(char c, int row, int col);

// Width in font pixels (before scaling) of `text` in this font.
int text_width(const std::string& text);

}  // namespace unetx::pipeline::plot
