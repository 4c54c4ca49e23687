"""Illustrations of the demo products: one SVG per product, drawn from the product itself.

The subject (a tent, a bottle, headphones...) comes from the words of the title, the palette and
the composition (background hue, pattern, angle, accent) from a hash of the product's id, so
every product looks different, two bottles included, and the same product always gets the same
picture. Only the platform writes SVG (vendors upload JPEG, PNG or WebP: SVG can carry scripts).
"""

from __future__ import annotations

import colorsys
import hashlib
from html import escape

# Title word -> subject drawn (first match wins; the category's subject otherwise).
SUBJECT_WORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("tent",), "tent"), (("backpack", "bag"), "bag"), (("bottle", "watering"), "bottle"),
    (("headphones",), "headphones"), (("speaker",), "speaker"), (("monitor", "keyboard", "docking"), "screen"),
    (("lamp", "headlamp", "bulb", "lights", "candle"), "lamp"), (("kettle", "coffee"), "kettle"),
    (("skillet", "plates", "scale", "clock"), "disc"), (("knife", "shears", "stove"), "blade"),
    (("towel", "towels", "throw", "mat"), "cloth"), (("shelf", "bed"), "plank"),
    (("dumbbells", "rope"), "weights"), (("shoes",), "shoe"), (("helmet",), "helmet"),
    (("power", "bank"), "battery"),
)
CATEGORY_SUBJECT = {"outdoor": "tent", "electronics": "screen", "kitchen": "kettle", "home": "lamp",
                    "garden": "bottle", "sports": "weights", "fashion": "cloth", "beauty": "bottle"}


def _colour(hue: float, saturation: float, lightness: float) -> str:
    r, g, b = colorsys.hls_to_rgb(hue % 1.0, lightness, saturation)
    return f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"


def subject_for(title: str, category: str) -> str:
    words = {w.strip(".,-()").lower() for w in title.split()}
    return next((subject for keys, subject in SUBJECT_WORDS if words & set(keys)), CATEGORY_SUBJECT.get(category, "disc"))


