"""Draw the app icon: resources/calnet-desk.png (256 px) and resources/calnet-desk.ico
(16-256 px). Run `python resources/make_icon.py` after changing the drawing; the output is
committed so a build needs nothing but Pillow's reading side."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
FONT = HERE.parent / "calnet_desk" / "data" / "fonts" / "DejaVuSansCondensed-Bold.ttf"
SIZE = 256
BLUE, GOLD, WHITE = (0, 61, 122, 255), (253, 184, 19, 255), (255, 255, 255, 255)


def draw() -> Image.Image:
    img = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((8, 8, SIZE - 8, SIZE - 8), radius=48, fill=BLUE)
    d.rectangle((8, 188, SIZE - 8, 208), fill=GOLD)  # a desk's edge
    font = ImageFont.truetype(str(FONT), 150)
    d.text((SIZE // 2, 104), "C", font=font, fill=WHITE, anchor="mm")
    return img


def main() -> None:
    img = draw()
    img.save(HERE / "calnet-desk.png", optimize=True)
    img.save(HERE / "calnet-desk.ico",
             sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)])


if __name__ == "__main__":
    main()
