"""A seeded speech-recognition noise channel: homophone substitutions and dropped characters.

At rate r every character is, independently with probability r, either replaced by a
character that sounds the same (from a small table of homophones a Mandarin recogniser
confuses, when the character has one) or dropped. The same (text, rate, seed) always
gives the same output. The table is written apart from the tagger's lexicon.
"""

from __future__ import annotations

import random
import zlib

# groups of characters read alike (tone aside); any member may be heard as another
_GROUPS = (
    "气器汽起", "煤没眉梅", "晕云运匀", "倒到道导", "火伙货", "着找照", "摔甩", "灯登等",
    "水睡税", "电店点", "路录露", "修休", "坏怀", "漏楼露", "堵赌度", "管馆惯", "门们",
    "锁所索", "家加佳", "工公功", "资子字", "保宝报", "险现线", "医一衣", "院愿远",
    "房防方", "交教焦", "垃拉", "圾机鸡", "物务无", "业夜叶", "投头", "诉速素", "建件见",
    "议意义", "表标", "扬洋阳", "谢写泻", "噪早造", "音因阴", "空恐", "调条", "冰兵",
    "箱相香", "挂瓜", "号浩好", "搬班般", "快块", "递弟第", "送宋", "餐参", "老劳",
    "救就旧", "命明名", "味为未", "烟眼严", "迷米", "昏婚", "跌爹", "疼腾", "地的得",
    "是事市", "在再", "他她它", "师诗施", "傅父付", "楼漏", "车扯", "停庭亭", "天田甜",
    "饭范犯", "钱前", "费飞", "区去取", "街接", "站战", "树数", "园圆元", "厂场长",
)
HOMOPHONES: dict[str, str] = {}
for _group in _GROUPS:
    for _ch in _group:
        HOMOPHONES.setdefault(_ch, "")
        HOMOPHONES[_ch] += "".join(c for c in _group if c != _ch and c not in HOMOPHONES[_ch])


def add_noise(text: str, rate: float, seed: int = 0) -> str:
    """``text`` as a recogniser might have heard it at noise ``rate`` (0..1)."""
    rng = random.Random(zlib.crc32(f"{seed}:{rate}:{text}".encode()))  # noqa: S311 - noise, not crypto
    out: list[str] = []
    for ch in text:
        if ch.isspace() or rng.random() >= rate:
            out.append(ch)
        elif HOMOPHONES.get(ch):
            out.append(rng.choice(HOMOPHONES[ch]))
        # else: dropped
    return "".join(out)
