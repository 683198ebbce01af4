#!/usr/bin/env bash
# Regenerates the CJK fonts that jiuzhu-docs embeds (crates/jiuzhu-docs/fonts/).
#
# What it does:
#   1. installs Debian's fonts-noto-cjk (apt) and fonttools (pip) unless already present;
#   2. builds the character set: the 8105 characters of the 通用规范汉字表
#      (crates/jiuzhu-docs/fonts/tongyong-guifan-hanzi.txt), ASCII, Latin-1, pinyin
#      letters, general and CJK punctuation, full-width forms, circled and Roman numerals,
#      a few symbols used on forms (□ ■ √ × ℃ …), plus every non-ASCII character that occurs
#      in the profiles, the jurisdiction file and the templates in crates/jiuzhu-docs/src
#      (so place names and template text are always covered);
#   3. runs pyftsubset on face 2 (SC) of the .ttc collections:
#        NotoSerifCJK-Regular.ttc -> NotoSerifCJKsc-Regular-subset.otf  (body text: all of it)
#        NotoSansCJK-Bold.ttc     -> NotoSansCJKsc-Bold-subset.otf      (titles and headings,
#            the 黑体 role: only the 3500 一级字 plus the rest; a rarer character in a heading
#            is set in the serif face by typst's fallback, which keeps the binary smaller)
#   4. writes OFL.txt (the fonts' copyright line and the SIL OFL 1.1 text) and
#      charset.txt / charset-bold.txt (the code points requested, for review in diffs).
#
# Usage: scripts/subset-font.sh            (from anywhere inside the repository)
# Environment: NOTO_DIR overrides /usr/share/fonts/opentype/noto.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/crates/jiuzhu-docs/fonts"
noto_dir="${NOTO_DIR:-/usr/share/fonts/opentype/noto}"
# fontTools stamps head.modified with this time, so a re-run gives the same bytes.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1643241600}"
# Index of the Simplified Chinese face in Debian's collections (JP, KR, SC, TC, HK, ...).
sc_index=2

if [ ! -f "$noto_dir/NotoSerifCJK-Regular.ttc" ] || [ ! -f "$noto_dir/NotoSansCJK-Bold.ttc" ]; then
    echo "installing fonts-noto-cjk" >&2
    if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq fonts-noto-cjk
fi
if ! command -v pyftsubset >/dev/null 2>&1; then
    echo "installing fonttools" >&2
    python3 -m pip install --quiet 'fonttools>=4.40'
fi

charset="$out/charset.txt"
charset_bold="$out/charset-bold.txt"
python3 - "$root" "$out/tongyong-guifan-hanzi.txt" "$charset" "$charset_bold" <<'PY'
import pathlib, sys

root, table = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
charset, charset_bold = pathlib.Path(sys.argv[3]), pathlib.Path(sys.argv[4])
hanzi = [line.strip() for line in table.read_text(encoding="utf-8").splitlines() if line.strip()]
assert len(hanzi) == 8105 and len(set(hanzi)) == 8105, f"expected 8105 characters, got {len(hanzi)}"
# The table lists 一级字 (1-3500), 二级字 (3501-6500) and 三级字 (6501-8105) in order.
level1 = {ord(c) for c in hanzi[:3500]}
cps = set()

def span(a, b):
    cps.update(range(a, b + 1))

span(0x20, 0x7E)        # ASCII
span(0xA0, 0xFF)        # Latin-1 (· × ÷ ° § and accented letters)
span(0x100, 0x17F)      # Latin Extended-A (pinyin ā ē ī ō ū …)
span(0x1CD, 0x1DC)      # pinyin ǎ ǐ ǒ ǔ ǖ ǘ ǚ ǜ
span(0x2010, 0x2027)    # ‐ – — ‘ ’ “ ” … ‧
span(0x2030, 0x203B)    # ‰ ′ ″ ※
cps.update([0x2103, 0x2116, 0x2122, 0x221A, 0x2236, 0x2237, 0x2264, 0x2265, 0x2260])  # ℃ № ™ √ ∶ ∷ ≤ ≥ ≠
span(0x2160, 0x216B)    # Ⅰ–Ⅻ (disability grades, chapter numbers)
span(0x2460, 0x2473)    # ①–⑳
span(0x2474, 0x2487)    # ⑴–⒇
cps.update([0x25A0, 0x25A1, 0x25B2, 0x25B3, 0x25CB, 0x25CF, 0x2605, 0x2606])  # ■ □ ▲ △ ○ ● ★ ☆
span(0x3000, 0x303F)    # CJK symbols and punctuation: 、。〇〈〉《》「」『』【】〔〕〖〗…
span(0x3220, 0x3229)    # ㈠–㈩
span(0xFF01, 0xFF5E)    # full-width forms
span(0xFFE0, 0xFFE6)    # ￠ ￡ ￢ ￣ ￤ ￥ ￦

# Every non-ASCII character the project itself writes: place names, profile text and the
# document templates. (Not the tests: they use characters outside the subset on purpose.)
sources = [root / "data" / "divisions.csv", *sorted((root / "profiles").glob("*.toml"))]
sources += sorted((root / "crates" / "jiuzhu-docs" / "src").rglob("*.rs"))
extra = set()
for path in sources:
    for c in path.read_text(encoding="utf-8"):
        if ord(c) > 0x7F and c.isprintable() and ord(c) not in cps and ord(c) not in level1:
            extra.add(ord(c))
cps |= extra
allset = cps | {ord(c) for c in hanzi}
boldset = cps | level1

def write(path, points):
    path.write_text("".join(f"U+{cp:04X}\n" for cp in sorted(points)), encoding="utf-8")

write(charset, allset)
write(charset_bold, boldset)
print(f"{len(allset)} code points, {len(boldset)} bold ({len(extra)} from the project's own files)", file=sys.stderr)
PY

subset() {
    local src="$1" dst="$2" set="$3"
    pyftsubset "$src" \
        --font-number="$sc_index" \
        --unicodes-file="$set" \
        --layout-features='*' \
        --name-IDs='*' \
        --name-languages=0x409 \
        --notdef-outline \
        --no-hinting \
        --drop-tables+=DSIG,vhea,vmtx,VORG \
        --output-file="$dst"
    echo "$(basename "$dst"): $(stat -c %s "$dst") bytes" >&2
}
subset "$noto_dir/NotoSerifCJK-Regular.ttc" "$out/NotoSerifCJKsc-Regular-subset.otf" "$charset"
subset "$noto_dir/NotoSansCJK-Bold.ttc" "$out/NotoSansCJKsc-Bold-subset.otf" "$charset_bold"

# The licence travels with the fonts (OFL 1.1, condition 2).
{
    python3 - "$noto_dir/NotoSerifCJK-Regular.ttc" "$sc_index" <<'PY'
import sys
from fontTools.ttLib import TTFont
font = TTFont(sys.argv[1], fontNumber=int(sys.argv[2]), lazy=True)
print("Noto Serif CJK SC and Noto Sans CJK SC (subset for jiuzhu by scripts/subset-font.sh)")
print(font["name"].getDebugName(0))
print("Noto is a trademark of Google Inc. The fonts are licensed under the SIL Open Font License 1.1:")
print()
PY
    # Debian's copyright file carries the licence text as an indented block.
    awk '/^License: SIL-1.1$/ && ++n == 2 {on = 1; next}
         on && /^License:/ {exit}
         on {sub(/^ /, ""); if ($0 == ".") $0 = ""; print}' \
        /usr/share/doc/fonts-noto-cjk/copyright
} > "$out/OFL.txt"
echo "wrote $out/OFL.txt" >&2