def _subject(subject: str, ink: str, fill: str, accent: str) -> str:
    s = f'fill="{fill}" stroke="{ink}" stroke-width="7" stroke-linejoin="round" stroke-linecap="round"'
    shapes = {
        "tent": f'<path d="M110 232 L200 92 L290 232 Z" {s}/><path d="M200 92 L200 232 M200 168 L176 232 M200 168 '
                f'L224 232" fill="none" stroke="{ink}" stroke-width="6"/><path d="M70 232 H330" stroke="{ink}" '
                f'stroke-width="6"/>',
        "bag": f'<rect x="140" y="92" width="120" height="146" rx="34" {s}/><rect x="162" y="150" width="76" '
               f'height="54" rx="12" fill="{accent}" stroke="{ink}" stroke-width="5"/><path d="M168 96 Q200 54 232 96" '
               f'fill="none" stroke="{ink}" stroke-width="7"/>',
        "bottle": f'<rect x="168" y="70" width="64" height="26" rx="8" fill="{accent}" stroke="{ink}" stroke-width="6"/>'
                  f'<rect x="150" y="96" width="100" height="146" rx="30" {s}/><rect x="150" y="150" width="100" '
                  f'height="34" fill="{accent}" opacity="0.7"/>',
        "headphones": f'<path d="M130 190 V150 A70 70 0 0 1 270 150 V190" fill="none" stroke="{ink}" stroke-width="12"/>'
                      f'<rect x="112" y="172" width="44" height="70" rx="18" {s}/><rect x="244" y="172" width="44" '
                      f'height="70" rx="18" {s}/>',
        "speaker": f'<rect x="120" y="110" width="160" height="120" rx="56" {s}/><circle cx="200" cy="170" r="34" '
                   f'fill="{accent}" stroke="{ink}" stroke-width="6"/>',
        "screen": f'<rect x="96" y="80" width="208" height="130" rx="10" {s}/><rect x="112" y="96" width="176" height="98" '
                  f'fill="{accent}" opacity="0.55"/><path d="M200 210 V236 M160 240 H240" stroke="{ink}" stroke-width="8"/>',
        "lamp": f'<path d="M150 90 H250 L276 164 H124 Z" {s}/><path d="M200 164 V226" stroke="{ink}" stroke-width="8"/>'
                f'<ellipse cx="200" cy="234" rx="48" ry="12" fill="{accent}" stroke="{ink}" stroke-width="6"/>',
        "kettle": f'<path d="M132 236 L146 120 Q200 92 254 120 L268 236 Z" {s}/><path d="M254 140 Q300 150 290 200" '
                  f'fill="none" stroke="{ink}" stroke-width="8"/><path d="M170 104 Q200 74 230 104" fill="none" '
                  f'stroke="{ink}" stroke-width="7"/><rect x="146" y="186" width="108" height="18" fill="{accent}"/>',
        "disc": f'<circle cx="200" cy="164" r="80" {s}/><circle cx="200" cy="164" r="50" fill="{accent}" '
                f'stroke="{ink}" stroke-width="5" opacity="0.8"/>',
        "blade": f'<path d="M96 196 L262 120 Q300 112 300 140 L140 214 Z" {s}/><rect x="78" y="192" width="70" '
                 f'height="28" rx="10" transform="rotate(-24 113 206)" fill="{accent}" stroke="{ink}" stroke-width="6"/>',
        "cloth": f'<path d="M110 96 H290 V232 H110 Z" {s}/><path d="M110 136 H290 M110 176 H290" stroke="{accent}" '
                 f'stroke-width="12"/><path d="M110 96 H290 V232 H110 Z" fill="none" stroke="{ink}" stroke-width="7"/>',
        "plank": f'<rect x="80" y="140" width="240" height="34" rx="6" {s}/><path d="M120 174 V214 M280 174 V214" '
                 f'stroke="{ink}" stroke-width="8"/><rect x="140" y="106" width="36" height="34" fill="{accent}" '
                 f'stroke="{ink}" stroke-width="5"/>',
        "weights": f'<rect x="150" y="156" width="100" height="16" fill="{ink}"/><rect x="108" y="118" width="42" '
                   f'height="92" rx="10" {s}/><rect x="250" y="118" width="42" height="92" rx="10" {s}/>',
        "shoe": f'<path d="M96 214 L106 150 Q150 160 182 126 L222 176 Q282 180 304 214 Z" {s}/><path d="M96 214 H304" '
                f'stroke="{accent}" stroke-width="14"/>',
        "helmet": f'<path d="M112 206 Q112 102 200 102 Q288 102 288 206 Z" {s}/><path d="M150 130 L170 180 M200 112 '
                  f'V180 M250 130 L230 180" stroke="{accent}" stroke-width="10"/>',
        "battery": f'<rect x="130" y="90" width="140" height="150" rx="22" {s}/><path d="M208 118 L178 172 H214 '
                   f'L190 214" fill="none" stroke="{accent}" stroke-width="12"/>',
    }
    return shapes.get(subject, shapes["disc"])


def product_svg(product_id: str, title: str, category: str) -> str:
    """The product's illustration (400 x 300), the same every time for the same product."""
    digest = hashlib.sha256(product_id.encode()).digest()
    hue = digest[0] / 255
    background = _colour(hue, 0.45, 0.90)
    ink = _colour(hue + 0.5, 0.45, 0.22)
    fill = _colour(hue + 0.08 * (digest[1] % 5), 0.55, 0.97)
    accent = _colour(hue + 0.33 + digest[2] / 1024, 0.70, 0.58)
    dots = "".join(
        f'<circle cx="{20 + digest[3 + i] * 360 // 255}" cy="{20 + digest[13 + i] * 110 // 255}" '
        f'r="{3 + digest[23 + i] % 9}" fill="{accent}" opacity="0.35"/>' for i in range(2 + digest[4] % 6))
    tilt = (digest[5] % 13) - 6
    label = escape(title)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 300" width="400" height="300" role="img" '
        f'aria-label="{label}"><title>{label}</title><rect width="400" height="300" fill="{background}"/>{dots}'
        f'<ellipse cx="200" cy="250" rx="{110 + digest[6] % 40}" ry="14" fill="{ink}" opacity="0.10"/>'
        f'<g transform="rotate({tilt} 200 170)">{_subject(subject_for(title, category), ink, fill, accent)}</g></svg>'
    )
